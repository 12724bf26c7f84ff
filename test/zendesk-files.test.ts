/**
 * Users' files into Zendesk, end to end: uploaded to Parley, attached to a message, uploaded by the worker into
 * Zendesk's Attachments API and attached by token to the user's public comment (the emulator keeps the bytes and
 * serves them at `content_url` to the API's credentials). A file gone from Parley's store is named in the comment.
 * And back: an agent's attachment on a public comment reaches the app's webhook as a Parley file with a working
 * signed URL; a type Parley does not accept is named in the reply's text instead.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conversationState } from './helpers/agent';
import { pdf, png } from './helpers/files';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

const APP = 'zdfiles';
const key = testKey(APP);
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let receiver: WebhookReceiver;
let agent: number;
let zd: ZendeskEmulator;
let parley: TestParley;
let root: string;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-zendesk-files-'));
  zd = await startZendeskEmulator();
  agent = zd.addAgent({ name: 'Zoe Desk', email: 'zoe@acme.example' }).id;
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
          zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
        },
      ],
    }),
  });
  api = apiClient(parley.apiUrl, key);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await zd?.close();
  fs.rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  expect(zd.warnings).toEqual([]);
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

async function ticketOf(user: string): Promise<number> {
  return Number(
    await waitFor(async () => (await conversationState(parley.client, APP, user)).refs.zendeskTicketId, {
      what: `${user}'s ticket`,
      timeoutMs: 20_000,
    }),
  );
}

const authorization = () => `Basic ${Buffer.from(`${zd.email}/token:${zd.apiToken}`).toString('base64')}`;

describe('files from users into Zendesk', () => {
  it("attaches a PNG and a PDF to the user's comment, as the bytes the user sent", async () => {
    const image = png(12, 12);
    const doc = pdf('Invoice 9');
    const ids = [await upload(image, 'screen.png', 'image/png'), await upload(doc, 'invoice.pdf', 'application/pdf')];
    const res = await api('POST', `/v1/apps/${APP}/users/jane/messages`, {
      text: 'It breaks here',
      attachments: ids.map((fileId) => ({ fileId })),
    });
    expect(res.status).toBe(202);
    const ticket = await ticketOf('jane');
    const comment = await waitFor(() => zd.ticket(ticket)?.comments.find((c) => c.attachments.length > 0), {
      what: 'the comment with its files',
    });
    expect(comment.public).toBe(true);
    expect(comment.body).toContain('It breaks here');
    expect(comment.attachments.map((a) => [a.file_name, a.content_type, a.size])).toEqual([
      ['screen.png', 'image/png', image.length],
      ['invoice.pdf', 'application/pdf', doc.length],
    ]);
    // One upload, its token passed along: the comment names one token.
    expect(zd.callCount('POST', '/api/v2/uploads')).toBe(2);
    expect(zd.uploads().filter((u) => u.attached)).toHaveLength(1);
    // What an agent downloads from the comment is what the user sent.
    const listed = (await (
      await fetch(`${zd.url}/api/v2/tickets/${ticket}/comments.json`, { headers: { authorization: authorization() } })
    ).json()) as { comments: { attachments: { file_name: string; content_url: string }[] }[] };
    const urls = listed.comments.flatMap((c) => c.attachments);
    const got = await fetch(urls[0]!.content_url, { headers: { authorization: authorization() } });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(image)).toBe(true);
    const doc2 = await fetch(urls[1]!.content_url, { headers: { authorization: authorization() } });
    expect(Buffer.from(await doc2.arrayBuffer()).equals(doc)).toBe(true);
  });

  it('names a file no longer stored, and still attaches the others', async () => {
    const image = png(4, 4);
    const kept = await upload(image, 'kept.png', 'image/png');
    const lost = await upload(pdf('Gone'), 'lost.pdf', 'application/pdf');
    // Its bytes gone from the store (its record left, so the API still takes the message): the worker finds it gone.
    fs.rmSync(path.join(root, APP, 'blobs', lost));
    const res = await api('POST', `/v1/apps/${APP}/users/joe/messages`, {
      text: 'Two files',
      attachments: [{ fileId: kept }, { fileId: lost }],
    });
    expect(res.status).toBe(202);
    const ticket = await ticketOf('joe');
    const comment = await waitFor(() => zd.ticket(ticket)?.comments.find((c) => c.body.includes('Two files')), {
      what: "joe's comment",
    });
    expect(comment.body).toContain('(no longer stored: lost.pdf)');
    expect(comment.attachments.map((a) => a.file_name)).toEqual(['kept.png']);
    expect(comment.attachments[0]!.bytes.equals(image)).toBe(true);
  });

  it('posts a text-only message as before, with no upload', async () => {
    const before = zd.callCount('POST', '/api/v2/uploads');
    await api('POST', `/v1/apps/${APP}/users/ann/messages`, { text: 'Just text' });
    const ticket = await ticketOf('ann');
    const comment = await waitFor(() => zd.ticket(ticket)?.comments.find((c) => c.body === 'Just text'));
    expect(comment.attachments).toEqual([]);
    expect(zd.callCount('POST', '/api/v2/uploads')).toBe(before);
  });
});

interface AgentAttachment {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  url: string;
}

describe('files from Zendesk agents', () => {
  it("relays an agent's attachment to the app's webhook with a signed URL serving the agent's bytes", async () => {
    await api('POST', `/v1/apps/${APP}/users/kim/messages`, { text: 'Any news?' });
    const ticket = await ticketOf('kim');
    await waitFor(() => zd.ticket(ticket)?.comments.some((c) => c.body === 'Any news?'));
    const fix = png(8, 8, [10, 200, 10]);
    const result = await zd.agentComment(ticket, agent, 'Here is the fix', {
      attachments: [
        { name: 'fix.png', contentType: 'image/png', bytes: fix },
        { name: 'run.sh', contentType: 'application/x-sh', bytes: Buffer.from('#!/bin/sh\nrm -rf /\n') },
      ],
    });
    expect(result.deliveries[0]?.status).toBe(200);
    const event = await waitFor(() => receiver.events().find((d) => d.body.userId === 'kim'), {
      what: "the agent's reply at the app",
    });
    const message = event.body.data.message as { text: string; attachments?: AgentAttachment[] };
    // The script's bytes are text, but it claims application/x-sh: refused, and named in the reply instead.
    expect(message.text).toBe('Here is the fix\n(not relayed: run.sh)');
    expect(message.attachments?.map((a) => [a.name, a.mediaType, a.size])).toEqual([
      ['fix.png', 'image/png', fix.length],
    ]);
    const got = await fetch(message.attachments![0]!.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(fix)).toBe(true);
  });

  it("turns an agent's shorthand in a Zendesk comment into buttons and an image; the user's tap comes back", async () => {
    await api('POST', `/v1/apps/${APP}/users/lee/messages`, { text: 'Is it fixed?' });
    const ticket = await ticketOf('lee');
    await waitFor(() => zd.ticket(ticket)?.comments.some((c) => c.body === 'Is it fixed?'));
    const text =
      'Did this help? %[Yes](postback:YES) %[No](reply:NO) %[The guide](https://docs.example/fix)\n' +
      '![](https://cdn.example/fix.png)';
    const result = await zd.agentComment(ticket, agent, text);
    expect(result.deliveries[0]?.status).toBe(200);
    const event = await waitFor(
      () => receiver.events().find((d) => d.body.userId === 'lee' && d.body.type === 'message:agent'),
      { what: "the agent's reply at the app" },
    );
    const message = event.body.data.message as {
      text: string;
      actions?: { type: string; text: string; payload?: string; uri?: string }[];
      attachments?: { name: string; mediaType: string; url: string }[];
    };
    expect(message.actions).toEqual([
      { type: 'postback', text: 'Yes', payload: 'YES' },
      { type: 'reply', text: 'No', payload: 'NO' },
      { type: 'link', text: 'The guide', uri: 'https://docs.example/fix' },
    ]);
    expect(message.attachments?.map((a) => [a.mediaType, a.url])).toEqual([
      ['image/png', 'https://cdn.example/fix.png'],
    ]);
    expect(message.text).not.toContain('%[');

    // The user taps Yes: the agent reads it in the ticket.
    const tap = await api('POST', `/v1/apps/${APP}/users/lee/messages`, { postback: { payload: 'YES', text: 'Yes' } });
    expect(tap.status).toBe(202);
    await waitFor(() => zd.ticket(ticket)?.comments.some((c) => c.body?.includes('The user tapped *Yes*')), {
      what: 'the tap in the ticket',
    });
  });
});
