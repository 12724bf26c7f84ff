/**
 * Slack end to end: the real API and worker, a real Temporal dev server, the real @slack/web-api against the
 * Slack emulator, and signed commands, events and button clicks from "Slack".
 */
import { randomBytes } from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { agentReply, conversationState } from './helpers/agent';
import {
  apiClient,
  waitForOutbox,
  startTestParley,
  testAdminKey,
  testConfig,
  testKey,
  type TestParley,
} from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';

const key = testKey('acme');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let slack: SlackEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
const INSTALLER = 'U0INSTALL';
const AGENT = 'U0AGENTANA';

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.addUser({ id: INSTALLER, name: 'ines', realName: 'Ines Installer', email: 'ines@acme.example' });
  slack.addUser({ id: AGENT, name: 'ana', realName: 'Ana Agent', email: 'ana@acme.example' });
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: 'acme',
          name: 'Acme',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            installerUserId: INSTALLER,
            apiUrl: slack.apiUrl,
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
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
  expect(slack.markupViolations).toEqual([]);
});

const userPath = (user: string, rest = '') => `/v1/apps/acme/users/${encodeURIComponent(user)}${rest}`;

async function say(user: string, text: string): Promise<void> {
  expect((await api('POST', userPath(user, '/messages'), { text })).status).toBe(202);
}

async function channelOf(user: string): Promise<string> {
  return waitFor(async () => (await conversationState(parley.client, 'acme', user)).refs.slackChannelId, {
    what: `${user}'s channel`,
  });
}

function texts(channelId: string): string[] {
  return slack.messages(channelId).map((m) => m.text ?? '');
}

describe('Slack: a new conversation', () => {
  it('creates sk-<name>, announces it in #general with a Join button, invites the installer, posts as the user', async () => {
    await api('PUT', userPath('jane'), { givenName: 'Jane', surname: 'Doe', email: 'jane@example.com' });
    await say('jane', 'Hello, is anyone there?');
    const channelId = await channelOf('jane');
    const channel = slack.channel(channelId);
    expect(channel?.name).toBe('sk-jane-doe');
    expect(channel?.members).toEqual(expect.arrayContaining([slack.botUserId, INSTALLER]));
    await waitFor(() => texts(channelId).includes('Hello, is anyone there?'));
    const post = slack.messages(channelId).find((m) => m.text === 'Hello, is anyone there?');
    // Marked as the end user's (issue 16): no user can post under a member's or the app's name.
    expect(post?.username).toBe('Jane Doe (user)');
    expect(post?.iconUrl).toMatch(/^https:\/\/www\.gravatar\.com\/avatar\/[0-9a-f]{64}/);
    expect(post?.metadata).toMatchObject({
      event_type: 'parley_message',
      event_payload: { conversation_id: 'conversation:acme:jane' },
    });

    const general = slack.channelByName('general');
    const notice = await waitFor(() =>
      slack.messages(general?.id as string).find((m) => m.text?.includes(`<#${channelId}>`)),
    );
    expect(notice.text).toContain('New conversation with *Jane Doe*');
    expect(JSON.stringify(notice.blocks)).toContain('parley_join');

    // The channel is searchable in the Temporal UI.
    await waitFor(async () => {
      for await (const wf of parley.client.workflow.list({ query: `SlackChannel = "${channelId}"` }))
        return wf.workflowId === 'conversation:acme:jane';
      return false;
    });

    // Join button: whoever clicks is invited.
    slack.addUser({ id: 'U0BOB', name: 'bob', realName: 'Bob', email: 'bob@acme.example' });
    const click = await slack.sendBlockAction({
      userId: 'U0BOB',
      channelId: general?.id as string,
      actionId: 'parley_join',
      value: channelId,
    });
    expect(click.status).toBe(200);
    expect(slack.channel(channelId)?.members).toContain('U0BOB');
  });

  it('gives a taken name a suffix, and a nameless user two random words', async () => {
    await api('PUT', userPath('jane-2'), { givenName: 'Jane', surname: 'Doe' });
    await say('jane-2', 'Me too');
    expect(slack.channel(await channelOf('jane-2'))?.name).toBe('sk-jane-doe-2');
    await say('anon-7', 'no profile');
    expect(slack.channel(await channelOf('anon-7'))?.name).toMatch(/^sk-[a-z]+-[a-z]+$/);
  });
});

describe('Slack: replying with /sk', () => {
  it('relays /sk to the user with the agent name and avatar, confirms in channel, within 3 seconds', async () => {
    const channelId = await channelOf('jane');
    const res = await slack.sendSlashCommand({ userId: AGENT, channelId, text: 'Hi Jane, Ana here. How can I help?' });
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(3000);
    expect(res.body).toMatchObject({ response_type: 'in_channel' });
    expect((res.body as { text: string }).text).toContain('Sent to Jane Doe');
    const delivery = await waitFor(() =>
      receiver.events().find((d) => d.body.userId === 'jane' && d.body.type === 'message:agent'),
    );
    expect(delivery.signatureValid).toBe(true);
    expect(delivery.body.data.message).toMatchObject({
      text: 'Hi Jane, Ana here. How can I help?',
      source: 'slack',
      agent: {
        name: 'Ana Agent',
        email: 'ana@acme.example',
        avatarUrl: expect.stringMatching(/gravatar\.com\/avatar\//),
      },
    });
    const list = await api('GET', userPath('jane', '/messages'));
    expect(list.body.messages.at(-1)).toMatchObject({ role: 'agent', text: 'Hi Jane, Ana here. How can I help?' });
    // Not echoed back into Slack as a new post.
    expect(texts(channelId).filter((t) => t.includes('How can I help?'))).toEqual([]);
  });

  it('keeps what is typed in the channel internal', async () => {
    const channelId = await channelOf('jane');
    const before = receiver.deliveries.length;
    await slack.userPostsInChannel(channelId, AGENT, 'internal note: VIP customer');
    await say('jane', 'ping');
    await waitFor(() => texts(channelId).includes('ping'));
    expect(receiver.deliveries.length).toBe(before);
    const list = await api('GET', userPath('jane', '/messages'));
    expect(list.body.messages.map((m: { text: string }) => m.text)).not.toContain('internal note: VIP customer');
  });

  it('/sk !profile shows the profile to the agent only; /sk elsewhere has no power', async () => {
    await api('PUT', userPath('jane'), { properties: { plan: 'pro' }, device: { os: 'iOS 18' } });
    const channelId = await channelOf('jane');
    const profile = await slack.sendSlashCommand({ userId: AGENT, channelId, text: '!profile' });
    expect(profile.body).toMatchObject({ response_type: 'ephemeral' });
    const text = (profile.body as { text: string }).text;
    for (const part of ['Jane Doe', 'jane@example.com', 'plan: pro', 'os: iOS 18']) expect(text).toContain(part);
    const general = slack.channelByName('general')?.id as string;
    const elsewhere = await slack.sendSlashCommand({ userId: AGENT, channelId: general, text: 'hello?' });
    expect(elsewhere.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('no power here'),
    });
  });

  it('mirrors replies from other integrations into the channel', async () => {
    const channelId = await channelOf('jane');
    await agentReply(parley.client, 'acme', 'jane', 'zd-1', 'Your refund is on its way', 'zendesk');
    await waitFor(() => texts(channelId).includes('↩ Ana Agent via Zendesk: Your refund is on its way'));
  });
});

describe('Slack: archiving', () => {
  it('archives on channel_archive (retries ignored) and reopens in a fresh channel with history', async () => {
    await api('PUT', userPath('max'), { givenName: 'Max', surname: 'Mustermann' });
    await say('max', 'first question');
    const first = await channelOf('max');
    await waitFor(() => texts(first).includes('first question'));
    await slack.archiveChannelAsUser(first, AGENT);
    await waitFor(async () => (await api('GET', userPath('max', '/messages'))).body.status === 'archived', {
      what: 'archived',
    });
    const retry = await slack.sendEvent({ type: 'channel_archive', channel: first, user: AGENT }, { retryNum: 1 });
    expect(retry.status).toBe(200);
    await waitFor(() =>
      receiver.events().some((d) => d.body.userId === 'max' && d.body.type === 'conversation:archived'),
    );
    expect(
      receiver.events().filter((d) => d.body.userId === 'max' && d.body.type === 'conversation:archived'),
    ).toHaveLength(1);

    await say('max', 'back again');
    const second = await waitFor(
      async () => {
        const id = (await conversationState(parley.client, 'acme', 'max')).refs.slackChannelId;
        return id && id !== first ? id : undefined;
      },
      { what: 'a fresh channel' },
    );
    expect(slack.channel(second)?.name).toBe('sk-max-mustermann-2');
    await waitFor(() => texts(second).includes('back again'));
    expect(texts(second).some((t) => t.includes('Earlier in this conversation') && t.includes('first question'))).toBe(
      true,
    );
    const general = slack.channelByName('general')?.id as string;
    await waitFor(() =>
      slack.messages(general).some((m) => m.text?.includes(`<#${second}>`) && m.text.includes('wrote again')),
    );
  });

  it('archives the channel when the conversation is archived from the API or with /sk !archive', async () => {
    await say('lena', 'hi');
    const channelId = await channelOf('lena');
    expect((await api('POST', userPath('lena', '/archive'))).status).toBe(202);
    await waitFor(() => slack.channel(channelId)?.archived === true, { what: 'the channel archived' });

    await say('otto', 'hi');
    const ottoChannel = await channelOf('otto');
    const res = await slack.sendSlashCommand({ userId: AGENT, channelId: ottoChannel, text: '!archive' });
    expect(res.body).toMatchObject({ response_type: 'in_channel' });
    await waitFor(() => slack.channel(ottoChannel)?.archived === true);
    expect((await api('GET', userPath('otto', '/messages'))).body.status).toBe('archived');
  });
});

describe('Slack: limits and faults', () => {
  it('holds on a 429, never posts a retried message twice, and loses nothing', async () => {
    await say('rita', 'one');
    const channelId = await channelOf('rita');
    await waitFor(() => texts(channelId).includes('one'));
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 2 });
    await say('rita', 'two');
    await waitFor(
      async () => (await conversationState(parley.client, 'acme', 'rita')).outboxes.slack?.status === 'rate_limited',
    );
    await say('rita', 'three');
    await waitFor(() => texts(channelId).includes('three'), { timeoutMs: 20_000 });
    // A post that went through but whose answer was lost: Temporal retries, the retry finds it and skips it.
    slack.failNext('chat.postMessage', { status: 500, afterEffect: true }, 1);
    await say('rita', 'four');
    await waitFor(
      () => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.text === 'four').length === 1,
    );
    await waitFor(
      async () => (await conversationState(parley.client, 'acme', 'rita')).outboxes.slack?.queue.length === 0,
      {
        timeoutMs: 20_000,
        what: 'the retried batch done',
      },
    );
    const userPosts = texts(channelId).filter((t) => ['one', 'two', 'three', 'four'].includes(t));
    expect(userPosts).toEqual(['one', 'two', 'three', 'four']);
  });

  it('pauses on a revoked token with the reason visible, then resumes', async () => {
    await say('tom', 'before');
    const channelId = await channelOf('tom');
    await waitFor(() => texts(channelId).includes('before'));
    slack.revokeToken();
    try {
      await say('tom', 'while revoked');
      const box = await waitForOutbox(api, 'acme', 'tom', 'slack', 'faulted');
      expect(box.fault.type).toBe('slack_auth_failed');
      expect(box.fault.message).toContain('token_revoked');
    } finally {
      slack.addToken(slack.botToken);
    }
    await apiClient(parley.apiUrl, testAdminKey)('POST', userPath('tom', '/outboxes/resume'), { outbox: 'slack' });
    await waitFor(() => texts(channelId).includes('while revoked'));
  });

  it('creates channels for a burst of new conversations within the creation tier', async () => {
    // Slack's Tier 2 (about 20 a minute), scaled down to keep the test short.
    slack.setRateLimit('conversations.create', { max: 20, windowMs: 2000 });
    try {
      const users = Array.from({ length: 100 }, (_, i) => `burst-${i}`);
      await Promise.all(users.map((u) => say(u, `hello from ${u}`)));
      await waitFor(
        async () => {
          const states = await Promise.all(users.map((u) => conversationState(parley.client, 'acme', u)));
          return states.every((s) => s.refs.slackChannelId && s.outboxes.slack?.queue.length === 0);
        },
        { timeoutMs: 90_000, intervalMs: 500, what: 'all channels' },
      );
      const limited = slack.calls.filter((c) => c.method === 'conversations.create' && c.status === 429).length;
      expect(limited).toBeGreaterThan(0);
      for (const u of users) {
        const state = await conversationState(parley.client, 'acme', u);
        expect(state.outboxes.slack?.fault).toBeUndefined();
      }
    } finally {
      slack.setRateLimit('conversations.create', undefined);
    }
  });
});

describe('Slack: security', () => {
  it('refuses bad and stale signatures with 401 and changes nothing', async () => {
    const channelId = await channelOf('jane');
    const before = (await conversationState(parley.client, 'acme', 'jane')).messages.length;
    const bad = await slack.sendSlashCommand({ userId: AGENT, channelId, text: 'forged' }, { badSignature: true });
    expect(bad.status).toBe(401);
    const stale = await slack.sendSlashCommand(
      { userId: AGENT, channelId, text: 'old' },
      { timestamp: Math.floor(Date.now() / 1000) - 600 },
    );
    expect(stale.status).toBe(401);
    const otherSecret = await slack.sendEvent(
      { type: 'channel_archive', channel: channelId, user: AGENT },
      { signingSecret: 'not-the-secret' },
    );
    expect(otherSecret.status).toBe(401);
    expect((await conversationState(parley.client, 'acme', 'jane')).messages.length).toBe(before);
    expect((await conversationState(parley.client, 'acme', 'jane')).status).toBe('active');
  });

  it("ignores a command from another workspace aimed at this app's channel", async () => {
    const channelId = await channelOf('jane');
    const before = (await conversationState(parley.client, 'acme', 'jane')).messages.length;
    const res = await slack.sendSlashCommand({ userId: AGENT, channelId, text: 'hijack', teamId: 'T0OTHERTEAM' });
    expect(res.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('no power here') });
    expect((await conversationState(parley.client, 'acme', 'jane')).messages.length).toBe(before);
  });

  it('answers url_verification and rejects malformed bodies with 400', async () => {
    const check = await slack.sendUrlVerification();
    expect(check.body).toEqual({ challenge: check.challenge });
  });

  it('keeps the workflow id readable', () => {
    expect(conversationWorkflowId('acme', 'jane')).toBe('conversation:acme:jane');
  });
});

describe('Slack: connection check', () => {
  it('lists the integration state and checks the token live', async () => {
    // The integration routes take an admin key.
    const admin = apiClient(parley.apiUrl, testAdminKey);
    const listed = await admin('GET', '/v1/apps/acme/integrations');
    expect(listed.body.integrations).toEqual([expect.objectContaining({ name: 'slack', state: 'ok' })]);
    slack.revokeToken();
    try {
      const failed = await admin('POST', '/v1/apps/acme/integrations/slack/check');
      expect(failed.body).toMatchObject({
        name: 'slack',
        state: 'auth_failed',
        message: expect.stringContaining('token_revoked'),
      });
      expect((await admin('GET', '/v1/apps/acme/integrations')).body.integrations[0].state).toBe('auth_failed');
    } finally {
      slack.addToken(slack.botToken);
    }
    slack.failNext('auth.test', { status: 429, retryAfter: 30 });
    const limited = await admin('POST', '/v1/apps/acme/integrations/slack/check');
    expect(limited.body).toMatchObject({ state: 'rate_limited', rateLimitedUntil: expect.any(String) });
    expect((await admin('POST', '/v1/apps/acme/integrations/slack/check')).body.state).toBe('ok');
    expect((await admin('POST', '/v1/apps/acme/integrations/zendesk/check')).status).toBe(404);
  });
});
