/**
 * The order of the checks at the vendors' inbound endpoints, without Temporal: what is refused is refused before
 * any work that would tell an attacker something or cost Parley a lot. Every HMAC the process computes is counted
 * (a spy on `crypto.createHmac`, which every signature check goes through).
 */
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createApp } from '../../../api/app';
import { configSchema } from '../../../common/config';
import { createLogger } from '../../../common/logger';
import { helpScoutWebhookSecret } from '../../../integrations/helpscout/verify';

const SLACK_APPS = 20;
const config = configSchema.parse({
  apps: [
    ...Array.from({ length: SLACK_APPS }, (_, i) => ({
      id: `slack-${i}`,
      apiKeys: [`sk_slack_${i}_0123456789abcdef`],
      slack: { botToken: `xoxb-${i}`, signingSecret: `signing-secret-${i}`, apiUrl: 'http://127.0.0.1:9/api/' },
    })),
    {
      id: 'hs',
      apiKeys: ['sk_hs_0123456789abcdef'],
      helpscout: { clientId: 'hs-client', clientSecret: 'hs-secret', mailbox: 1, apiUrl: 'http://127.0.0.1:9/v2/' },
    },
    { id: 'plain', apiKeys: ['sk_plain_0123456789abcdef'] },
  ],
});

let server: Server;
let base: string;
beforeAll(async () => {
  const app = createApp({
    // Nothing here may reach Temporal: a call on this stand-in throws, and the test would see a 500.
    temporal: {} as unknown as Client,
    config,
    taskQueue: 'unused',
    log: createLogger({ level: 'silent' }),
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** Posts, and counts the HMACs computed while the request was answered. */
async function post(path: string, headers: Record<string, string>, body: string) {
  const hmac = jest.spyOn(crypto, 'createHmac');
  try {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers, body });
    return { status: res.status, body: await res.json(), hmacs: hmac.mock.calls.length };
  } finally {
    hmac.mockRestore();
  }
}

describe('Slack: a stale timestamp', () => {
  const body = JSON.stringify({ type: 'event_callback', team_id: 'T1', event: { type: 'message' } });
  const signed = (timestamp: number, secret: string) =>
    `v0=${crypto.createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

  it(`is refused before any HMAC, however many apps share the endpoint (${SLACK_APPS} here)`, async () => {
    const stale = Math.floor(Date.now() / 1000) - 3600;
    const res = await post(
      '/slack/events',
      {
        'content-type': 'application/json',
        'x-slack-request-timestamp': String(stale),
        // Correctly signed for the first app: only its age is wrong.
        'x-slack-signature': signed(stale, 'signing-secret-0'),
      },
      body,
    );
    expect(res).toEqual({
      status: 401,
      body: {
        error: { code: 'slack_signature_invalid', message: 'stale (outside the 5-minute window) X-Slack-Signature' },
      },
      hmacs: 0,
    });
  });

  it('while a fresh one with a wrong signature costs one HMAC per app (the count is live)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await post(
      '/slack/events',
      {
        'content-type': 'application/json',
        'x-slack-request-timestamp': String(now),
        'x-slack-signature': signed(now, 'nobody-has-this-secret'),
      },
      body,
    );
    expect([res.status, res.hmacs]).toEqual([401, SLACK_APPS]);
  });
});

describe('Help Scout: an app without Help Scout', () => {
  const body = JSON.stringify({ id: 1 });
  const headers = (signature?: string): Record<string, string> => ({
    'content-type': 'application/json',
    'x-helpscout-event': 'convo.agent.reply.created',
    ...(signature ? { 'x-helpscout-signature': signature } : {}),
  });
  const wrong = crypto.createHmac('sha1', 'wrong').update(body).digest('base64');

  it('answers as an app with Help Scout does to a bad signature: the same 401, after the same HMACs', async () => {
    const known = await post('/helpscout/webhook/hs', headers(wrong), body);
    expect(known).toEqual({
      status: 401,
      body: { error: { code: 'helpscout_signature_invalid', message: 'wrong X-HelpScout-Signature' } },
      hmacs: 2,
    });
    // An app that exists without Help Scout, and one that does not exist at all.
    expect(await post('/helpscout/webhook/plain', headers(wrong), body)).toEqual(known);
    expect(await post('/helpscout/webhook/nobody', headers(wrong), body)).toEqual(known);
    expect(await post('/helpscout/webhook/nobody', headers(), body)).toEqual(
      await post('/helpscout/webhook/hs', headers(), body),
    );
  });

  it("accepts nothing signed for it, not even with a real app's client secret", async () => {
    const guess = crypto.createHmac('sha1', helpScoutWebhookSecret('plain', 'hs-secret')).update(body).digest('base64');
    expect((await post('/helpscout/webhook/plain', headers(guess), body)).status).toBe(401);
  });
});
