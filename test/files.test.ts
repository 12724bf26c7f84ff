/**
 * Files through the client API, end to end against a real Temporal dev server: uploads (a PNG, a PDF, a 25 MB file
 * and one byte more, types that lie), messages carrying them, signed and expiring downloads, the webhook's and
 * `GET …/messages`' shape, apps kept apart, a text-only client unchanged, and erasure taking the user's files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileUrlKeys, signFileUrl } from '../common/files';
import { agentReply, conversationState } from './helpers/agent';
import { docx, pdf, png } from './helpers/files';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { agentReplySignal } from '../workflows/definitions';
import { conversationWorkflowId } from '../common/ids';

const acmeKey = testKey('acmefiles');
const globexKey = testKey('globex');
const hookSecret = testKey('hook');
let parley: TestParley;
let hook: WebhookReceiver;
let root: string;
let acme: ReturnType<typeof apiClient>;
let globex: ReturnType<typeof apiClient>;
const MB25 = 25 * 1024 * 1024;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-files-e2e-'));
  hook = await startWebhookReceiver(hookSecret);
  const port = await freePort();
  parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      storage: { kind: 'fs', path: root },
      apps: [
        { id: 'acmefiles', apiKeys: [acmeKey], webhooks: [{ url: hook.url, secret: hookSecret }] },
        { id: 'globex', apiKeys: [globexKey] },
      ],
    }),
  });
  acme = apiClient(parley.apiUrl, acmeKey);
  globex = apiClient(parley.apiUrl, globexKey);
});
afterAll(async () => {
  await parley?.stop();
  await hook?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Uploaded {
  status: number;
  body: {
    file?: { id: string; name: string; mediaType: string; size: number; url: string };
    error?: { code: string; message: string };
  };
}

async function upload(
  bytes: Buffer,
  name: string,
  type = 'application/octet-stream',
  key = acmeKey,
  app = 'acmefiles',
): Promise<Uploaded> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${parley.apiUrl}/v1/apps/${app}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Uploaded['body'] };
}

async function download(url: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('uploading files', () => {
  it('stores a PNG and a PDF under the type their bytes have, and serves them as downloads', async () => {
    const image = png(4, 4);
    const shot = await upload(image, 'screen shot.png', 'image/png');
    expect(shot).toEqual({
      status: 201,
      body: {
        file: {
          id: expect.stringMatching(/^file_[A-Za-z0-9_-]{22}$/),
          name: 'screen shot.png',
          mediaType: 'image/png',
          size: image.length,
          url: expect.stringContaining('/files/file_'),
        },
      },
    });
    const got = await download(shot.body.file!.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(image)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="screen shot.png"; filename*=UTF-8''screen%20shot.png`,
    );
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-security-policy')).toContain('sandbox');

    const doc = pdf('Invoice 42');
    const invoice = await upload(doc, 'invoice.pdf', 'application/pdf');
    expect(invoice.status).toBe(201);
    expect(invoice.body.file).toMatchObject({ mediaType: 'application/pdf', size: doc.length });
    expect((await download(invoice.body.file!.url)).bytes.equals(doc)).toBe(true);

    // An Office document is recognised by what its ZIP holds, whatever it is sent as.
    const word = await upload(docx(), 'notes.docx');
    expect(word.body.file?.mediaType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  });

  it('takes a 25 MB file, and answers 413 to one byte more without storing it', async () => {
    const big = Buffer.alloc(MB25);
    png().copy(big);
    const ok = await upload(big, 'big.png', 'image/png');
    expect(ok.status).toBe(201);
    expect(ok.body.file?.size).toBe(MB25);
    const blobs = () => fs.readdirSync(path.join(root, 'acmefiles', 'blobs')).length;
    const before = blobs();
    const tooBig = await upload(Buffer.concat([big, Buffer.from([0])]), 'big.png', 'image/png');
    expect(tooBig).toEqual({
      status: 413,
      body: { error: { code: 'payload_too_large', message: expect.any(String) } },
    });
    expect(blobs()).toBe(before);
    expect(fs.readdirSync(path.join(root, '.incoming'))).toEqual([]);
  }, 60_000);

  it('refuses a file whose declared type lies (a .png that is HTML) and types outside the allow-list', async () => {
    const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
    expect(await upload(html, 'cat.png', 'image/png')).toEqual({
      status: 415,
      body: { error: { code: 'file_type_mismatch', message: expect.stringContaining('text/html') } },
    });
    expect((await upload(pdf(), 'cat.png', 'image/png')).body.error?.code).toBe('file_type_mismatch');
    expect((await upload(html, 'page.html', 'text/html')).body.error?.code).toBe('file_type_not_allowed');
    expect((await upload(Buffer.from('MZ\x90\x00\x03', 'latin1'), 'setup.exe')).status).toBe(415);
    expect((await upload(Buffer.alloc(0), 'empty.txt', 'text/plain')).body.error?.code).toBe('file_empty');
    // Plain text and CSV are fine.
    const csv = await upload(Buffer.from('name,plan\nJane,pro\n'), 'plans.csv', 'text/csv');
    expect(csv.body.file?.mediaType).toBe('text/csv');
  });

  it('answers 4xx to what is not one multipart file, and 401/403 to the wrong keys', async () => {
    const json = await acme('POST', '/v1/apps/acmefiles/files', { file: 'x' });
    expect(json.status).toBe(415);
    const form = new FormData();
    form.append('other', new Blob([png()]), 'a.png');
    const wrongField = await fetch(`${parley.apiUrl}/v1/apps/acmefiles/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acmeKey}` },
      body: form,
    });
    expect(wrongField.status).toBe(400);
    expect((await upload(png(), 'a.png', 'image/png', 'nope')).status).toBe(401);
    expect((await upload(png(), 'a.png', 'image/png', globexKey, 'acmefiles')).status).toBe(403);
  });
});

describe('signed download URLs', () => {
  it('refuse an expired URL, a changed one, and one moved to another app', async () => {
    const shot = await upload(png(), 'a.png', 'image/png');
    const url = new URL(shot.body.file!.url);
    const id = shot.body.file!.id;
    // Signed with acme's own key, an hour ago: a link that was valid and expired.
    const expired = signFileUrl({
      baseUrl: parley.apiUrl,
      appId: 'acmefiles',
      fileId: id,
      key: fileUrlKeys('acmefiles', [acmeKey])[0]!,
      expiresAt: Date.now() - 3600_000,
    });
    const late = await download(expired);
    expect(late.status).toBe(403);
    expect(JSON.parse(late.bytes.toString())).toEqual({ error: { code: 'url_expired', message: expect.any(String) } });

    const extended = new URL(url);
    extended.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    expect((await download(extended.toString())).status).toBe(403);
    const moved = new URL(url);
    moved.searchParams.set('app', 'globex');
    expect((await download(moved.toString())).status).toBe(403);
    expect((await download(`${parley.apiUrl}/files/${id}`)).status).toBe(403);
    expect((await download(url.toString())).status).toBe(200);
  });

  it("never lets one app's key reach another app's file", async () => {
    const shot = await upload(png(), 'a.png', 'image/png');
    const id = shot.body.file!.id;
    expect((await globex('GET', `/v1/apps/globex/files/${id}`)).status).toBe(404);
    expect((await globex('GET', `/v1/apps/acmefiles/files/${id}`)).status).toBe(403);
    const refused = await globex('POST', '/v1/apps/globex/users/g1/messages', { attachments: [{ fileId: id }] });
    expect(refused).toEqual({
      status: 400,
      body: { error: { code: 'attachment_not_found', message: expect.any(String) } },
    });
    // A URL signed with globex's keys for acme's file does not verify.
    const forged = signFileUrl({
      baseUrl: parley.apiUrl,
      appId: 'acmefiles',
      fileId: id,
      key: fileUrlKeys('acmefiles', [globexKey])[0]!,
      expiresAt: Date.now() + 60_000,
    });
    expect((await download(forged)).status).toBe(403);
    const fresh = await acme('GET', `/v1/apps/acmefiles/files/${id}`);
    expect(fresh.body.file).toMatchObject({ id, mediaType: 'image/png' });
    expect((await download(fresh.body.file.url as string)).status).toBe(200);
  });
});

describe('messages with attachments', () => {
  it('carries files on a user message, with or without text, and shows them with fresh URLs', async () => {
    const shot = await upload(png(), 'screen.png', 'image/png');
    const invoice = await upload(pdf(), 'invoice.pdf', 'application/pdf');
    const withText = await acme('POST', '/v1/apps/acmefiles/users/jane/messages', {
      text: 'Here is the screen',
      attachments: [{ fileId: shot.body.file!.id }],
    });
    expect(withText.status).toBe(202);
    expect(withText.body.message.attachments).toEqual([
      {
        id: shot.body.file!.id,
        name: 'screen.png',
        mediaType: 'image/png',
        size: shot.body.file!.size,
        url: expect.any(String),
      },
    ]);
    const alone = await acme('POST', '/v1/apps/acmefiles/users/jane/messages', {
      attachments: [{ fileId: invoice.body.file!.id }],
    });
    expect(alone.status).toBe(202);
    expect(alone.body.message.text).toBe('');

    const list = await waitFor(
      async () => {
        const r = await acme('GET', '/v1/apps/acmefiles/users/jane/messages');
        return r.status === 200 && r.body.messages.length === 2 ? r : undefined;
      },
      { what: 'both messages' },
    );
    const [first, second] = list.body.messages;
    expect(first.attachments[0]).toMatchObject({ name: 'screen.png', mediaType: 'image/png' });
    expect(second.attachments[0]).toMatchObject({ name: 'invoice.pdf', mediaType: 'application/pdf' });
    expect((await download(second.attachments[0].url as string)).bytes.equals(pdf())).toBe(true);
    // The workflow holds what describes the file, never its bytes nor a URL.
    const state = await conversationState(parley.client, 'acmefiles', 'jane');
    expect(state.messages[0]?.attachments).toEqual([
      { id: shot.body.file!.id, name: 'screen.png', mediaType: 'image/png', size: shot.body.file!.size },
    ]);
  });

  it('refuses attachments it does not have, too many of them, and an empty message', async () => {
    const missing = await acme('POST', '/v1/apps/acmefiles/users/jane/messages', {
      attachments: [{ fileId: 'file_AAAAAAAAAAAAAAAAAAAAAA' }],
    });
    expect(missing.body.error.code).toBe('attachment_not_found');
    expect(
      (await acme('POST', '/v1/apps/acmefiles/users/jane/messages', { attachments: [{ fileId: '../x' }] })).status,
    ).toBe(400);
    const shot = await upload(png(), 'a.png', 'image/png');
    const eleven = Array.from({ length: 11 }, () => ({ fileId: shot.body.file!.id }));
    expect(
      (await acme('POST', '/v1/apps/acmefiles/users/jane/messages', { attachments: eleven })).body.error.code,
    ).toBe('too_many_attachments');
    expect((await acme('POST', '/v1/apps/acmefiles/users/jane/messages', {})).status).toBe(400);
  });

  it("delivers an agent's files by webhook with signed URLs; a text-only reply's event is unchanged", async () => {
    expect((await acme('POST', '/v1/apps/acmefiles/users/joe/messages', { text: 'hello' })).status).toBe(202);
    await agentReply(parley.client, 'acmefiles', 'joe', 'slack:plain-1', 'Plain answer');
    const plain = await waitFor(() => hook.events().find((d) => d.body.data.message?.id === 'slack:plain-1'), {
      what: 'the text-only reply',
    });
    expect(Object.keys(plain.body.data.message ?? {}).sort()).toEqual(['agent', 'at', 'id', 'role', 'source', 'text']);

    const shot = await upload(png(8, 8), 'answer.png', 'image/png');
    const f = shot.body.file!;
    await parley.client.workflow.getHandle(conversationWorkflowId('acmefiles', 'joe')).signal(agentReplySignal, {
      id: 'slack:file-1',
      source: 'slack',
      agent: { name: 'Ana' },
      text: 'See the picture',
      at: new Date().toISOString(),
      attachments: [{ id: f.id, name: f.name, mediaType: f.mediaType, size: f.size }],
      actions: [{ type: 'postback', text: 'Yes', payload: 'YES' }],
    });
    const event = await waitFor(() => hook.events().find((d) => d.body.data.message?.id === 'slack:file-1'), {
      what: 'the reply with a file',
    });
    expect(event.signatureValid).toBe(true);
    const message = event.body.data.message as unknown as {
      attachments: { url: string; name: string }[];
      actions: unknown[];
    };
    expect(message.actions).toEqual([{ type: 'postback', text: 'Yes', payload: 'YES' }]);
    expect(message.attachments[0]).toMatchObject({ id: f.id, name: 'answer.png', mediaType: 'image/png' });
    expect((await download(message.attachments[0]!.url)).bytes.equals(png(8, 8))).toBe(true);
  });

  it('keeps a text-only client working exactly as before', async () => {
    const res = await acme('POST', '/v1/apps/acmefiles/users/texty/messages', { text: 'just text' });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body.message).sort()).toEqual(['at', 'id', 'role', 'text']);
    const list = await waitFor(async () => {
      const r = await acme('GET', '/v1/apps/acmefiles/users/texty/messages');
      return r.status === 200 && r.body.messages.length === 1 ? r : undefined;
    });
    expect(Object.keys(list.body.messages[0]).sort()).toEqual(['at', 'id', 'role', 'text']);
  });
});

describe('erasing a user', () => {
  it("deletes the files the user's messages carried, and no one else's", async () => {
    const mine = await upload(png(), 'mine.png', 'image/png');
    const theirs = await upload(png(), 'theirs.png', 'image/png');
    await acme('POST', '/v1/apps/acmefiles/users/eraseme/messages', { attachments: [{ fileId: mine.body.file!.id }] });
    await acme('POST', '/v1/apps/acmefiles/users/keepme/messages', { attachments: [{ fileId: theirs.body.file!.id }] });
    const erased = await acme('DELETE', '/v1/apps/acmefiles/users/eraseme');
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toContainEqual({
      system: 'parley',
      kind: 'file',
      id: mine.body.file!.id,
      detail: expect.any(String),
    });
    expect((await download(mine.body.file!.url)).status).toBe(404);
    expect((await acme('GET', `/v1/apps/acmefiles/files/${mine.body.file!.id}`)).status).toBe(404);
    expect((await download(theirs.body.file!.url)).status).toBe(200);
  });
});
