/**
 * Slack for teams (issue 18), the App Home and the "Send to user" message shortcut end to end: an agent's Home lists
 * what they claimed and the unclaimed conversations of their routes (not another route's), is published again after
 * a claim, and tells a member who is no agent so; the shortcut turns a colleague's message into a reply the app
 * receives once, however often it is used, and refuses Parley's own posts and members who are no agents. The real
 * API and worker, a real Temporal dev server, the Slack emulator granting exactly the manifest's scopes and events.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';

const manifest = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../slack-app-manifest.yaml'), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
};
const APP = 'home-app';
const key = testKey(APP);
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const ANA = 'U0ANAHOME';
const BEN = 'U0BENHOME';
const ERIN = 'U0ERINHOME';
const LEAD = 'U0LEADHOME';
const GUEST = 'U0GUESTHOM';
let slack: SlackEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  slack = await startSlackEmulator({
    scopes: manifest.oauth_config.scopes.bot,
    botEvents: manifest.settings.event_subscriptions.bot_events,
  });
  slack.addUser({ id: ANA, name: 'ana', realName: 'Ana Home', email: 'ana@home.example' });
  slack.addUser({ id: BEN, name: 'ben', realName: 'Ben Home', email: 'ben@home.example' });
  slack.addUser({ id: ERIN, name: 'erin', realName: 'Erin Enterprise', email: 'erin@home.example' });
  slack.addUser({ id: LEAD, name: 'lea', realName: 'Lea Lead', email: 'lea@home.example' });
  slack.addUser({ id: GUEST, name: 'gus', realName: 'Gus Guest', email: 'gus@home.example' });
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: APP,
          name: 'Home & Co',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            apiUrl: slack.apiUrl,
            agents: [LEAD],
            routes: [
              {
                name: 'enterprise',
                when: { property: 'plan', equals: 'enterprise' },
                channel: 'general',
                agents: [ERIN],
              },
              {
                name: 'billing',
                when: { metadata: 'department', equals: 'billing' },
                channel: 'general',
                agents: [ANA, BEN],
              },
            ],
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

const userPath = (user: string, rest = '') => `/v1/apps/${APP}/users/${encodeURIComponent(user)}${rest}`;

async function channelOf(user: string): Promise<string> {
  return waitFor(async () => (await conversationState(parley.client, APP, user)).refs.slackChannelId, {
    what: `${user}'s channel`,
  });
}

/** A Home's texts, section by section (mrkdwn and plain text alike), as the agent reads them top to bottom. */
function homeTexts(userId: string): string[] {
  const blocks = (slack.homeView(userId)?.blocks ?? []) as { type: string; text?: { text: string } }[];
  return blocks.map((b) => (b.type === 'divider' ? '---' : (b.text?.text ?? JSON.stringify(b))));
}

/** The texts of one list of the Home: `claimed` above the divider, `unclaimed` below it. */
function list(userId: string, which: 'claimed' | 'unclaimed'): string[] {
  const texts = homeTexts(userId);
  const divider = texts.indexOf('---');
  return which === 'claimed' ? texts.slice(1, divider) : texts.slice(divider + 1);
}

const mentions = (texts: string[], name: string) => texts.some((t) => t.includes(name));

let claimedChannel: string;
let openChannel: string;

describe('App Home', () => {
  it('shows an agent what they claimed and the unclaimed conversations of their routes, not another route’s', async () => {
    await api('PUT', userPath('mine'), { givenName: 'Mina <!channel>' });
    await api('POST', userPath('mine', '/messages'), {
      text: 'Charged <@U0BENHOME> twice',
      metadata: { department: 'billing' },
    });
    await api('PUT', userPath('open'), { givenName: 'Otto' });
    await api('POST', userPath('open', '/messages'), {
      text: 'Where is my invoice?',
      metadata: { department: 'billing' },
    });
    await api('PUT', userPath('big'), { givenName: 'Bea', properties: { plan: 'enterprise' } });
    await api('POST', userPath('big', '/messages'), { text: 'SSO is down' });
    claimedChannel = await channelOf('mine');
    openChannel = await channelOf('open');
    await channelOf('big');

    const claim = await slack.sendSlashCommand({ userId: ANA, channelId: claimedChannel, text: '!claim' });
    expect(JSON.stringify(claim.body)).toContain('Claimed');
    // The claim published Ana's Home; opening the tab publishes it again, fresh.
    await waitFor(() => mentions(list(ANA, 'claimed'), 'Mina'), { what: 'Ana’s Home after the claim' });
    const before = slack.homeView(ANA)?.hash;
    const opened = await slack.openAppHome(ANA);
    expect(opened?.status).toBe(200);
    expect(opened?.elapsedMs).toBeLessThan(3000);
    await waitFor(() => slack.homeView(ANA)?.hash !== before, { what: 'the Home published on app_home_opened' });

    const texts = homeTexts(ANA);
    expect(texts[0]).toContain('Home & Co');
    const claimed = list(ANA, 'claimed');
    expect(claimed[0]).toContain('Claimed by you');
    const mina = claimed.find((t) => t.includes('Mina'));
    // The user's name and text escaped; the link to the channel Parley made; how long they have waited.
    expect(mina).toContain('Mina &lt;!channel&gt;');
    expect(mina).toContain(`<#${claimedChannel}>`);
    expect(mina).toMatch(/waiting (under a minute|\d+ min)/);
    expect(mina).toContain('Charged &lt;@U0BENHOME&gt; twice');
    const unclaimed = list(ANA, 'unclaimed');
    expect(unclaimed[0]).toContain('Unclaimed on your routes');
    expect(unclaimed.find((t) => t.includes('Otto'))).toContain(`<#${openChannel}>`);
    expect(mentions(unclaimed, 'Mina')).toBe(false);
    expect(mentions(texts, 'Bea')).toBe(false);

    // Erin sees her route's conversation, not billing's.
    await slack.openAppHome(ERIN);
    await waitFor(() => mentions(list(ERIN, 'unclaimed'), 'Bea'), { what: 'Erin’s Home' });
    expect(mentions(homeTexts(ERIN), 'Otto')).toBe(false);
  });

  it('is published again after a claim from the dispatch notice', async () => {
    const click = await slack.sendBlockAction({
      userId: ANA,
      channelId: slack.channelByName('general')?.id as string,
      actionId: 'parley_claim',
      value: openChannel,
    });
    expect(click.status).toBe(200);
    await waitFor(() => mentions(list(ANA, 'claimed'), 'Otto'), { what: 'Otto under Claimed by you' });
    expect(mentions(list(ANA, 'unclaimed'), 'Otto')).toBe(false);
  });

  it('tells a member who is not an agent so', async () => {
    const opened = await slack.openAppHome(GUEST);
    expect(opened?.status).toBe(200);
    await waitFor(() => slack.homeView(GUEST), { what: 'the guest’s Home' });
    expect(homeTexts(GUEST).join('\n')).toContain('you are not an agent');
    // The Messages tab publishes nothing.
    await slack.openAppHome(LEAD, { tab: 'messages' });
    expect(slack.homeView(LEAD)).toBeUndefined();
  });
});

describe('Send to user', () => {
  const agentReplies = (user: string) =>
    receiver.events().filter((d) => d.body.userId === user && d.body.type === 'message:agent');

  it('sends a colleague’s message to the user, signed by them, once however often it is used', async () => {
    const { ts } = await slack.userPostsInChannel(claimedChannel, BEN, 'Your refund is on its way, *today*.');
    const first = await slack.sendMessageShortcut({
      userId: ANA,
      channelId: claimedChannel,
      messageTs: ts,
      callbackId: 'parley_send_to_user',
    });
    expect(first.status).toBe(200);
    expect(first.elapsedMs).toBeLessThan(3000);
    const delivery = await waitFor(() => agentReplies('mine')[0], { what: 'the reply at the app' });
    expect(delivery.body.data.message).toMatchObject({
      text: 'Your refund is on its way, *today*.',
      source: 'slack',
      agent: { name: 'Ben Home' },
    });
    const confirmed = await waitFor(() => slack.responses(first.responseUrl)[0], { what: 'the confirmation' });
    expect(confirmed.body).toMatchObject({ response_type: 'in_channel' });
    expect(JSON.stringify(confirmed.body)).toContain('Sent to Mina &lt;!channel&gt; by Ben Home');
    expect(slack.messages(claimedChannel).some((m) => m.text.includes('Sent to Mina'))).toBe(true);

    const again = await slack.sendMessageShortcut({
      userId: ANA,
      channelId: claimedChannel,
      messageTs: ts,
      callbackId: 'parley_send_to_user',
    });
    const second = await waitFor(() => slack.responses(again.responseUrl)[0], { what: 'the second answer' });
    expect(JSON.stringify(second.body)).toContain('already received');
    const messages = (await api('GET', userPath('mine', '/messages'))).body.messages as { text: string }[];
    expect(messages.filter((m) => m.text === 'Your refund is on its way, *today*.')).toHaveLength(1);
    expect(agentReplies('mine')).toHaveLength(1);
  });

  it('refuses Parley’s own posts, and members who are not agents', async () => {
    const header = slack.messages(claimedChannel).find((m) => m.botId !== undefined);
    expect(header).toBeDefined();
    const onBot = await slack.sendMessageShortcut({
      userId: ANA,
      channelId: claimedChannel,
      messageTs: header?.ts as string,
      callbackId: 'parley_send_to_user',
    });
    const refused = await waitFor(() => slack.responses(onBot.responseUrl)[0], { what: 'the refusal' });
    expect(refused.body).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(refused.body)).toContain('posted by an app');

    const { ts } = await slack.userPostsInChannel(claimedChannel, GUEST, 'I can answer that!');
    const byGuest = await slack.sendMessageShortcut({
      userId: GUEST,
      channelId: claimedChannel,
      messageTs: ts,
      callbackId: 'parley_send_to_user',
    });
    const notAgent = await waitFor(() => slack.responses(byGuest.responseUrl)[0], { what: 'the guest’s refusal' });
    expect(JSON.stringify(notAgent.body)).toContain('you are not an agent');
    const messages = (await api('GET', userPath('mine', '/messages'))).body.messages as { text: string }[];
    expect(messages.some((m) => m.text === 'I can answer that!')).toBe(false);
  });
});

describe('App Home after a resolve', () => {
  it('drops the resolved conversation from the resolver’s Home', async () => {
    expect(mentions(list(ANA, 'claimed'), 'Mina')).toBe(true);
    const resolve = await slack.sendSlashCommand({ userId: ANA, channelId: claimedChannel, text: '!resolve' });
    expect(JSON.stringify(resolve.body)).toContain('Resolved');
    await waitFor(() => !mentions(list(ANA, 'claimed'), 'Mina'), { what: 'Mina gone from Claimed by you' });
    expect(mentions(list(ANA, 'claimed'), 'Otto')).toBe(true);
    expect(mentions(list(ANA, 'unclaimed'), 'Mina')).toBe(false);
  });
});
