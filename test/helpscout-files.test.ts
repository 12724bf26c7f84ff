/**
 * Users' files into Help Scout, end to end: uploaded to Parley, attached to a message, and sent by the worker as the
 * `attachments` of the user's customer thread (base64), both when the message opens the conversation and when it
 * follows. The emulator lists them in the thread's `_embedded.attachments` and serves their data. A file gone from
 * Parley's store is named in the thread; a file over Help Scout's 10 MB is named, not sent. And back: an agent's
 * attachment on a reply reaches the app's webhook as a Parley file with a working signed URL.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conversationState } from './helpers/agent';
import { pdf, png } from './helpers/files';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startHelpScoutEmulator, type HelpScoutEmulator } from './emulators/helpscout';

const APP = 'hsfiles';
const key = testKey(APP);
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let receiver: WebhookReceiver;
let hs: HelpScoutEmulator;
let parley: TestParley;
let root: string;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-helpscout-files-'));
  hs = await startHelpScoutEmulator({ mailboxes: [{ name: 'Support' }] });
  receiver = await startWebhookReceiver(secret);
  const port = await freePort();
  parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      storage: { kind: 'fs', path: root },
      apps: [
        {
          id: APP,
          name: 'Acme',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          helpscout: { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox: 'Support', apiUrl: hs.apiUrl },
        },
      ],
    }),
  });
  api = apiClient(parley.apiUrl, key);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await hs?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function upload(bytes: Buffer, name: string, type: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${parley.apiUrl}/v1/apps/${APP}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { file: { id: string } }).file.id;
}

async function conversationOf(user: string): Promise<number> {
  return Number(
    await waitFor(async () => (await conversationState(parley.client, APP, user)).refs.helpscoutConversationId, {
      what: `${user}'s conversation`,
      timeoutMs: 20_000,
    }),
  );
}

const customerThreads = (conversation: number) =>
  hs.conversation(conversation)?.threads.filter((t) => t.type === 'customer') ?? [];

/** The thread as the API shows it, and the data of its attachments, read the way an API client would. */
async function apiAttachments(conversation: number, threadId: number) {
  const token = (await (
    await fetch(`${hs.baseUrl}/v2/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: hs.clientId,
        client_secret: hs.clientSecret,
      }),
    })
  ).json()) as { access_token: string };
  const auth = { authorization: `Bearer ${token.access_token}` };
  const threads = (await (
    await fetch(`${hs.apiUrl}conversations/${conversation}/threads`, { headers: auth })
  ).json()) as {
    _embedded: {
      threads: {
        id: number;
        _embedded: {
          attachments: { filename: string; mimeType: string; size: number; _links: { data: { href: string } } }[];
        };
      }[];
    };
  };
  const thread = threads._embedded.threads.find((t) => t.id === threadId)!;
  return Promise.all(
    thread._embedded.attachments.map(async (a) => {
      const { data } = (await (await fetch(a._links.data.href, { headers: auth })).json()) as { data: string };
      return { filename: a.filename, mimeType: a.mimeType, size: a.size, bytes: Buffer.from(data, 'base64') };
    }),
  );
}

describe('files from users into Help Scout', () => {
  it("sends a PNG with the message that opens the conversation and a PDF with the next, as the user's bytes", async () => {
    const image = png(10, 10);
    const doc = pdf('Invoice 3');
    const first = await upload(image, 'screen.png', 'image/png');
    expect(
      (
        await api('POST', `/v1/apps/${APP}/users/jane/messages`, {
          text: 'It breaks',
          attachments: [{ fileId: first }],
        })
      ).status,
    ).toBe(202);
    const conversation = await conversationOf('jane');
    const opening = await waitFor(() => customerThreads(conversation)[0], { what: 'the opening thread' });
    expect(opening.text).toContain('It breaks');
    expect(await apiAttachments(conversation, opening.id)).toEqual([
      { filename: 'screen.png', mimeType: 'image/png', size: image.length, bytes: image },
    ]);

    const second = await upload(doc, 'invoice.pdf', 'application/pdf');
    await api('POST', `/v1/apps/${APP}/users/jane/messages`, { attachments: [{ fileId: second }] });
    const next = await waitFor(() => customerThreads(conversation).find((t) => t.text.includes('invoice.pdf')), {
      what: 'the thread of the PDF',
    });
    expect(await apiAttachments(conversation, next.id)).toEqual([
      { filename: 'invoice.pdf', mimeType: 'application/pdf', size: doc.length, bytes: doc },
    ]);
  });

  it('names a file no longer stored, and one over 10 MB, and sends the rest', async () => {
    const image = png(3, 3);
    const kept = await upload(image, 'kept.png', 'image/png');
    const lost = await upload(pdf('Gone'), 'lost.pdf', 'application/pdf');
    const bigBytes = Buffer.alloc(11 * 1024 * 1024);
    png().copy(bigBytes);
    const big = await upload(bigBytes, 'big.png', 'image/png');
    // Its bytes gone from the store (its record left, so the API still takes the message): the worker finds it gone.
    fs.rmSync(path.join(root, APP, 'blobs', lost));
    const res = await api('POST', `/v1/apps/${APP}/users/joe/messages`, {
      text: 'Three files',
      attachments: [{ fileId: kept }, { fileId: lost }, { fileId: big }],
    });
    expect(res.status).toBe(202);
    const conversation = await conversationOf('joe');
    const thread = await waitFor(() => customerThreads(conversation).find((t) => t.text.includes('Three files')), {
      what: "joe's thread",
    });
    expect(thread.text).toContain('(no longer stored: lost.pdf)');
    expect(thread.text).toContain('(too large to attach: big.png)');
    expect((thread.attachments ?? []).map((a) => [a.filename, a.bytes.equals(image)])).toEqual([['kept.png', true]]);
  }, 60_000);
});

describe('files from Help Scout agents', () => {
  it("relays an agent's attachment to the app's webhook with a signed URL serving the agent's bytes", async () => {
    await api('POST', `/v1/apps/${APP}/users/kim/messages`, { text: 'Any news?' });
    const conversation = await conversationOf('kim');
    // Parley's webhook in Help Scout, made as an operator does (an admin key).
    expect(
      (await apiClient(parley.apiUrl, testAdminKey)('POST', `/v1/apps/${APP}/integrations/helpscout/connect`)).status,
    ).toBe(200);
    const fix = pdf('The fix');
    const agentId = hs.addUser({ first: 'Hana', last: 'Scout', email: 'hana@acme.example' }).id;
    const result = await hs.agentReply(conversation, agentId, 'Here is the fix', {
      attachments: [{ name: 'fix.pdf', mimeType: 'application/pdf', bytes: fix }],
    });
    expect(result.deliveries[0]?.status).toBe(200);
    const event = await waitFor(() => receiver.events().find((d) => d.body.userId === 'kim'), {
      what: "the agent's reply at the app",
    });
    const message = event.body.data.message as {
      text: string;
      attachments?: { name: string; mediaType: string; size: number; url: string }[];
    };
    expect(message.text).toBe('Here is the fix');
    expect(message.attachments?.map((a) => [a.name, a.mediaType, a.size])).toEqual([
      ['fix.pdf', 'application/pdf', fix.length],
    ]);
    const got = await fetch(message.attachments![0]!.url);
    expect(Buffer.from(await got.arrayBuffer()).equals(fix)).toBe(true);
  });
});
