/**
 * A Zendesk reply is never lost to a Temporal outage: the webhook answers 503 (with Retry-After) when the signal
 * cannot reach Temporal, so Zendesk delivers it again; only a conversation that does not exist is a 200 "ignored".
 * The router runs against the run's real dev server, and against a Temporal address where nothing listens.
 */
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { parseConfig } from '../common/config';
import { conversationWorkflowId } from '../common/ids';
import { createLogger } from '../common/logger';
import { errorHandler } from '../api/errors';
import { createZendeskRouter } from '../api/zendesk';
import { freePort } from './helpers/ports';

const zendeskUrl = 'http://127.0.0.1:9'; // no Zendesk: the agent's signature lookup fails fast, as a warning
const secret = 'zendesk-signing-secret-0123456789';
const config = parseConfig(
  `apps: [{ id: zr, apiKeys: [zr-key-0123456789abcdef], zendesk: { url: "${zendeskUrl}", email: ops@zr.example, apiToken: t } }]`,
  'test.yaml',
  {},
);
const log = createLogger({ level: 'silent', name: 'zendesk-retry-test' });

async function serve(temporal: Client): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use('/zendesk', createZendeskRouter({ config, temporal, log, secrets: new Map([[zendeskUrl, secret]]) }));
  app.use(errorHandler(log));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function webhook(user: string, commentId: string) {
  const body = JSON.stringify({
    ticket_id: '4242',
    external_id: conversationWorkflowId('zr', user),
    comment_id: commentId,
    comment: 'Your refund is on its way.',
    public: 'true',
    author_id: '77',
    author_name: 'Zoe Desk',
    author_email: 'zoe@zr.example',
    author_photo: '',
  });
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-zendesk-webhook-signature': createHmac('sha256', secret)
        .update(timestamp + body)
        .digest('base64'),
      'x-zendesk-webhook-signature-timestamp': timestamp,
      'x-zendesk-webhook-invocation-id': `inv-${commentId}`,
    },
  };
}

it('answers 200 "ignored" for a conversation Temporal does not have', async () => {
  const connection = await Connection.connect({ address: process.env.PARLEY_TEST_TEMPORAL_ADDRESS! });
  const api = await serve(new Client({ connection }));
  try {
    const res = await fetch(`${api.url}/zendesk/webhook`, webhook('nobody-here', '5001'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ignored: 'unknown conversation' });
  } finally {
    await api.close();
    await connection.close();
  }
});

it('answers 503 with Retry-After when Temporal cannot be reached, so Zendesk delivers the reply again', async () => {
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
  const api = await serve(new Client({ connection }));
  try {
    const first = await fetch(`${api.url}/zendesk/webhook`, webhook('jane', '5002'));
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('10');
    expect(((await first.json()) as { error: { code: string } }).error.code).toBe('temporal_unavailable');
    // Not remembered as relayed: the redelivery is tried again, not answered "duplicate".
    const again = await fetch(`${api.url}/zendesk/webhook`, webhook('jane', '5002'));
    expect(again.status).toBe(503);
  } finally {
    await api.close();
    await connection.close();
  }
}, 120_000);
