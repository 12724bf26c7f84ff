/**
 * "Add to Slack" end to end: real HTTP redirects between Parley and the Slack emulator's authorize page with a
 * cookie jar, the real InstallProvider, the installation workflow on the run's dev server, tokens of a few seconds
 * rotating during a busy conversation, two workers, a revoked refresh token and a reinstall, an uninstall, a second
 * workspace for another app, and the state and admin checks.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { installationWorkflowId, type SlackInstallationState } from '../common/slack-installation';
import { newClaims, signClaims } from '../integrations/slack/oauth';
import { installSlackUpdate, slackInstallationQuery } from '../workflows/definitions';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { createBrowser, installSlack } from './helpers/slack-install';
import { waitFor } from './helpers/wait';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';

const manifest = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../slack-app-manifest.yaml'), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
};
const BOT_SCOPES = manifest.oauth_config.scopes.bot;
const LIFETIME_SECONDS = 4;

const clientId = `${Date.now()}.${randomBytes(4).readUInt32BE()}`;
const clientSecret = randomBytes(16).toString('hex');
const signingSecret = randomBytes(16).toString('hex');
const acmeKey = testKey('acme');
const betaKey = testKey('beta');

let slack: SlackEmulator;
let second: SlackEmulator;
let parley: TestParley;
let other: TestParley | undefined;

const install = installSlack;

const installation = (p: TestParley, key: string) =>
  p.client.workflow.getHandle(installationWorkflowId(key)).query(slackInstallationQuery);

function slackFor(emulator: SlackEmulator) {
  return {
    clientId,
    clientSecret,
    signingSecret,
    apiUrl: emulator.apiUrl,
    oauthUrl: `${emulator.url}/oauth/v2/authorize`,
  };
}

/** The texts of the user messages in a channel, oldest first. */
function userPosts(emulator: SlackEmulator, channelId: string): string[] {
  return emulator
    .messages(channelId)
    .filter((m) => (m as { metadata?: { event_type?: string } }).metadata?.event_type === 'parley_message')
    .map((m) => m.text);
}

/** The user's Slack channel, as the conversation's references name it. */
async function channelOf(p: TestParley, emulator: SlackEmulator, appId: string, userId: string) {
  const id = (await conversationState(p.client, appId, userId).catch(() => undefined))?.refs.slackChannelId;
  return id ? emulator.channel(id) : undefined;
}

beforeAll(async () => {
  const oauth = { clientId, clientSecret, tokenLifetimeSeconds: LIFETIME_SECONDS };
  const common = {
    signingSecret,
    scopes: BOT_SCOPES,
    botEvents: [...manifest.settings.event_subscriptions.bot_events, 'app_uninstalled', 'tokens_revoked'],
  };
  slack = await startSlackEmulator({ ...common, oauth });
  second = await startSlackEmulator({
    ...common,
    oauth,
    teamId: 'T0SECOND',
    teamName: 'Second Workspace',
    botUserId: 'U0SECONDBOT',
  });
  parley = await startTestParley({
    config: testConfig({
      apps: [
        { id: 'acme', name: 'Acme', apiKeys: [acmeKey], slack: slackFor(slack) },
        { id: 'beta', name: 'Beta', apiKeys: [betaKey], slack: slackFor(second) },
      ],
    }),
  });
  slack.setParleyUrl(parley.apiUrl);
  second.setParleyUrl(parley.apiUrl);
});

afterAll(async () => {
  await other?.stop();
  await parley?.stop();
  await slack?.close();
  await second?.close();
});

describe('who may install', () => {
  test('an anonymous visitor, a client key and a forged or reused install link cannot bind a workspace', async () => {
    const browser = createBrowser();
    expect((await browser.get(`${parley.apiUrl}/slack/install?app=acme`)).status).toBe(401);
    const asClient = await browser.get(`${parley.apiUrl}/slack/install?app=acme`, {
      authorization: `Bearer ${acmeKey}`,
    });
    expect(asClient.status).toBe(401);
    expect(asClient.text).toContain('binds a workspace');
    const forged = signClaims('not-the-secret', 'install-link', newClaims('acme', 600, Date.now()));
    expect((await browser.get(`${parley.apiUrl}/slack/install?app=acme&link=${forged}`)).status).toBe(401);
    // A link made for another app does not install this one.
    const admin = apiClient(parley.apiUrl, testAdminKey);
    const made = await admin('POST', '/v1/apps/beta/integrations/slack/install-link');
    expect(made.status).toBe(201);
    const betaLink = new URL(made.body.url).searchParams.get('link') ?? '';
    expect((await browser.get(`${parley.apiUrl}/slack/install?app=acme&link=${betaLink}`)).status).toBe(401);
    // A client key cannot make links.
    expect(
      (await apiClient(parley.apiUrl, acmeKey)('POST', '/v1/apps/acme/integrations/slack/install-link')).status,
    ).toBe(403);
    // Nobody reached Slack's Allow screen.
    expect(slack.oauth?.installCount()).toBe(0);
  });

  test('a forged, expired or replayed state is refused, and so is a state from another browser', async () => {
    const browser = createBrowser();
    const start = await browser.get(`${parley.apiUrl}/slack/install?app=acme`, {
      authorization: `Bearer ${testAdminKey}`,
    });
    const state = new URL(start.location ?? '').searchParams.get('state') ?? '';
    const host = new URL(parley.apiUrl).host;
    expect(browser.cookie(host, 'slack-app-oauth-state')).toBe(state);
    const redirect = (s: string, cookie: string) =>
      fetch(`${parley.apiUrl}/slack/oauth_redirect?code=whatever&state=${encodeURIComponent(s)}`, {
        redirect: 'manual',
        headers: { cookie: `slack-app-oauth-state=${cookie}` },
      });

    const forged = signClaims('not-the-secret', 'state', newClaims('acme', 600, Date.now()));
    const refusedForged = await redirect(forged, forged);
    expect(refusedForged.status).toBe(400);
    expect(await refusedForged.text()).toContain('not installed');

    const expired = signClaims(clientSecret, 'state', newClaims('acme', -1, Date.now()));
    const refusedExpired = await redirect(expired, expired);
    expect(refusedExpired.status).toBe(400);
    expect(await refusedExpired.text()).toContain('expired');

    // The real state without this browser's cookie: another browser (CSRF).
    const otherBrowser = await fetch(
      `${parley.apiUrl}/slack/oauth_redirect?code=x&state=${encodeURIComponent(state)}`,
      {
        redirect: 'manual',
      },
    );
    expect(otherBrowser.status).toBe(400);
    expect(slack.oauth?.installCount()).toBe(0);
  });
});

describe('install, then a busy conversation across token rotations', () => {
  test('install → the success page names the workspace and channel → the first message goes with the issued token', async () => {
    // The admin picks #support on Slack's screen: it becomes the dispatch channel.
    await fetch(`${slack.apiUrl}conversations.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=support',
    });
    slack.oauth?.nextInstall({ channel: 'support' });
    const admin = apiClient(parley.apiUrl, testAdminKey);
    const link = await admin('POST', '/v1/apps/acme/integrations/slack/install-link');
    const url = new URL(link.body.url);
    const { authorize, done, callback } = await install(parley.apiUrl, 'acme', {
      link: url.searchParams.get('link') ?? '',
    });
    expect(authorize.searchParams.get('scope')?.split(',')).toEqual(
      expect.arrayContaining(['incoming-webhook', ...BOT_SCOPES]),
    );
    expect(authorize.searchParams.get('client_id')).toBe(clientId);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Parley Test');
    expect(done.text).toContain('#support');
    // The state is single-use: the same callback replayed (with its cookie) is refused.
    const state = new URL(callback).searchParams.get('state') ?? '';
    const replayed = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `slack-app-oauth-state=${state}` },
    });
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('used already');
    // The link was single-use.
    expect((await createBrowser().get(link.body.url)).status).toBe(401);

    const stored = await installation(parley, slack.teamId);
    expect(stored).toMatchObject({ appId: 'acme', status: 'active', installs: 1, botUserId: slack.botUserId });
    // No token in plaintext in Temporal: not in the state, not anywhere in the workflow's history.
    expect(JSON.stringify(stored)).not.toMatch(/xox[a-z]-/);
    expect(stored.token).toMatch(/^sealed:v1:/);
    const history = await parley.client.workflow.getHandle(installationWorkflowId(slack.teamId)).fetchHistory();
    const payloads: string[] = [];
    const walk = (v: unknown): void => {
      if (v instanceof Uint8Array) payloads.push(Buffer.from(v).toString('utf8'));
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    walk(history.events);
    const raw = payloads.join('\n');
    expect(raw).toContain('sealed:v1:');
    expect(raw).not.toMatch(/xox[a-z]-|xoxe\./);

    const api = apiClient(parley.apiUrl, acmeKey);
    expect((await api('POST', '/v1/apps/acme/users/first/messages', { text: 'hello after install' })).status).toBe(202);
    const channel = await waitFor(() => channelOf(parley, slack, 'acme', 'first'), {
      what: 'the channel of user first',
    });
    await waitFor(() => userPosts(slack, channel.id).includes('hello after install'), { what: 'the first message' });
    // Posted with a token this install was issued (the first, or its successor: they live 4 s), not a pasted one.
    const issued = (slack.oauth?.issued() ?? []).filter((t) => t.kind === 'access').map((t) => t.token);
    const post = slack.calls.find((c) => c.method === 'chat.postMessage' && c.args.text === 'hello after install');
    expect(issued).toContain(post?.token);
    expect(post?.token).not.toBe(slack.botToken);
    // The dispatch notice went to the channel picked on Slack's screen.
    const support = slack.channelByName('support');
    await waitFor(() => support && slack.messages(support.id).some((m) => m.text.includes(channel.id)), {
      what: 'the dispatch notice in #support',
    });
  }, 60_000);

  test('tokens of seconds rotate several times during a busy conversation; every message is delivered once, in order', async () => {
    const api = apiClient(parley.apiUrl, acmeKey);
    const before = slack.oauth?.refreshCount() ?? 0;
    const sent: string[] = [];
    for (let i = 0; (slack.oauth?.refreshCount() ?? 0) < before + 4; i++) {
      if (i > 400) throw new Error('the token did not rotate four times');
      const text = `busy ${i}`;
      expect((await api('POST', '/v1/apps/acme/users/busy/messages', { text, id: `busy-${i}` })).status).toBe(202);
      sent.push(text);
      await new Promise((r) => setTimeout(r, 250));
    }
    const whileSending = (slack.oauth?.refreshCount() ?? 0) - before;
    const channel = await waitFor(() => channelOf(parley, slack, 'acme', 'busy'), { what: 'the channel of user busy' });
    await waitFor(() => userPosts(slack, channel.id).length >= sent.length, {
      timeoutMs: 90_000,
      what: 'every message',
    });
    expect(userPosts(slack, channel.id)).toEqual(sent);
    const refreshes = (slack.oauth?.refreshCount() ?? 0) - before;
    // One writer: every refresh Slack answered is one the workflow recorded (polled: one may be in flight), and no
    // refresh token was spent twice.
    await waitFor(async () => (await installation(parley, slack.teamId)).refreshes === slack.oauth?.refreshCount(), {
      what: 'the workflow to record every refresh',
    });
    expect(slack.calls.filter((c) => c.method === 'oauth.v2.access' && c.error === 'invalid_refresh_token')).toEqual(
      [],
    );
    // The newest token is in use: the last posts carry a token issued by a refresh.
    const lastPost = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200).at(-1);
    const lastToken = slack.oauth?.issued().find((t) => t.token === lastPost?.token);
    expect(lastToken?.kind).toBe('access');
    console.log(
      `rotation test: ${whileSending} refreshes while sending, ${refreshes} until all were delivered, ${sent.length} messages sent, ` +
        `${userPosts(slack, channel.id).length} delivered, ${slack.calls.filter((c) => c.error === 'token_expired').length} token_expired answers`,
    );
  }, 180_000);

  test('two workers: one refresh per expiry', async () => {
    other = await startTestParley({ config: parley.config, taskQueue: parley.taskQueue });
    const start = slack.oauth?.refreshCount() ?? 0;
    const startedAt = Date.now();
    await waitFor(() => (slack.oauth?.refreshCount() ?? 0) >= start + 3, {
      timeoutMs: 60_000,
      what: 'three refreshes',
    });
    const elapsed = Date.now() - startedAt;
    const refreshes = (slack.oauth?.refreshCount() ?? 0) - start;
    // Refreshes come once per half-lifetime (2 s here), whichever worker runs them; racing workers would double them
    // and burn a refresh token (invalid_refresh_token).
    expect(refreshes).toBeLessThanOrEqual(Math.ceil(elapsed / ((LIFETIME_SECONDS * 1000) / 2)) + 1);
    expect(slack.calls.filter((c) => c.method === 'oauth.v2.access' && c.error)).toEqual([]);
    await waitFor(async () => (await installation(parley, slack.teamId)).refreshes === slack.oauth?.refreshCount(), {
      what: 'the workflow to record every refresh',
    });
    await other.stop();
    other = undefined;
  }, 90_000);
});

describe('a revoked refresh token, then a reinstall', () => {
  test('needs_reinstall pauses the Slack outbox with the reason; a reinstall delivers everything queued, once, in order', async () => {
    const api = apiClient(parley.apiUrl, acmeKey);
    const admin = apiClient(parley.apiUrl, testAdminKey);
    slack.oauth?.revokeRefreshTokens();
    await waitFor(async () => (await installation(parley, slack.teamId)).status === 'needs_reinstall', {
      timeoutMs: 30_000,
      what: 'needs_reinstall',
    });
    const state: SlackInstallationState = await installation(parley, slack.teamId);
    expect(state.reason).toBe('invalid_refresh_token');
    // The notice reached the dispatch channel while the last token still worked.
    const support = slack.channelByName('support');
    await waitFor(() => support && slack.messages(support.id).some((m) => m.text.includes('reinstall')), {
      what: 'the reinstall notice',
    });

    const check = await admin('POST', '/v1/apps/acme/integrations/slack/check');
    expect(check.body).toMatchObject({
      name: 'slack',
      state: 'needs_reinstall',
      credentials: { kind: 'oauth', status: 'needs_reinstall', reason: 'invalid_refresh_token' },
    });
    expect(check.body.lastError.code).toBe('slack_invalid_refresh_token');

    const queued = ['while revoked 1', 'while revoked 2', 'while revoked 3'];
    for (const [i, text] of queued.entries())
      expect((await api('POST', '/v1/apps/acme/users/first/messages', { text, id: `revoked-${i}` })).status).toBe(202);
    const paused = await waitFor(
      async () => {
        const r = await api('GET', '/v1/apps/acme/users/first/conversation');
        const box = r.body.outboxes?.find((b: { key: string }) => b.key === 'slack');
        return box?.status === 'faulted' ? box : undefined;
      },
      { timeoutMs: 30_000, what: 'the slack outbox paused' },
    );
    expect(paused.fault.type).toBe('slack_needs_reinstall');
    expect(paused.fault.message).toContain('invalid_refresh_token');
    expect(paused.pending).toBe(3);

    slack.oauth?.nextInstall({ channel: 'support' });
    const { done } = await install(parley.apiUrl, 'acme', { bearer: testAdminKey });
    expect(done.status).toBe(200);
    expect((await installation(parley, slack.teamId)).status).toBe('active');
    const channel = await channelOf(parley, slack, 'acme', 'first');
    if (!channel) throw new Error('no channel of user first');
    await waitFor(() => queued.every((t) => userPosts(slack, channel.id).includes(t)), {
      timeoutMs: 30_000,
      what: 'the queued messages after the reinstall',
    });
    const posts = userPosts(slack, channel.id);
    expect(posts.slice(-3)).toEqual(queued);
    expect(new Set(posts).size).toBe(posts.length);
    // The same channel goes on: a reinstall keeps existing conversations.
    expect((await channelOf(parley, slack, 'acme', 'first'))?.id).toBe(channel.id);
  }, 90_000);

  test('Test connection reports workspace, bot user, scopes, token expiry and the dispatch channel', async () => {
    const admin = apiClient(parley.apiUrl, testAdminKey);
    const check = await admin('POST', '/v1/apps/acme/integrations/slack/check');
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({
      name: 'slack',
      state: 'ok',
      account: { id: slack.teamId, name: 'Parley Test' },
      identity: { id: slack.botUserId },
      scopes: { missing: [] },
      credentials: { kind: 'oauth', status: 'active' },
      destination: { name: 'support', exists: true, canPost: true },
    });
    expect(check.body.scopes.granted).toEqual(expect.arrayContaining(BOT_SCOPES));
    expect(Date.parse(check.body.credentials.expiresAt)).toBeGreaterThan(Date.now());
    // Every integration answers in the same shape: the list shows it too.
    const list = await admin('GET', '/v1/apps/acme/integrations');
    expect(list.body.integrations[0]).toMatchObject({
      name: 'slack',
      state: expect.any(String),
      checkedAt: expect.any(String),
    });
  });

  test('an uninstall (tokens_revoked, app_uninstalled) turns the installation needs_reinstall; a reinstall brings it back', async () => {
    const results = await slack.uninstall();
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const state = await waitFor(
      async () => {
        const s = await installation(parley, slack.teamId);
        return s.status === 'needs_reinstall' ? s : undefined;
      },
      { what: 'needs_reinstall after the uninstall' },
    );
    expect(state.reason).toBe('tokens_revoked');
    const { done } = await install(parley.apiUrl, 'acme', { bearer: testAdminKey });
    expect(done.status).toBe(200);
    expect((await installation(parley, slack.teamId)).status).toBe('active');
  }, 60_000);
});

describe('a second workspace for another app', () => {
  test('beta installs in its own workspace; messages and slash commands route by team', async () => {
    const { done } = await install(parley.apiUrl, 'beta', { bearer: testAdminKey });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Second Workspace');
    expect((await installation(parley, 'T0SECOND')).appId).toBe('beta');

    const beta = apiClient(parley.apiUrl, betaKey);
    await beta('POST', '/v1/apps/beta/users/bea/messages', { text: 'hello from beta' });
    const channel = await waitFor(() => channelOf(parley, second, 'beta', 'bea'), {
      what: "bea's channel in the second workspace",
    });
    await waitFor(() => userPosts(second, channel.id).includes('hello from beta'), { what: "beta's message" });
    expect(slack.channel(channel.id)).toBeUndefined();

    // Both workspaces share the Slack app (one signing secret): the team decides which Parley app answers.
    const agent = second.addUser({ id: 'U0BETAAGENT', name: 'bo', realName: 'Bo Agent', email: 'bo@beta.example' });
    const answer = await second.sendSlashCommand({ userId: agent.id, channelId: channel.id, text: '!profile' });
    expect(JSON.stringify(answer.body)).toContain('bea');

    // An install of beta's workspace for acme would take it (and its conversations) over: the workflow refuses it.
    const takeOver = parley.client.workflow
      .getHandle(installationWorkflowId('T0SECOND'))
      .executeUpdate(installSlackUpdate, {
        args: [
          { appId: 'acme', token: 'sealed:v1:local:x', scopes: [], isEnterpriseInstall: false, teamId: 'T0SECOND' },
        ],
      });
    await expect(takeOver).rejects.toThrow();
    expect((await installation(parley, 'T0SECOND')).appId).toBe('beta');
  }, 60_000);
});
