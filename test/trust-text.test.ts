/**
 * Issue 16, item 7, end to end (the real API and worker, a real Temporal dev server, the Slack and Zendesk emulators,
 * GreenMail): names that hide or reorder text arrive clean where agents read them; a user id typed in two Unicode
 * forms is one user; and a whole day's work at debug level (a Slack command, a Zendesk webhook, mail, API calls with
 * keys and cookies) leaves no secret in the logs.
 */
import { randomBytes } from 'node:crypto';
import type { ParleyConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { startParley, type RunningParley } from '../workers/parley';
import { conversationState } from './helpers/agent';
import { fetchMails, startTestMailServer, type MailAccount, type MailServer } from './helpers/mail';
import { apiClient, temporalAddress, testConfig } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

/** Every secret of this Parley, each unique: found in a log line means leaked. */
const secrets: Record<string, string> = {};
function secret(label: string): string {
  const value = `${label}-${randomBytes(12).toString('hex')}`;
  secrets[label] = value;
  return value;
}

const APP = `trust-${randomBytes(3).toString('hex')}`;
const RLO = '\u202e';
const INVISIBLE = /[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\u2060\ufeff]/;
const AGENT = 'U0TRUSTANA';

const logLines: string[] = [];
let slack: SlackEmulator;
let zd: ZendeskEmulator;
let mail: MailServer;
let receiver: WebhookReceiver;
let parley: RunningParley;
let api: ReturnType<typeof apiClient>;
let team: MailAccount;
let zendeskAgent: number;

const userPath = (user: string, rest = '') => `/v1/apps/${APP}/users/${encodeURIComponent(user)}${rest}`;

beforeAll(async () => {
  const mailUsers = [
    { login: 'team', password: secret('teamPass'), email: 'team@example.com' },
    { login: 'support', password: secret('imapPass'), email: 'support@example.com' },
    { login: 'parley', password: secret('smtpPass'), email: 'parley@example.com' },
  ];
  [slack, zd, mail, receiver] = await Promise.all([
    startSlackEmulator({ botToken: secret('botToken'), signingSecret: secret('signingSecret') }),
    startZendeskEmulator({ apiToken: secret('zendeskToken') }),
    startTestMailServer(mailUsers),
    startWebhookReceiver(secret('webhookSecret')),
  ]);
  slack.addUser({ id: AGENT, name: 'ana', realName: 'Ana Agent', email: 'ana@acme.example' });
  zendeskAgent = zd.addAgent({ name: 'Zoe Desk', email: 'zoe@acme.example' }).id;
  team = { host: mail.host, port: mail.imapPort, user: 'team', pass: secrets.teamPass! };
  const port = await freePort();
  const config: ParleyConfig = testConfig({
    server: { publicUrl: `http://127.0.0.1:${port}` },
    apps: [
      {
        id: APP,
        name: 'Trust',
        apiKeys: [secret('apiKey')],
        webhooks: [{ url: receiver.url, secret: secrets.webhookSecret }],
        slack: { botToken: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl },
        zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
        email: {
          smtp: { host: mail.host, port: mail.smtpPort, user: 'parley', pass: secrets.smtpPass },
          imap: { host: mail.host, port: mail.imapPort, user: 'support', pass: secrets.imapPass },
          from: 'Trust Support <parley@example.com>',
          teamAddresses: ['team@example.com'],
          allowedSenders: ['@acme.example'],
          replyAddress: 'support@example.com',
          tokenSecret: secret('tokenSecret'),
        },
      },
    ],
  });
  const bundlePath = process.env.PARLEY_TEST_WORKFLOW_BUNDLE;
  parley = await startParley({
    loaded: { config },
    temporal: { address: temporalAddress(), namespace: 'default', taskQueue: `test-${randomBytes(6).toString('hex')}` },
    // Parley's real logger, at debug, into a buffer.
    log: createLogger({ level: 'debug', name: 'trust-test', destination: { write: (line) => logLines.push(line) } }),
    host: '127.0.0.1',
    port,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
  });
  slack.setParleyUrl(parley.apiUrl!);
  api = apiClient(parley.apiUrl!, secrets.apiKey);
}, 180_000);

afterAll(async () => {
  // The inbox watcher would outlive this Parley in the shared dev server: end it first.
  await parley?.client.workflow
    .getHandle(`inbox:${APP}`)
    .terminate('test over')
    .catch(() => undefined);
  await parley?.stop();
  await Promise.all([receiver?.close(), slack?.close(), zd?.close(), mail?.stop()]);
});

async function channelOf(user: string): Promise<string> {
  return waitFor(async () => (await conversationState(parley.client, APP, user)).refs.slackChannelId, {
    what: `${user}'s Slack channel`,
    timeoutMs: 20_000,
  });
}

async function ticketOf(user: string): Promise<number> {
  return Number(
    await waitFor(async () => (await conversationState(parley.client, APP, user)).refs.zendeskTicketId, {
      what: `${user}'s ticket`,
      timeoutMs: 20_000,
    }),
  );
}

describe('names: a profile named Jane + U+202E + evil', () => {
  it('is Janeevil in the Slack channel name, the dispatch notice, the post, the mail subject and the Zendesk user', async () => {
    const user = 'jane-rlo';
    const profile = await api('PUT', userPath(user), { givenName: `Jane${RLO}evil`, email: 'jane@example.com' });
    expect(profile.status).toBe(202);
    expect((await api('POST', userPath(user, '/messages'), { text: 'hello from Jane' })).status).toBe(202);

    const channelId = await channelOf(user);
    expect(slack.channel(channelId)?.name).toBe('sk-janeevil');
    const general = slack.channelByName('general')!;
    const notice = await waitFor(() => slack.messages(general.id).find((m) => m.text.includes(`<#${channelId}>`)));
    expect(notice.text).toContain('*Janeevil*');
    const post = await waitFor(() => slack.messages(channelId).find((m) => m.text === 'hello from Jane'));
    expect(post.username).toBe('Janeevil (user)');
    // Nothing Parley sent Slack carries an invisible or direction-changing character.
    expect(slack.calls.filter((c) => INVISIBLE.test(JSON.stringify(c.args)))).toEqual([]);

    const notification = await waitFor(
      async () => (await fetchMails(team)).find((m) => m.parsed.text?.includes(`User id: ${user}`)),
      { what: 'the notification mail', timeoutMs: 30_000 },
    );
    expect(notification.parsed.subject).toBe('[Trust] Conversation with Janeevil');
    expect(notification.parsed.text).toContain('Janeevil wrote');

    const ticketId = await ticketOf(user);
    const requester = zd.user(zd.ticket(ticketId)!.requester_id);
    expect(requester?.name).toBe('Janeevil');
  });
});

describe('user ids: jose + U+0301 and jos + U+00E9', () => {
  it('are one user: one conversation with both messages, answered under the NFC id', async () => {
    const decomposed = 'jose\u0301';
    const composed = 'jos\u00e9';
    const first = await api('POST', userPath(decomposed, '/messages'), { text: 'first, typed decomposed' });
    const second = await api('POST', userPath(composed, '/messages'), { text: 'second, typed composed' });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(first.body.conversationId).toBe(`conversation:${APP}:jos%C3%A9`);
    expect(second.body.conversationId).toBe(first.body.conversationId);

    for (const form of [composed, decomposed]) {
      const messages = await api('GET', userPath(form, '/messages'));
      expect(messages.status).toBe(200);
      expect(messages.body.messages.map((m: { text: string }) => m.text)).toEqual([
        'first, typed decomposed',
        'second, typed composed',
      ]);
    }
    const conversation = await api('GET', userPath(decomposed, '/conversation'));
    expect(conversation.body.conversationId).toBe(first.body.conversationId);

    // An agent's reply reaches the app under the normalised id.
    const channelId = await channelOf(composed);
    const command = await slack.sendSlashCommand({ userId: AGENT, channelId, text: 'Hola José' });
    expect(command.status).toBe(200);
    const reply = await waitFor(() => receiver.events().find((d) => d.body.data.message?.text === 'Hola José'));
    expect(reply.body.userId).toBe(composed);
    expect(reply.body.userId.length).toBe(4);
  });
});

describe('logs at debug level', () => {
  it('hold no secret after a Slack command, a Zendesk webhook, mail and API calls with keys and cookies', async () => {
    const user = 'jane-rlo'; // the first test's user: her channel and ticket exist (made here if run alone)
    await api('POST', userPath(user, '/messages'), { text: 'hello again' });
    // A Slack command (a reply and the profile), signed with the signing secret; the agent's lookup fails once.
    const channelId = await channelOf(user);
    slack.failNext('users.info', { error: 'user_not_found' });
    expect((await slack.sendSlashCommand({ userId: AGENT, channelId, text: 'Hi Jane' })).status).toBe(200);
    expect((await slack.sendSlashCommand({ userId: AGENT, channelId, text: '!profile' })).status).toBe(200);
    // A Zendesk webhook, signed with the webhook's signing secret.
    const ticketId = await ticketOf(user);
    const comment = await zd.agentComment(ticketId, zendeskAgent, 'Hello from Zendesk');
    expect(comment.deliveries[0]?.status).toBe(200);
    await waitFor(() => receiver.events().find((d) => d.body.data.message?.text === 'Hello from Zendesk'));
    // API calls with the key, a wrong key and cookies; Slack and Zendesk fail the message's first send (retried).
    slack.failNext('chat.postMessage', { status: 500 });
    zd.failNext(`/api/v2/tickets/${ticketId}`, { status: 500, method: 'PUT' });
    const cookie = secret('cookie');
    expect(
      (await api('POST', userPath(user, '/messages'), { text: 'with a cookie' }, { cookie: `sid=${cookie}` })).status,
    ).toBe(202);
    const wrongKey = secret('wrongKey');
    expect((await apiClient(parley.apiUrl!, wrongKey)('GET', userPath(user, '/messages'))).status).toBe(401);
    await waitFor(() => slack.messages(channelId).some((m) => m.text === 'with a cookie'), { timeoutMs: 20_000 });
    await waitFor(() => zd.ticket(ticketId)?.comments.some((c) => c.body.includes('with a cookie')), {
      timeoutMs: 20_000,
    });
    for (const hook of zd.webhooks()) secrets[`zendeskWebhookSecret:${hook.id}`] = hook.secret;

    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(0);
    // The lines this test is about were written: start-up, the failed lookup, the failed sends.
    expect(logs).toContain('Zendesk connected');
    expect(logs).toContain('slack users.info failed');
    expect(logs).toContain('Activity failed');
    expect(Object.entries(secrets).filter(([, value]) => logs.includes(value))).toEqual([]);
  });
});
