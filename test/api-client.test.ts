/**
 * The client API's contract: auth and the keys' scopes, isolation between apps, every kind of bad input answered
 * with a 4xx, and what the ops surfaces (`/metrics`, `/readyz`) show to whom.
 */
import { startGrpcProxy } from './helpers/grpc-proxy';
import { waitFor } from './helpers/wait';
import {
  apiClient,
  startTestParley,
  temporalAddress,
  testAdminKey,
  testConfig,
  testKey,
  type TestParley,
} from './helpers/parley';

const acmeKey = testKey('acme');
const globexKey = testKey('globex');
/** A second admin key, valid beside the first: how an admin key is rotated without downtime. */
const nextAdminKey = testKey('sk_admin_next');
let parley: TestParley;
let acme: ReturnType<typeof apiClient>;
let admin: ReturnType<typeof apiClient>;

beforeAll(async () => {
  parley = await startTestParley({
    config: testConfig({
      admin: { keys: [testAdminKey, nextAdminKey] },
      apps: [
        { id: 'acme', name: 'Acme', apiKeys: [acmeKey] },
        { id: 'globex', apiKeys: [globexKey] },
      ],
    }),
  });
  acme = apiClient(parley.apiUrl, acmeKey);
  admin = apiClient(parley.apiUrl, testAdminKey);
});
afterAll(() => parley?.stop());

const messages = (user = 'u1') => `/v1/apps/acme/users/${user}/messages`;

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
}

describe('client API authentication', () => {
  it('answers 401 without a key and with a wrong key', async () => {
    expectError(await apiClient(parley.apiUrl)('POST', messages(), { text: 'hi' }), 401, 'unauthorized');
    expectError(await apiClient(parley.apiUrl, 'not-a-key')('GET', messages()), 401, 'unauthorized');
    expectError(
      await apiClient(parley.apiUrl)('POST', messages(), { text: 'hi' }, { authorization: 'Basic abc' }),
      401,
      'unauthorized',
    );
  });

  it("answers 403 to another app's key: one app never reads or writes another's data", async () => {
    expect((await acme('POST', messages('shared'), { text: 'acme secret' })).status).toBe(202);
    const globex = apiClient(parley.apiUrl, globexKey);
    expectError(await globex('GET', messages('shared')), 403, 'forbidden');
    expectError(await globex('POST', messages('shared'), { text: 'x' }), 403, 'forbidden');
    expectError(await globex('POST', '/v1/apps/acme/users/shared/archive'), 403, 'forbidden');
    // Globex's own user of the same id is a different conversation.
    expectError(await globex('GET', '/v1/apps/globex/users/shared/messages'), 404, 'conversation_not_found');
  });

  it('answers 404 for an unknown app and an unknown conversation', async () => {
    expectError(await acme('POST', '/v1/apps/nope/users/u1/messages', { text: 'hi' }), 404, 'app_not_found');
    expectError(await acme('GET', messages('never-wrote')), 404, 'conversation_not_found');
    expectError(await acme('POST', '/v1/apps/acme/users/never-wrote/archive'), 404, 'conversation_not_found');
  });
});

describe('key scopes', () => {
  /** Every route an admin key is for, with a body where it takes one. */
  const adminRoutes: [string, string, unknown?][] = [
    ['GET', '/v1/apps/acme/integrations'],
    ['POST', '/v1/apps/acme/integrations/zendesk/connect'],
    ['DELETE', '/v1/apps/acme/integrations/zendesk'],
    ['POST', '/v1/apps/acme/integrations/helpscout/connect'],
    ['DELETE', '/v1/apps/acme/integrations/helpscout'],
    ['POST', '/v1/apps/acme/integrations/sink/check'],
    ['POST', '/v1/apps/acme/users/scoped/outboxes/resume', {}],
  ];

  it("refuses an app's client key on the admin routes: 403 forbidden_scope", async () => {
    expect((await acme('POST', messages('scoped'), { text: 'hello' })).status).toBe(202);
    for (const [method, path, body] of adminRoutes) {
      const res = await acme(method, path, body);
      expect([method, path, res.status, res.body]).toEqual([
        method,
        path,
        403,
        { error: { code: 'forbidden_scope', message: expect.stringContaining('admin key') } },
      ]);
    }
    // Another app's client key is still refused as another app's.
    expectError(await apiClient(parley.apiUrl, globexKey)('GET', '/v1/apps/acme/integrations'), 403, 'forbidden');
  });

  it('lets an admin key manage any app, and several admin keys work at once', async () => {
    expect(await admin('GET', '/v1/apps/acme/integrations')).toEqual({ status: 200, body: { integrations: [] } });
    expect(await admin('GET', '/v1/apps/globex/integrations')).toEqual({ status: 200, body: { integrations: [] } });
    // Past the scope: the app has no Zendesk, which is what the admin hears.
    expectError(await admin('POST', '/v1/apps/acme/integrations/zendesk/connect'), 404, 'integration_not_configured');
    expect((await acme('POST', messages('scoped'), { text: 'again' })).status).toBe(202);
    expect(await admin('POST', '/v1/apps/acme/users/scoped/outboxes/resume', {})).toEqual({
      status: 202,
      body: { conversationId: 'conversation:acme:scoped', resumed: 'all' },
    });
    const next = apiClient(parley.apiUrl, nextAdminKey);
    expect((await next('GET', '/v1/apps/acme/integrations')).status).toBe(200);
    expectError(await admin('GET', '/v1/apps/nope/integrations'), 404, 'app_not_found');
    expectError(
      await apiClient(parley.apiUrl, `${testAdminKey}x`)('GET', '/v1/apps/acme/integrations'),
      401,
      'unauthorized',
    );
  });

  it("refuses an admin key on the client routes: it does not act for an app's users", async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', messages('not-by-admin'), { text: 'posted by an admin?' }],
      ['PUT', '/v1/apps/acme/users/not-by-admin', { givenName: 'Mallory' }],
      ['GET', messages('scoped')],
      ['GET', '/v1/apps/acme/users/scoped/conversation'],
      ['POST', '/v1/apps/acme/users/scoped/archive'],
    ];
    for (const [method, path, body] of routes) {
      const res = await admin(method, path, body);
      expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 403, 'forbidden_scope']);
    }
    // Nothing of it reached a conversation.
    expectError(await acme('GET', messages('not-by-admin')), 404, 'conversation_not_found');
    expect((await acme('GET', '/v1/apps/acme/users/scoped/conversation')).body.status).toBe('active');
  });
});

describe('client API input validation', () => {
  it('rejects malformed JSON', async () => {
    expectError(await acme('POST', messages(), '{"text": "hi"'), 400, 'invalid_json');
  });

  it('rejects unknown fields, missing, empty and oversized text', async () => {
    expectError(await acme('POST', messages(), { text: 'hi', colour: 'red' }), 400, 'invalid_request');
    expectError(await acme('POST', messages(), {}), 400, 'invalid_request');
    expectError(await acme('POST', messages(), { text: '' }), 400, 'invalid_request');
    expectError(await acme('POST', messages(), { text: '   \n ' }), 400, 'invalid_request');
    expectError(await acme('POST', messages(), { text: 'x'.repeat(8001) }), 400, 'invalid_request');
    expectError(await acme('POST', messages(), { text: 42 }), 400, 'invalid_request');
    expectError(await acme('POST', messages(), ['text']), 400, 'invalid_request');
    expectError(await acme('POST', messages(), { text: 'hi', id: 'has spaces' }), 400, 'invalid_request');
    const res = await acme('POST', messages(), { text: '' });
    expect(res.body.error.message).toMatch(/text: must not be empty/);
  });

  it('rejects a body over the limit with 413 and a non-JSON body with 415', async () => {
    expectError(
      await acme('POST', messages(), { text: 'hi', metadata: { blob: 'x'.repeat(70_000) } }),
      413,
      'payload_too_large',
    );
    expectError(
      await acme('POST', messages(), 'text=hi', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    );
  });

  it('rejects bad profiles and overlong user ids', async () => {
    expectError(await acme('PUT', '/v1/apps/acme/users/u1', { email: 'not-an-email' }), 400, 'invalid_request');
    expectError(await acme('PUT', '/v1/apps/acme/users/u1', { nickname: 'x' }), 400, 'invalid_request');
    expectError(await acme('POST', messages('u'.repeat(300)), { text: 'hi' }), 400, 'invalid_user_id');
    // A NUL (or any control character) in a user id would reach workflow ids, headers and mail subjects.
    expectError(await acme('POST', messages('a%00b'), { text: 'hi' }), 400, 'invalid_user_id');
  });

  it('answers unknown routes with a JSON 404', async () => {
    expectError(await acme('GET', '/v2/whatever'), 404, 'not_found');
  });
});

describe('service endpoints', () => {
  it('serves health, readiness and an OpenAPI document generated from the schemas', async () => {
    const anon = apiClient(parley.apiUrl);
    expect(await anon('GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    // Anyone learns ready or not; an admin key also sees the checks.
    expect(await anon('GET', '/readyz')).toEqual({ status: 200, body: { ready: true } });
    expect(await admin('GET', '/readyz')).toEqual({
      status: 200,
      body: {
        ready: true,
        status: 'ready',
        checks: { temporal: { ok: true }, searchAttributes: { ok: true }, worker: { ok: true } },
      },
    });
    expect(await acme('GET', '/readyz')).toEqual({ status: 200, body: { ready: true } });
    const doc = (await anon('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/apps/{appId}/users/{userId}/messages', '/v1/apps/{appId}/users/{userId}/archive']),
    );
    expect(doc.components.schemas.PostMessage.properties.text).toMatchObject({ type: 'string', maxLength: 8000 });
    expect(doc.components.schemas.PostMessage.additionalProperties).toBe(false);
  });

  it('reports not ready when no worker polls the task queue', async () => {
    const apiOnly = await startTestParley({ config: parley.config, worker: false });
    try {
      expect(await apiClient(apiOnly.apiUrl)('GET', '/readyz')).toEqual({ status: 503, body: { ready: false } });
      const ready = await apiClient(apiOnly.apiUrl, testAdminKey)('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.worker.ok).toBe(false);
      expect(ready.body.checks.temporal.ok).toBe(true);
    } finally {
      await apiOnly.stop();
    }
  });

  it('answers a flood of anonymous /readyz from one check, and shows nobody but an admin what failed', async () => {
    const proxy = await startGrpcProxy(temporalAddress());
    // No worker: each check then asks Temporal three things (system info, search attributes, task-queue pollers).
    const apiOnly = await startTestParley({ config: parley.config, worker: false, temporalAddress: proxy.address });
    try {
      const anon = apiClient(apiOnly.apiUrl);
      const before = proxy.total();
      const answers = await Promise.all(Array.from({ length: 100 }, () => anon('GET', '/readyz')));
      const cost = proxy.total() - before;
      // One check (three calls) answers them all; a slow machine may straddle two. Before the cache: 300.
      const calls = proxy.calls();
      expect([cost <= 6, cost, calls]).toEqual([true, cost, calls]);
      expect(answers.every((a) => a.status === 503 && JSON.stringify(a.body) === '{"ready":false}')).toBe(true);

      // Temporal gone: the admin sees why, with the address; anyone else only that Parley is not ready.
      await proxy.close();
      const detail = await waitFor(
        async () => {
          const r = await apiClient(apiOnly.apiUrl, testAdminKey)('GET', '/readyz');
          return r.body.checks?.temporal?.ok === false ? (r.body.checks.temporal.detail as string) : undefined;
        },
        { what: 'readiness to see Temporal gone', timeoutMs: 20_000 },
      );
      expect(detail.length).toBeGreaterThan(0);
      const res = await fetch(`${apiOnly.apiUrl}/readyz`);
      const text = await res.text();
      expect([res.status, text]).toEqual([503, '{"ready":false}']);
    } finally {
      await apiOnly.stop();
      await proxy.close().catch(() => undefined);
    }
  });

  it('serves /metrics on the public port to admin keys only', async () => {
    expectError(await apiClient(parley.apiUrl)('GET', '/metrics'), 401, 'unauthorized');
    expectError(await apiClient(parley.apiUrl, 'not-a-key-at-all')('GET', '/metrics'), 401, 'unauthorized');
    expectError(await acme('GET', '/metrics'), 403, 'forbidden_scope');
    const res = await fetch(`${parley.apiUrl}/metrics`, { headers: { authorization: `Bearer ${nextAdminKey}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('parley_http_requests_total');
  });
});
