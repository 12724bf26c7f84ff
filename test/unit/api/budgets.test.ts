/**
 * The client API's byte budgets, through the real app without Temporal: every case is refused before anything is
 * sent (the stand-in client throws if touched, which would be a 500), with a 4xx naming the field and its limit.
 * The review's cases: metadata 2,000 levels deep (a stack overflow, 500, before), 8,000 control characters (48 kB in
 * Temporal's JSON), 60 kB of metadata, user ids of 120 CJK characters or 128 emoji (workflow ids over 1,000 bytes).
 */
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createApp } from '../../../api/app';
import { configSchema } from '../../../common/config';
import { createLogger } from '../../../common/logger';

const key = 'sk_budget_0123456789abcdef';
const config = configSchema.parse({ apps: [{ id: 'acme', apiKeys: [key] }] });

let server: Server;
let base: string;
beforeAll(async () => {
  const app = createApp({
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

async function call(method: string, path: string, body?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
}

const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

describe('message budgets', () => {
  it('refuses metadata 2,000 levels deep with a 400 naming the depth limit, not a stack overflow', async () => {
    const res = await call('POST', '/v1/apps/acme/users/jane/messages', `{"text":"hi","metadata":${deep(2000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/levels deep, over the limit of 64 levels/);
  });

  it('refuses metadata 20 levels deep (under the body limit, over the field limit) naming `metadata`', async () => {
    const res = await call('POST', '/v1/apps/acme/users/jane/messages', `{"text":"hi","metadata":${deep(20)}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^metadata: nested more than 16 levels deep/);
  });

  it('refuses 8,000 control characters (48 kB as Temporal stores them) with a 413 naming text and the limit', async () => {
    const res = await call(
      'POST',
      '/v1/apps/acme/users/jane/messages',
      JSON.stringify({ text: 'a\u0001'.repeat(4000) }),
    );
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({
      code: 'payload_too_large',
      message: expect.stringMatching(/^text: 28000 bytes as JSON .* over the limit of 24000 bytes/),
    });
  });

  it('refuses 60 kB of metadata naming metadata and its limit', async () => {
    const res = await call(
      'POST',
      '/v1/apps/acme/users/jane/messages',
      JSON.stringify({ text: 'hi', metadata: { blob: 'x'.repeat(60_000) } }),
    );
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/^metadata: 600\d\d bytes as JSON .* over the limit of 8192 bytes/);
  });

  it('still refuses 8,001 characters as before (400), whatever they are', async () => {
    const res = await call('POST', '/v1/apps/acme/users/jane/messages', JSON.stringify({ text: 'y'.repeat(8001) }));
    expect(res.status).toBe(400);
  });
});

describe('profile budgets', () => {
  it('refuses properties over 8 KiB, and device nested too deep', async () => {
    const big = await call('PUT', '/v1/apps/acme/users/jane', JSON.stringify({ properties: { x: 'p'.repeat(9000) } }));
    expect(big.status).toBe(413);
    expect(big.body.error.message).toMatch(/^properties: .* over the limit of 8192 bytes/);
    const nested = await call('PUT', '/v1/apps/acme/users/jane', `{"device":${deep(30)}}`);
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toMatch(/^device: nested/);
  });
});

describe('user ids by encoded length', () => {
  it.each([
    ['120 CJK characters', '漢'.repeat(120)],
    ['128 emoji', '😀'.repeat(128)],
  ])('refuses %s (a workflow id over 1,000 bytes) with 400 invalid_user_id', async (_label, userId) => {
    for (const [method, suffix, body] of [
      ['POST', '/messages', '{"text":"hi"}'],
      ['PUT', '', '{}'],
      ['GET', '/conversation', undefined],
    ] as const) {
      const res = await call(method, `/v1/apps/acme/users/${encodeURIComponent(userId)}${suffix}`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_user_id');
      expect(res.body.error.message).toMatch(/over Temporal's limit of 1000 bytes/);
    }
  });

  it('takes a long id that fits (100 CJK characters: 900 bytes encoded) as far as Temporal', async () => {
    // The stand-in client throws when touched: reaching it (a 500 here) shows the id passed every check.
    const res = await call(
      'POST',
      `/v1/apps/acme/users/${encodeURIComponent('漢'.repeat(100))}/messages`,
      '{"text":"hi"}',
    );
    expect(res.status).toBe(500);
  });
});

it('refuses a body nested deeper than 64 levels on every client route before authentication matters', async () => {
  const res = await fetch(`${base}/v1/apps/acme/users/jane/outboxes/resume`, {
    method: 'POST',
    headers: { authorization: `Bearer ${crypto.randomBytes(8).toString('hex')}`, 'content-type': 'application/json' },
    body: `{"outbox":${deep(5000)}}`,
  });
  expect(res.status).toBe(400);
});
