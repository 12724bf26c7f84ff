/**
 * Agents' files from Slack, end to end (threads mode): "Send to user" on a note with a PNG, and a thread reply
 * sharing a PNG, reach the app's webhook as Parley files whose signed URL serves the agent's bytes (fetched from
 * the emulator's `url_private_download` with the bot token). A file over `storage.maxFileBytes` or of a type Parley
 * does not accept is named in the reply's text instead. The real API and worker, a real Temporal dev server.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { conversationState } from './helpers/agent';
import { png } from './helpers/files';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from './helpers/webhook-receiver';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';

const APP = 'slack-agent-files';
const key = testKey(APP);
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const ANA = 'U0ANAFILES';
const MAX_FILE_BYTES = 20_000;
let slack: SlackEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
let root: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-slack-agent-files-'));
  slack = await startSlackEmulator();
  slack.addUser({ id: ANA, name: 'ana', realName: 'Ana Agent', email: 'ana@files.example' });
  const web = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  await web.conversations.create({ name: 'support' });
  receiver = await startWebhookReceiver(secret);
  // The signed URLs the app gets name Parley's public URL: this Parley's own port.
  const port = await freePort();
  parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      storage: { kind: 'fs', path: root, maxFileBytes: MAX_FILE_BYTES },
      apps: [
        {
          id: APP,
          name: 'Files',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            apiUrl: slack.apiUrl,
            dispatchChannel: 'support',
            mode: 'threads',
            agents: [ANA],
          },
        },
      ],
    }),
  });
  slack.setParleyUrl(parley.apiUrl);
  api = apiClient(parley.apiUrl, key);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await slack?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
});

interface AgentAttachment {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  url: string;
}
type AgentMessage = { text: string; attachments?: AgentAttachment[] };

/** The user's thread once Parley posted its parent. */
async function threadOf(user: string): Promise<{ channel: string; ts: string }> {
  expect((await api('POST', `/v1/apps/${APP}/users/${user}/messages`, { text: 'Help please' })).status).toBe(202);
  const ref = await waitFor(async () => (await conversationState(parley.client, APP, user)).refs.slackThread, {
    what: `${user}'s thread`,
  });
  const [channel, ts] = ref.split(':') as [string, string];
  return { channel, ts };
}

async function agentReplyOf(user: string): Promise<AgentMessage> {
  const delivery: Delivery = await waitFor(
    () => receiver.events().find((e) => e.body.userId === user && e.body.type === 'message:agent'),
    { what: `the agent's reply to ${user} at the app`, timeoutMs: 20_000 },
  );
  const message: AgentMessage = delivery.body.data.message as AgentMessage;
  return message;
}

async function bytesAt(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('files from Slack agents', () => {
  it('Send to user on a note with a PNG: the app gets the text and the PNG behind a working signed URL', async () => {
    const thread = await threadOf('sue');
    const shot = png(10, 10, [0, 120, 240]);
    const file = slack.addUserFile(ANA, 'screen.png', shot, 'image/png');
    // A note stays internal; the shortcut sends it, without its prefix, with its file.
    const posted = await slack.userPostsInChannel(thread.channel, ANA, ';; here is the screen', {
      threadTs: thread.ts,
      fileIds: [file.id],
    });
    expect(posted.delivery?.status).toBe(200);
    const shortcut = await slack.sendMessageShortcut({
      userId: ANA,
      channelId: thread.channel,
      messageTs: posted.ts,
      callbackId: 'parley_send_to_user',
    });
    expect(shortcut.status).toBe(200);
    const message = await agentReplyOf('sue');
    expect(message.text).toBe('here is the screen');
    expect(message.attachments?.map((a) => [a.name, a.mediaType, a.size])).toEqual([
      ['screen.png', 'image/png', shot.length],
    ]);
    expect((await bytesAt(message.attachments![0]!.url)).equals(shot)).toBe(true);
    // The confirmation names no file left behind.
    const confirmation = await waitFor(() => slack.responses(shortcut.responseUrl)[0], { what: 'the confirmation' });
    expect(JSON.stringify(confirmation.body)).not.toContain('not sent');
  });

  it('a thread reply of a file alone, in threads mode: the reply is its file', async () => {
    const thread = await threadOf('tom');
    const shot = png(6, 6, [250, 10, 10]);
    const file = slack.addUserFile(ANA, 'fix.png', shot, 'image/png');
    const posted = await slack.userPostsInChannel(thread.channel, ANA, '', { threadTs: thread.ts, fileIds: [file.id] });
    // Acknowledged before the download: well within Slack's 3 seconds.
    expect(posted.delivery?.status).toBe(200);
    const message = await agentReplyOf('tom');
    expect(message.text).toBe('');
    expect(message.attachments?.map((a) => [a.name, a.mediaType])).toEqual([['fix.png', 'image/png']]);
    expect((await bytesAt(message.attachments![0]!.url)).equals(shot)).toBe(true);
  });

  it('a file over the limit and a refused type are named in the text; the rest is relayed', async () => {
    const thread = await threadOf('uma');
    const ok = png(4, 4);
    const big = Buffer.concat([png(4, 4), randomBytes(MAX_FILE_BYTES)]);
    const files = [
      slack.addUserFile(ANA, 'ok.png', ok, 'image/png'),
      slack.addUserFile(ANA, 'big.png', big, 'image/png'),
      slack.addUserFile(ANA, 'run.sh', Buffer.from('#!/bin/sh\necho hi\n'), 'application/x-sh'),
    ];
    await slack.userPostsInChannel(thread.channel, ANA, 'three files', {
      threadTs: thread.ts,
      fileIds: files.map((f) => f.id),
    });
    const message = await agentReplyOf('uma');
    expect(message.text).toBe('three files\n(not relayed: big.png, run.sh)');
    expect(message.attachments?.map((a) => a.name)).toEqual(['ok.png']);
    expect((await bytesAt(message.attachments![0]!.url)).equals(ok)).toBe(true);
  });
});
