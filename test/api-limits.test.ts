/**
 * The client API's rate limits against a real dev server (`apps[].limits`: per app, per user, new conversations per
 * minute) and Temporal unreachable as the API answers it: `429 rate_limited` and `503 temporal_unavailable`, both
 * with `Retry-After`, never a 500.
 */
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { createApp } from '../api/app';
import { createLogger } from '../common/logger';
import { helpScoutWebhookSecret } from '../integrations/helpscout/verify';
import { freePort } from './helpers/ports';
import { startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';

const key = testKey('limited');
const config = testConfig({
  apps: [
    {
      id: 'limited',
      apiKeys: [key],
      limits: { newConversationsPerMinute: 3, perUser: { messagesPerSecond: 0.5, burst: 3 } },
      helpscout: { clientId: 'hs', clientSecret: 'hs-secret-limits', mailbox: 1, apiUrl: 'http://127.0.0.1:9/v2/' },
    },
  ],
});

async function post(base: string, path: string, body: unknown, method = 'POST') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { error?: { code: string; message: string } },
  };
}

describe('rate limits', () => {
  let parley: TestParley;
  beforeAll(async () => {
    parley = await startTestParley({ config, worker: false });
  });
  afterAll(async () => {
    await parley?.stop();
  });

  it("answers 429 rate_limited with Retry-After and X-RateLimit-* once a user's burst is spent", async () => {
    const answers = [];
    for (let i = 1; i <= 4; i++)
      answers.push(await post(parley.apiUrl, '/v1/apps/limited/users/jane/messages', { text: `m${i}` }));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429]);
    expect(answers[0]?.headers.get('x-ratelimit-limit')).toBe('3');
    expect(answers[0]?.headers.get('x-ratelimit-remaining')).toBe('2');
    const refused = answers[3];
    expect(refused?.body.error?.code).toBe('rate_limited');
    expect(refused?.body.error?.message).toMatch(/limits.perUser: 0.5\/s, burst 3/);
    expect(refused?.headers.get('retry-after')).toBe('2');
    expect(refused?.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused?.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(2);
  });

  it('limits new conversations per minute, while known conversations go on', async () => {
    // jane (above) was the first new conversation of this app.
    const a = await post(parley.apiUrl, '/v1/apps/limited/users/amy/messages', { text: 'hi' });
    const b = await post(parley.apiUrl, '/v1/apps/limited/users/ben', { givenName: 'Ben' }, 'PUT');
    const c = await post(parley.apiUrl, '/v1/apps/limited/users/cy/messages', { text: 'hi' });
    expect([a.status, b.status, c.status]).toEqual([202, 202, 429]);
    expect(c.body.error?.message).toMatch(/new conversations \(limits.newConversationsPerMinute: 3\)/);
    expect(Number(c.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // amy's conversation exists: her next message is not a new conversation.
    expect((await post(parley.apiUrl, '/v1/apps/limited/users/amy/messages', { text: 'again' })).status).toBe(202);
  });
});

describe('Temporal unreachable', () => {
  let server: Server;
  let base: string;
  let connection: Connection;
  beforeAll(async () => {
    // The SDK retries UNAVAILABLE for about 20 s before giving up; one attempt keeps the test short.
    connection = Connection.lazy({
      address: `127.0.0.1:${await freePort()}`,
      connectTimeout: 500,
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
    });
    const app = createApp({
      temporal: new Client({ connection }),
      config,
      taskQueue: 'unused',
      log: createLogger({ level: 'silent' }),
      readiness: () => Promise.resolve({ ready: false, checks: {} }),
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await connection.close();
  });

  it.each([
    ['POST', '/v1/apps/limited/users/zed/messages', { text: 'hi' }],
    ['PUT', '/v1/apps/limited/users/zed', { givenName: 'Zed' }],
    ['POST', '/v1/apps/limited/users/zed/archive', {}],
    ['GET', '/v1/apps/limited/users/zed/conversation', undefined],
  ] as const)('%s %s answers 503 temporal_unavailable with Retry-After', async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('temporal_unavailable');
  });

  it('a signed Help Scout reply answers 503 (Help Scout delivers it again), not 500', async () => {
    const body = JSON.stringify({
      id: 77,
      _embedded: {
        threads: [
          {
            id: 5,
            type: 'reply',
            body: 'Hello',
            createdAt: '2026-12-01T00:00:00Z',
            createdBy: { type: 'user', first: 'Ana' },
          },
        ],
      },
    });
    const signature = crypto
      .createHmac('sha1', helpScoutWebhookSecret('limited', 'hs-secret-limits'))
      .update(body)
      .digest('base64');
    const res = await fetch(`${base}/helpscout/webhook/limited`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-helpscout-signature': signature,
        'x-helpscout-event': 'convo.agent.reply.created',
      },
      body,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
  });
});
