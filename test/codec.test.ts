/** Payload encryption: round trip, key rotation, the codec server's auth, and no plaintext in Temporal's history. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createEncryptionCodec, ENCRYPTED_ENCODING, parseEncryptionKeys } from '../common/codec';
import { conversationWorkflowId } from '../common/ids';
import { apiClient, startTestParley, temporalAddress, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';

const run = promisify(execFile);
const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;
const codecToken = `codec_${randomBytes(16).toString('hex')}`;
const appKey = testKey('crypt');
const config = testConfig({ apps: [{ id: 'crypt', apiKeys: [appKey] }] });
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('encryption codec', () => {
  it('round-trips payloads and reads old ones after a rotation', async () => {
    const payload = { metadata: { encoding: utf8('json/plain') }, data: utf8('{"text":"my card is 4242"}') };
    const [encrypted] = await createEncryptionCodec(parseEncryptionKeys(k1)).encode([payload]);
    expect(Buffer.from(encrypted?.metadata?.encoding ?? []).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encrypted?.data ?? []).toString('latin1')).not.toContain('4242');
    const rotated = createEncryptionCodec(parseEncryptionKeys(`${k2},${k1}`));
    const [decoded] = await rotated.decode([encrypted!]);
    expect(Buffer.from(decoded?.data ?? []).toString()).toBe('{"text":"my card is 4242"}');
    const [fresh] = await rotated.encode([payload]);
    expect(Buffer.from(fresh?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('k2');
    await expect(createEncryptionCodec(parseEncryptionKeys(k2)).decode([encrypted!])).rejects.toThrow(
      /unknown key "k1"/,
    );
    const tampered = { ...encrypted!, data: Buffer.from(encrypted!.data!).fill(1, 20, 21) };
    await expect(rotated.decode([tampered])).rejects.toThrow();
  });

  it('refuses malformed key settings without echoing the key', () => {
    expect(() => parseEncryptionKeys('k1:c2hvcnQ=')).toThrow('key "k1" must be 32 bytes');
    expect(() => parseEncryptionKeys('nokey')).toThrow(/entry 1 must be <id>:<base64 key>/);
    expect(() => parseEncryptionKeys(`${k1},${k1}`)).toThrow(/unique/);
  });
});

describe('encrypted conversations', () => {
  let parley: TestParley;
  const user = 'secretive';
  const workflowId = conversationWorkflowId('crypt', user);

  beforeAll(async () => {
    parley = await startTestParley({
      config,
      encryption: { keys: parseEncryptionKeys(k1), codecToken, corsOrigins: ['http://localhost:8233'] },
    });
  });
  afterAll(() => parley?.stop());

  /** The history as the CLI prints it, plus every payload's data base64-decoded (what a reader could see). */
  async function historyJson(extra: string[] = []): Promise<string> {
    const cli = process.env.PARLEY_TEST_TEMPORAL_CLI as string;
    const { stdout } = await run(cli, [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      temporalAddress(),
      '--output',
      'json',
      ...extra,
    ]);
    const decoded: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'data' && typeof x === 'string') decoded.push(Buffer.from(x, 'base64').toString('utf8'));
          else walk(x);
        }
      }
    };
    walk(JSON.parse(stdout));
    return `${stdout}\n${decoded.join('\n')}`;
  }

  it('keeps no plaintext in the history that the Temporal CLI reads, and decodes through the codec', async () => {
    const api = apiClient(parley.apiUrl, appKey);
    await api('PUT', `/v1/apps/crypt/users/${user}`, { givenName: 'Sigrid', email: 'sigrid@example.com' });
    await api('POST', `/v1/apps/crypt/users/${user}/messages`, { text: 'the vault code is 8812' });
    await waitFor(async () => (await api('GET', `/v1/apps/crypt/users/${user}/messages`)).body.messages?.length === 1);
    const raw = await historyJson();
    expect(raw).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
    for (const secret of ['8812', 'sigrid@example.com', 'Sigrid']) expect(raw).not.toContain(secret);
    expect(raw).not.toContain(Buffer.from('the vault code').toString('base64').slice(0, 12));
    const decoded = await historyJson([
      '--codec-endpoint',
      `${parley.apiUrl}/codec`,
      '--codec-auth',
      `Bearer ${codecToken}`,
    ]);
    expect(decoded).toContain('the vault code is 8812');
  });

  it('refuses codec calls without the token, and accepts the UI cookie and CORS origin', async () => {
    const body = JSON.stringify({
      payloads: [
        {
          metadata: { encoding: Buffer.from('json/plain').toString('base64') },
          data: Buffer.from('"x"').toString('base64'),
        },
      ],
    });
    const post = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${parley.apiUrl}/codec/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post('decode')).status).toBe(401);
    expect((await post('encode', { authorization: 'Bearer wrong-token-value' })).status).toBe(401);
    const ok = await post('encode', { authorization: `Bearer ${codecToken}` });
    expect(ok.status).toBe(200);

    const login = await fetch(`${parley.apiUrl}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${codecToken}`,
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] as string;
    expect(cookie).toMatch(/^parley_codec=/);
    const viaCookie = await post('decode', { cookie, origin: 'http://localhost:8233' });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(viaCookie.headers.get('access-control-allow-credentials')).toBe('true');
    const preflight = await fetch(`${parley.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('signs in with a session cookie that holds no token, Secure behind https', async () => {
    const body = JSON.stringify({ payloads: [] });
    const decode = (headers: Record<string, string>) =>
      fetch(`${https.apiUrl}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const https = await startTestParley({
      config: testConfig({
        server: { publicUrl: 'https://parley.example.com' },
        apps: [{ id: 'crypt', apiKeys: [appKey] }],
      }),
      worker: false,
      encryption: { keys: parseEncryptionKeys(k1), codecToken, corsOrigins: ['https://temporal.example.com'] },
    });
    try {
      const login = await fetch(`${https.apiUrl}/codec/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${codecToken}`,
      });
      expect(login.status).toBe(200);
      const setCookie = login.headers.get('set-cookie') as string;
      const attributes = setCookie.split(';').map((a) => a.trim());
      expect(attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/codec']));
      expect(setCookie).not.toContain(codecToken);
      expect(setCookie).not.toContain(encodeURIComponent(codecToken));
      const cookie = attributes[0] as string;
      expect(cookie).toMatch(/^parley_codec=[A-Za-z0-9_-]{43}$/);
      // The session decodes, as the Temporal UI does it (credentials included, from its origin).
      const viaCookie = await decode({ cookie, origin: 'https://temporal.example.com' });
      expect(viaCookie.status).toBe(200);
      // The token itself in the cookie (what a cookie used to hold) opens nothing, nor does a made-up session.
      expect((await decode({ cookie: `parley_codec=${codecToken}` })).status).toBe(401);
      expect((await decode({ cookie: `parley_codec=${'A'.repeat(43)}` })).status).toBe(401);
    } finally {
      await https.stop();
    }
    // Plain http (localhost): not Secure, or the browser would never send it back.
    const plain = await fetch(`${parley.apiUrl}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${codecToken}`,
    });
    expect(plain.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
  });

  it('reads conversations written with key 1 after rotating to key 2', async () => {
    await parley.stop();
    parley = await startTestParley({
      config,
      taskQueue: parley.taskQueue,
      encryption: { keys: parseEncryptionKeys(`${k2},${k1}`), codecToken, corsOrigins: [] },
    });
    const api = apiClient(parley.apiUrl, appKey);
    await api('POST', `/v1/apps/crypt/users/${user}/messages`, { text: 'after rotation' });
    const list = await waitFor(async () => {
      const r = await api('GET', `/v1/apps/crypt/users/${user}/messages`);
      return r.body.messages?.length === 2 ? r.body.messages : undefined;
    });
    expect(list.map((m: { text: string }) => m.text)).toEqual(['the vault code is 8812', 'after rotation']);
    const history = await parley.client.workflow.getHandle(workflowId).fetchHistory();
    const keyIds = (history.events ?? [])
      .flatMap((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? [])
      .map((p) => Buffer.from(p.metadata?.['encryption-key-id'] ?? []).toString());
    expect(keyIds.slice(-1)).toEqual(['k2']);
    expect(keyIds).toContain('k1');
  });
});
