/**
 * Slack as an attacker would try it, end to end (the real API and worker, a real Temporal dev server, the real
 * @slack/web-api against two Slack emulators, the Zendesk emulator's signed webhooks):
 * - what users and vendors type is data, never markup: no `<!channel>` pings, no forged links, no impersonation;
 * - with `slack.agents`, only agents `/sk`, Join and archive; with `privateChannels`, only those invited see a user.
 *
 * Both workspaces grant the bot exactly the scopes of slack-app-manifest.yaml and subscribe to its bot events, so a
 * scope the manifest forgot fails here as it would in Slack. The emulators also read every text the way Slack renders
 * it and record any markup Parley did not build (`markupViolations`), asserted empty after each test.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { conversationWorkflowId } from '../common/ids';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

/** The bot's scopes and events, as an admin pasting slack-app-manifest.yaml grants them. */
const manifest = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../slack-app-manifest.yaml'), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
};
const asInstalled = {
  scopes: manifest.oauth_config.scopes.bot,
  botEvents: manifest.settings.event_subscriptions.bot_events,
};

const secret = `whsec_${randomBytes(16).toString('hex')}`;
const acmeKey = testKey('acme');
const vaultKey = testKey('vault');
/** acme: public channels, every member an agent (today's default), Zendesk beside Slack. */
let acme: SlackEmulator;
/** vault: `privateChannels: true` and `agents: [ANA, the support group]`. */
let vault: SlackEmulator;
let zd: ZendeskEmulator;
let zdAgent: number;
let receiver: WebhookReceiver;
let parley: TestParley;
let acmeApi: ReturnType<typeof apiClient>;
let vaultApi: ReturnType<typeof apiClient>;

const INSTALLER = 'U0INSTALL';
const ANA = 'U0AGENTANA'; // listed in vault's agents by id
const BOB = 'U0AGENTBOB'; // in vault's support user group
const MALLORY = 'U0MALLORY'; // a workspace member, no agent
const IT_SECURITY = 'U0ITSEC'; // a real member whose name a user copies

beforeAll(async () => {
  acme = await startSlackEmulator(asInstalled);
  acme.addUser({ id: INSTALLER, name: 'ines', realName: 'Ines Installer', email: 'ines@acme.example' });
  acme.addUser({ id: ANA, name: 'ana', realName: 'Ana Agent', email: 'ana@acme.example' });
  acme.addUser({ id: IT_SECURITY, name: 'itsec', realName: 'IT Security', email: 'security@acme.example' });
  vault = await startSlackEmulator({ ...asInstalled, teamId: 'T0VAULT' });
  vault.addUser({ id: INSTALLER, name: 'ines', realName: 'Ines Installer', email: 'ines@vault.example' });
  vault.addUser({ id: ANA, name: 'ana', realName: 'Ana Agent', email: 'ana@vault.example' });
  vault.addUser({ id: BOB, name: 'bob', realName: 'Bob Agent', email: 'bob@vault.example' });
  vault.addUser({ id: MALLORY, name: 'mallory', realName: 'Mallory Member', email: 'mallory@vault.example' });
  const support = vault.addUserGroup({ handle: 'support', users: [BOB] });
  zd = await startZendeskEmulator({ ticketUpdateLimit: { max: 1000, windowMs: 600_000 } });
  // A Zendesk agent whose name and reply try to ping and mention in Slack.
  zdAgent = zd.addAgent({ name: '<@U0ITSEC> Zoe', email: 'zoe@acme.example' }).id;
  receiver = await startWebhookReceiver(secret);
  const port = await freePort();
  parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      apps: [
        {
          id: 'acme',
          name: 'Acme',
          apiKeys: [acmeKey],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            botToken: acme.botToken,
            signingSecret: acme.signingSecret,
            installerUserId: INSTALLER,
            apiUrl: acme.apiUrl,
          },
          zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
        },
        {
          id: 'vault',
          name: 'Vault',
          apiKeys: [vaultKey],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            botToken: vault.botToken,
            signingSecret: vault.signingSecret,
            installerUserId: INSTALLER,
            apiUrl: vault.apiUrl,
            privateChannels: true,
            agents: [ANA, support],
          },
        },
      ],
    }),
  });
  acme.setParleyUrl(parley.apiUrl);
  vault.setParleyUrl(parley.apiUrl);
  acmeApi = apiClient(parley.apiUrl, acmeKey);
  vaultApi = apiClient(parley.apiUrl, vaultKey);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await zd?.close();
  await vault?.close();
  await acme?.close();
});
afterEach(() => {
  for (const slack of [acme, vault]) {
    // Each test answers for its own: what one let through is not counted again in the next.
    const markup = slack.markupViolations.splice(0);
    expect(slack.specViolations).toEqual([]);
    expect(markup).toEqual([]);
    // Every call was allowed by the manifest's scopes.
    expect(slack.calls.filter((c) => c.error === 'missing_scope').map((c) => c.method)).toEqual([]);
  }
});

const userPath = (app: string, user: string, rest = '') => `/v1/apps/${app}/users/${encodeURIComponent(user)}${rest}`;

async function channelOf(app: string, user: string): Promise<string> {
  return waitFor(async () => (await conversationState(parley.client, app, user)).refs.slackChannelId, {
    what: `${user}'s channel`,
  });
}

const generalOf = (slack: SlackEmulator) => slack.channelByName('general')?.id as string;

/** The signals a conversation received, by name (in history: sent before Parley answered Slack). */
async function signals(app: string, user: string): Promise<string[]> {
  const history = await parley.client.workflow.getHandle(conversationWorkflowId(app, user)).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const name = e.workflowExecutionSignaledEventAttributes?.signalName;
    return name ? [name] : [];
  });
}

describe('Slack output is data, never markup', () => {
  it('a profile named <!channel> opens a conversation, and the dispatch notice pings nobody', async () => {
    const put = await acmeApi('PUT', userPath('acme', 'pinger'), { givenName: '<!channel>', email: 'p@evil.example' });
    expect(put.status).toBe(202);
    expect((await acmeApi('POST', userPath('acme', 'pinger', '/messages'), { text: 'hi' })).status).toBe(202);
    const channelId = await channelOf('acme', 'pinger');
    const notice = await waitFor(() => acme.messages(generalOf(acme)).find((m) => m.text.includes(`<#${channelId}>`)));
    expect(notice.text).toBe(`:new: New conversation with *&lt;!channel&gt;* (Acme): <#${channelId}>`);
    expect(notice.blocks?.[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: notice.text } });
    const header = acme.messages(channelId)[0];
    expect(header?.text.split('\n')[0]).toBe(
      ':speech_balloon: Conversation with *&lt;!channel&gt;* (p@evil.example) from Acme.',
    );
    // What the agent reads back with /sk !profile, and the confirmation of a reply: escaped too.
    const profile = await acme.sendSlashCommand({ userId: ANA, channelId, text: '!profile' });
    expect((profile.body as { text: string }).text.split('\n')[0]).toBe('*&lt;!channel&gt;*');
    // The agent typed "@everyone": Slack sends it as `<!everyone>`, the user reads it as typed, and the
    // confirmation quotes that text (no ping).
    const reply = await acme.sendSlashCommand({ userId: ANA, channelId, text: 'Hello <!everyone>' });
    expect(reply.body).toEqual({
      response_type: 'in_channel',
      text: ':white_check_mark: Sent to &lt;!channel&gt; by Ana Agent:\n>Hello @everyone',
    });
    const delivered = await waitFor(() =>
      receiver.events().find((d) => d.body.userId === 'pinger' && d.body.type === 'message:agent'),
    );
    expect(delivered.body.data.message?.text).toBe('Hello @everyone');
  });

  it('a message with a forged link arrives as the text it was typed as', async () => {
    const typed = 'Please log in again: <https://evil.example|https://acme.com/admin> & thanks';
    await acmeApi('POST', userPath('acme', 'linker', '/messages'), { text: typed });
    const channelId = await channelOf('acme', 'linker');
    const post = await waitFor(() => acme.messages(channelId).find((m) => m.metadata?.event_type === 'parley_message'));
    expect(post.text).toBe('Please log in again: &lt;https://evil.example|https://acme.com/admin&gt; &amp; thanks');
  });

  it('a user named "IT Security" posts as "IT Security (user)", never as the member of that name', async () => {
    // A zero-width space and a bidi override try to slip the name past a look-alike check.
    await acmeApi('PUT', userPath('acme', 'itsec'), { givenName: 'IT\u200b', surname: 'Security\u202e' });
    await acmeApi('POST', userPath('acme', 'itsec', '/messages'), { text: 'Your password expires today.' });
    const channelId = await channelOf('acme', 'itsec');
    const post = await waitFor(() => acme.messages(channelId).find((m) => m.text === 'Your password expires today.'));
    expect(post.username).toBe('IT Security (user)');
    expect(post.iconUrl).toBeUndefined(); // no email, no avatar: never the member's
    await acmeApi('PUT', userPath('acme', 'itsec-2'), { givenName: 'Parley', email: 'bot@evil.example' });
    await acmeApi('POST', userPath('acme', 'itsec-2', '/messages'), { text: 'I am the app' });
    const second = await channelOf('acme', 'itsec-2');
    const asApp = await waitFor(() => acme.messages(second).find((m) => m.text === 'I am the app'));
    expect(asApp.username).toBe('Parley (user)');
    expect(asApp.iconUrl).toMatch(/^https:\/\/www\.gravatar\.com\/avatar\/[0-9a-f]{64}/); // the Gravatar stays
  });

  it('an agent reply mirrored from Zendesk with <!here> is escaped', async () => {
    await acmeApi('PUT', userPath('acme', 'zed'), { givenName: 'Zed', email: 'zed@example.com' });
    await acmeApi('POST', userPath('acme', 'zed', '/messages'), { text: 'help' });
    const channelId = await channelOf('acme', 'zed');
    const ticket = Number(
      await waitFor(async () => (await conversationState(parley.client, 'acme', 'zed')).refs.zendeskTicketId, {
        what: 'the ticket',
      }),
    );
    const comment = await zd.agentComment(ticket, zdAgent, '<!here> urgent: see <https://evil.example|the docs>');
    expect(comment.deliveries[0]?.status).toBe(200);
    const mirrored = await waitFor(() => acme.messages(channelId).find((m) => m.text.startsWith('↩')));
    expect(mirrored.text).toBe(
      '↩ &lt;@U0ITSEC&gt; Zoe via Zendesk: &lt;!here&gt; urgent: see &lt;https://evil.example|the docs&gt;',
    );
  });
});

describe('Slack access control: agents and private channels', () => {
  it('creates private channels, invites the installer, and an agent joins through the button', async () => {
    await vaultApi('PUT', userPath('vault', 'pia'), { givenName: 'Pia', surname: 'Private' });
    await vaultApi('POST', userPath('vault', 'pia', '/messages'), { text: 'a private matter' });
    const channelId = await channelOf('vault', 'pia');
    const channel = vault.channel(channelId);
    expect(channel).toMatchObject({ name: 'sk-pia-private', isPrivate: true });
    expect(channel?.members).toEqual(expect.arrayContaining([vault.botUserId, INSTALLER]));
    expect(channel?.members).not.toContain(BOB);
    expect(vault.calls.find((c) => c.method === 'conversations.create')?.args).toMatchObject({ is_private: 'true' });
    await waitFor(() => vault.messages(channelId).some((m) => m.text === 'a private matter'));
    const notice = await waitFor(() =>
      vault.messages(generalOf(vault)).find((m) => m.text.includes(`<#${channelId}>`)),
    );
    expect(JSON.stringify(notice.blocks)).toContain('parley_join');
    // Bob is an agent through the support user group: the bot invites him into the private channel.
    const click = await vault.sendBlockAction({
      userId: BOB,
      channelId: generalOf(vault),
      actionId: 'parley_join',
      value: channelId,
    });
    expect(click.status).toBe(200);
    expect(vault.channel(channelId)?.members).toContain(BOB);
    expect(vault.responses(click.responseUrl)).toEqual([]);
    // And answers from there.
    const reply = await vault.sendSlashCommand({ userId: BOB, channelId, text: 'Bob here, from the group' });
    expect(reply.body).toMatchObject({ response_type: 'in_channel' });
    await waitFor(() =>
      receiver
        .events()
        .find((d) => d.body.userId === 'pia' && d.body.data.message?.text === 'Bob here, from the group'),
    );
  });

  it("refuses a non-agent's /sk politely, and nothing reaches the app", async () => {
    await vaultApi('POST', userPath('vault', 'quinn', '/messages'), { text: 'hello?' });
    const channelId = await channelOf('vault', 'quinn');
    const before = await signals('vault', 'quinn');
    for (const text of ['hello', '!profile', '!archive', '']) {
      const res = await vault.sendSlashCommand({ userId: MALLORY, channelId, text });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        response_type: 'ephemeral',
        text: expect.stringContaining('you are not an agent here'),
      });
      expect((res.body as { text: string }).text).not.toContain('quinn');
    }
    expect(await signals('vault', 'quinn')).toEqual(before);
    expect((await conversationState(parley.client, 'vault', 'quinn')).status).toBe('active');
    // Ana, listed by id, answers; hers is the only reply the app ever gets.
    const ok = await vault.sendSlashCommand({ userId: ANA, channelId, text: 'Ana here' });
    expect(ok.body).toMatchObject({ response_type: 'in_channel' });
    await waitFor(() => receiver.events().some((d) => d.body.userId === 'quinn' && d.body.type === 'message:agent'));
    const replies = receiver.events().filter((d) => d.body.userId === 'quinn' && d.body.type === 'message:agent');
    expect(replies.map((d) => d.body.data.message?.text)).toEqual(['Ana here']);
  });

  it("does nothing on a non-agent's Join but tell them why", async () => {
    await vaultApi('POST', userPath('vault', 'rosa', '/messages'), { text: 'hi' });
    const channelId = await channelOf('vault', 'rosa');
    await waitFor(() => vault.messages(generalOf(vault)).some((m) => m.text.includes(`<#${channelId}>`)));
    const members = vault.channel(channelId)?.members;
    const invites = vault.callCount('conversations.invite');
    const click = await vault.sendBlockAction({
      userId: MALLORY,
      channelId: generalOf(vault),
      actionId: 'parley_join',
      value: channelId,
    });
    expect(click.status).toBe(200);
    expect(vault.channel(channelId)?.members).toEqual(members);
    expect(vault.channel(channelId)?.members).not.toContain(MALLORY);
    expect(vault.callCount('conversations.invite')).toBe(invites);
    const told = await waitFor(() => vault.responses(click.responseUrl)[0]);
    expect(told.body).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringContaining('you are not an agent here'),
    });
  });

  it("archives on an agent's archive of a private channel, and ignores a non-agent's", async () => {
    await vaultApi('POST', userPath('vault', 'sam', '/messages'), { text: 'one' });
    const first = await channelOf('vault', 'sam');
    // Mallory was let in by someone and archives the channel: the conversation stays open.
    await vault.userPostsInChannel(first, MALLORY, 'closing this');
    const ignored = await vault.archiveChannelAsUser(first, MALLORY);
    expect(ignored?.status).toBe(200);
    expect(await signals('vault', 'sam')).not.toContain('archive');
    expect((await conversationState(parley.client, 'vault', 'sam')).status).toBe('active');
    expect(JSON.parse(vault.sent.at(-1)?.rawBody ?? '{}').event?.type).toBe('group_archive');
    // The user's next message goes on in a fresh private channel.
    await vaultApi('POST', userPath('vault', 'sam', '/messages'), { text: 'two' });
    const second = await waitFor(
      async () => {
        const id = (await conversationState(parley.client, 'vault', 'sam')).refs.slackChannelId;
        return id && id !== first ? id : undefined;
      },
      { what: 'a fresh channel' },
    );
    expect(vault.channel(second)?.isPrivate).toBe(true);
    await waitFor(() => vault.messages(second).some((m) => m.text === 'two'));
    // Ana (an agent) archives it: the conversation is archived and the app told.
    await vault.userPostsInChannel(second, ANA, 'done here');
    await vault.archiveChannelAsUser(second, ANA);
    await waitFor(async () => (await conversationState(parley.client, 'vault', 'sam')).status === 'archived', {
      what: 'archived',
    });
    await waitFor(() =>
      receiver.events().some((d) => d.body.userId === 'sam' && d.body.type === 'conversation:archived'),
    );
  });
});
