/** The client API's contract: auth, isolation between apps, and every kind of bad input answered with a 4xx. */
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';

const acmeKey = testKey('acme');
const globexKey = testKey('globex');
let parley: TestParley;
let acme: ReturnType<typeof apiClient>;

beforeAll(async () => {
  parley = await startTestParley({
    config: testConfig({
      apps: [
        { id: 'acme', name: 'Acme', apiKeys: [acmeKey] },
        { id: 'globex', apiKeys: [globexKey] },
      ],
    }),
  });
  acme = apiClient(parley.apiUrl, acmeKey);
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
    const ready = await anon('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ temporal: { ok: true }, searchAttributes: { ok: true }, worker: { ok: true } });
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
      const ready = await apiClient(apiOnly.apiUrl)('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.worker.ok).toBe(false);
      expect(ready.body.checks.temporal.ok).toBe(true);
    } finally {
      await apiOnly.stop();
    }
  });
});
