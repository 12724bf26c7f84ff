/**
 * Users' files into Slack, end to end: uploaded to Parley, attached to a message, and shared into the user's channel
 * by Slack's external upload flow (files.getUploadURLExternal, the upload, files.completeUploadExternal with
 * `channel_id`) against the emulator, with exactly the scopes of slack-app-manifest.yaml. A tap shows as
 * "<user> tapped *Yes*"; a text-only message posts as before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { conversationState } from './helpers/agent';
import { pdf, png } from './helpers/files';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';

const manifest = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../slack-app-manifest.yaml'), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
};
const key = testKey('acmeslack');
const AGENT = 'U0AGENTANA';
let slack: SlackEmulator;
let parley: TestParley;
let root: string;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-slack-files-'));
  slack = await startSlackEmulator({ scopes: manifest.oauth_config.scopes.bot });
  slack.addUser({ id: AGENT, name: 'ana', realName: 'Ana Agent', email: 'ana@acme.example' });
  parley = await startTestParley({
    config: testConfig({
      storage: { kind: 'fs', path: root },
      apps: [
        {
          id: 'acmeslack',
          name: 'Acme',
          apiKeys: [key],
          slack: { botToken: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl },
        },
      ],
    }),
  });
  slack.setParleyUrl(parley.apiUrl);
  api = apiClient(parley.apiUrl, key);
});
afterAll(async () => {
  await parley?.stop();
  await slack?.close();
  fs.rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
  expect(slack.markupViolations).toEqual([]);
});

async function upload(bytes: Buffer, name: string, type: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${parley.apiUrl}/v1/apps/acmeslack/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { file: { id: string } }).file.id;
}

async function channelOf(user: string): Promise<string> {
  return waitFor(async () => (await conversationState(parley.client, 'acmeslack', user)).refs.slackChannelId, {
    what: `${user}'s channel`,
  });
}

describe('files from users into Slack', () => {
  it("shares a PNG and a PDF into the user's channel with the message, as the bytes the user sent", async () => {
    const image = png(16, 16);
    const doc = pdf('Invoice 7');
    const ids = [await upload(image, 'screen.png', 'image/png'), await upload(doc, 'invoice.pdf', 'application/pdf')];
    await api('PUT', '/v1/apps/acmeslack/users/jane', { givenName: 'Jane', surname: 'Doe' });
    const res = await api('POST', '/v1/apps/acmeslack/users/jane/messages', {
      text: 'It breaks here',
      attachments: ids.map((fileId) => ({ fileId })),
    });
    expect(res.status).toBe(202);
    const channel = await channelOf('jane');
    const shared = await waitFor(() => slack.messages(channel).find((m) => m.fileIds && m.fileIds.length === 2), {
      what: 'the file share',
    });
    const files = shared.fileIds!.map((id) => slack.files().find((f) => f.id === id)!);
    expect(files.map((f) => [f.name, f.channel, f.completed])).toEqual([
      ['screen.png', channel, true],
      ['invoice.pdf', channel, true],
    ]);
    expect(files[0]!.bytes!.equals(image)).toBe(true);
    expect(files[1]!.bytes!.equals(doc)).toBe(true);
    // The text follows its files, under the user's name.
    const text = await waitFor(() => slack.messages(channel).find((m) => m.text === 'It breaks here'));
    expect(text.username).toBe('Jane Doe (user)');
    expect(Number(text.ts)).toBeGreaterThan(Number(shared.ts));
    expect(slack.callCount('files.getUploadURLExternal')).toBe(2);
    expect(slack.callCount('files.completeUploadExternal')).toBe(1);
  });

  it('names the files of a message without text, and uploads a 25 MB file whole', async () => {
    const big = Buffer.alloc(25 * 1024 * 1024);
    png().copy(big);
    const id = await upload(big, 'big.png', 'image/png');
    await api('POST', '/v1/apps/acmeslack/users/joe/messages', { attachments: [{ fileId: id }] });
    const channel = await channelOf('joe');
    const note = await waitFor(() => slack.messages(channel).find((m) => m.text === '📎 big.png'), {
      what: 'the text of a files-only message',
      timeoutMs: 60_000,
    });
    expect(note).toBeDefined();
    const file = slack.files().find((f) => f.name === 'big.png');
    expect(file?.bytes?.length).toBe(25 * 1024 * 1024);
  }, 90_000);

  it('shows a tap as "<user> tapped *Yes*", with the label escaped, and text-only messages as before', async () => {
    await api('PUT', '/v1/apps/acmeslack/users/tap', { givenName: 'Tina' });
    await api('POST', '/v1/apps/acmeslack/users/tap/messages', { text: 'plain words' });
    await api('POST', '/v1/apps/acmeslack/users/tap/messages', {
      postback: { payload: 'YES', text: 'Yes <@U0OWNER>' },
    });
    const channel = await channelOf('tap');
    await waitFor(() => slack.messages(channel).find((m) => m.text.startsWith('Tina (user) tapped')), {
      what: 'the tap',
    });
    const texts = slack.messages(channel).map((m) => m.text);
    expect(texts).toContain('plain words');
    expect(texts).toContain('Tina (user) tapped *Yes &lt;@U0OWNER&gt;*');
    expect(slack.files().filter((f) => f.channel === channel)).toEqual([]);
  });

  it('turns /sk shorthand into buttons and an image on the agent message; the tap comes back to the channel', async () => {
    await api('PUT', '/v1/apps/acmeslack/users/sam', { givenName: 'Sam' });
    await api('POST', '/v1/apps/acmeslack/users/sam/messages', { text: 'Can you help?' });
    const channel = await channelOf('sam');
    const res = await slack.sendSlashCommand({
      userId: AGENT,
      channelId: channel,
      text: 'Did this fix it? ![](https://cdn.acme.example/fix.png) %[Yes](postback:FIXED) %[No](postback:BROKEN) %[Small](reply:S) %[Docs](<https://acme.example/docs>)',
    });
    expect(res.status).toBe(200);
    const reply = await waitFor(
      async () => {
        const r = await api('GET', '/v1/apps/acmeslack/users/sam/messages');
        return r.body.messages?.find((m: { role: string }) => m.role === 'agent');
      },
      { what: "the agent's message" },
    );
    expect(reply.text).toBe('Did this fix it?');
    expect(reply.actions).toEqual([
      { type: 'postback', text: 'Yes', payload: 'FIXED' },
      { type: 'postback', text: 'No', payload: 'BROKEN' },
      { type: 'reply', text: 'Small', payload: 'S' },
      { type: 'link', text: 'Docs', uri: 'https://acme.example/docs' },
    ]);
    expect(reply.attachments).toEqual([
      { id: 'image:1', name: 'fix.png', mediaType: 'image/png', size: 0, url: 'https://cdn.acme.example/fix.png' },
    ]);
    // The user taps Yes: the agent sees it in the channel.
    await api('POST', '/v1/apps/acmeslack/users/sam/messages', { postback: { payload: 'FIXED', text: 'Yes' } });
    await waitFor(() => slack.messages(channel).find((m) => m.text === 'Sam (user) tapped *Yes*'), { what: 'the tap' });
  });
});
