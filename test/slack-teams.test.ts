/**
 * Slack for teams (issue 18) end to end: routes by profile property and by metadata, a re-route when the app sets
 * the department, Claim and Resolve from the dispatch notice with the status updated in place (`chat.update`),
 * `/sk !claim`, `/sk !assign @name`, a member of another route refused, and the client app told who handles it
 * (`conversation:assigned`, `GET …/conversation`, the `ParleyAssignee` search attribute). The real API and worker,
 * a real Temporal dev server, the real @slack/web-api against the Slack emulator.
 */
import { randomBytes } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { conversationWorkflowId } from '../common/ids';
import { ParleyAssignee } from '../workflows/definitions';
import { conversationState } from './helpers/agent';
import { runIdsOf } from './helpers/history';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startSlackEmulator, type EmulatedMessage, type SlackEmulator } from './emulators/slack';

const APP = 'teams';
const key = testKey(APP);
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const ANA = 'U0ANABILL';
const BEN = 'U0BENBILL';
const ERIN = 'U0ERINENT';
const LEAD = 'U0LEADALL';
let slack: SlackEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
let billing: string;
let enterprise: string;
let general: string;
let billingGroup: string;

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.addUser({ id: ANA, name: 'ana', realName: 'Ana Billing', email: 'ana@teams.example' });
  slack.addUser({ id: BEN, name: 'ben', realName: 'Ben Billing', email: 'ben@teams.example' });
  slack.addUser({ id: ERIN, name: 'erin', realName: 'Erin Enterprise', email: 'erin@teams.example' });
  slack.addUser({ id: LEAD, name: 'lea', realName: 'Lea Lead', email: 'lea@teams.example' });
  billingGroup = slack.addUserGroup({ handle: 'billing-team', users: [ANA, BEN] });
  const web = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  billing = (await web.conversations.create({ name: 'billing' })).channel?.id as string;
  enterprise = (await web.conversations.create({ name: 'enterprise' })).channel?.id as string;
  general = slack.channelByName('general')?.id as string;
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: APP,
          name: 'Teams',
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
                channel: 'enterprise',
                agents: [ERIN],
              },
              {
                name: 'billing',
                when: { metadata: 'department', in: ['billing', 'refunds'] },
                channel: 'billing',
                agents: [billingGroup],
              },
            ],
          },
        },
      ],
    }),
    // Runs continue-as-new every few messages here, so the assignment is seen to survive it.
    continueAsNewAfterEvents: 60,
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

/** The dispatch notice of a user's channel in `dispatch` (its current version: updates show in place). */
function notice(dispatch: string, userChannel: string): EmulatedMessage | undefined {
  return slack.messages(dispatch).find((m) => m.metadata?.event_payload.channel_id === userChannel);
}

function status(message: EmulatedMessage | undefined): string {
  return JSON.stringify(message?.blocks ?? []);
}

async function assignee(user: string): Promise<string | undefined> {
  const description = await parley.client.workflow.getHandle(conversationWorkflowId(APP, user)).describe();
  return description.typedSearchAttributes.get(ParleyAssignee);
}

describe('Slack routes', () => {
  it('sends a conversation to the route its metadata matches, and invites that route’s agents', async () => {
    const res = await api('POST', userPath('bill-1', '/messages'), {
      text: 'I was charged twice',
      metadata: { department: 'refunds' },
    });
    expect(res.status).toBe(202);
    const channel = await channelOf('bill-1');
    const posted = await waitFor(() => notice(billing, channel), { what: 'the notice in #billing' });
    expect(posted.text).toContain('New conversation');
    expect(status(posted)).toContain('New, unclaimed');
    expect(status(posted)).toContain('parley_claim');
    expect(notice(general, channel)).toBeUndefined();
    // The route's user group, member by member.
    expect(slack.channel(channel)?.members).toEqual(expect.arrayContaining([ANA, BEN]));
    expect(slack.channel(channel)?.members).not.toContain(ERIN);
    // The route is the activity's answer: the workflow has it once the send completed.
    const shown = await waitFor(
      async () => {
        const body = (await api('GET', userPath('bill-1', '/conversation'))).body;
        return body.routing?.route ? body : undefined;
      },
      { what: 'the route in GET …/conversation' },
    );
    expect(shown.routing).toEqual({ route: 'billing', department: 'refunds' });
    expect(shown.assignment).toBeNull();
  });

  it('routes by a profile property, and goes to the dispatch channel when no route matches', async () => {
    await api('PUT', userPath('big-co'), { givenName: 'Bea', properties: { plan: 'enterprise' } });
    await api('POST', userPath('big-co', '/messages'), { text: 'Our SSO is down' });
    const channel = await channelOf('big-co');
    await waitFor(() => notice(enterprise, channel), { what: 'the notice in #enterprise' });
    expect(slack.channel(channel)?.members).toContain(ERIN);

    await api('POST', userPath('plain-1', '/messages'), { text: 'Hello' });
    const other = await channelOf('plain-1');
    await waitFor(() => notice(general, other), { what: 'the notice in #general' });
  });

  it('re-routes when the app sets the department: the new channel is told, the old notice says where it went', async () => {
    await api('POST', userPath('moving', '/messages'), { text: 'A question' });
    const channel = await channelOf('moving');
    await waitFor(() => notice(general, channel), { what: 'the first notice' });
    const put = await api('PUT', userPath('moving', '/conversation'), { department: 'billing' });
    expect(put.status).toBe(202);
    const moved = await waitFor(() => notice(billing, channel), { what: 'the notice in #billing' });
    expect(moved.text).toContain(`Moved here from <#${general}>`);
    await waitFor(() => notice(general, channel)?.text.includes(`Moved to <#${billing}>`), {
      what: 'the old notice updated',
    });
    expect(slack.channel(channel)?.members).toEqual(expect.arrayContaining([ANA, BEN]));
    await waitFor(
      async () => (await api('GET', userPath('moving', '/conversation'))).body.routing?.route === 'billing',
      {
        what: 'the new route in GET …/conversation',
      },
    );
    expect((await api('GET', userPath('moving', '/conversation'))).body.routing).toEqual({
      route: 'billing',
      department: 'billing',
    });
    // Bad input is a 400 that says why.
    const bad = await api('PUT', userPath('moving', '/conversation'), { department: 7 });
    expect(bad.status).toBe(400);
  });
});

describe('Claim, assign, resolve', () => {
  it('Claim on the notice: the status updates in place, the app learns who, Resolve archives', async () => {
    const channel = await channelOf('bill-1');
    const click = await slack.sendBlockAction({
      userId: ANA,
      channelId: billing,
      actionId: 'parley_claim',
      value: channel,
    });
    expect(click.status).toBe(200);
    await waitFor(() => status(notice(billing, channel)).includes('Claimed by *Ana Billing*'), {
      what: 'the notice updated',
    });
    // Updated, not posted again.
    expect(slack.messages(billing).filter((m) => m.metadata?.event_payload.channel_id === channel)).toHaveLength(1);
    expect(status(notice(billing, channel))).not.toContain('parley_claim');
    await waitFor(() =>
      slack.messages(channel).some((m) => m.text.includes('*Ana Billing* claimed this conversation')),
    );

    const assigned = await waitFor(
      () => receiver.events().find((e) => e.body.type === 'conversation:assigned' && e.body.userId === 'bill-1'),
      { what: 'conversation:assigned' },
    );
    expect((assigned.body.data as Record<string, unknown>).assignment).toMatchObject({
      status: 'claimed',
      assignee: { id: ANA, name: 'Ana Billing', source: 'slack' },
    });
    expect((await api('GET', userPath('bill-1', '/conversation'))).body.assignment).toMatchObject({
      status: 'claimed',
      assignee: { id: ANA },
    });
    await waitFor(async () => (await assignee('bill-1')) === ANA, { what: 'ParleyAssignee' });

    const resolve = await slack.sendBlockAction({
      userId: ANA,
      channelId: billing,
      actionId: 'parley_resolve',
      value: channel,
    });
    expect(resolve.status).toBe(200);
    await waitFor(() => status(notice(billing, channel)).includes('Resolved by *Ana Billing*'), {
      what: 'resolved in place',
    });
    await waitFor(async () => (await conversationState(parley.client, APP, 'bill-1')).status === 'archived');
    await waitFor(() => slack.channel(channel)?.archived === true, { what: 'the channel archived' });

    // The user writes again: Reopened, the assignee kept.
    await api('POST', userPath('bill-1', '/messages'), { text: 'Still charged twice' });
    await waitFor(
      async () => (await conversationState(parley.client, APP, 'bill-1')).assignment?.status === 'reopened',
    );
    const reopenedChannel = await waitFor(
      async () => {
        const id = (await conversationState(parley.client, APP, 'bill-1')).refs.slackChannelId;
        return id && id !== channel ? id : undefined;
      },
      { what: 'a fresh channel' },
    );
    await waitFor(() => status(notice(billing, reopenedChannel)).includes('Reopened, claimed by *Ana Billing*'), {
      what: 'the new notice shows Reopened',
    });
  });

  it('refuses a claim from an agent of another route, and says so', async () => {
    const channel = await channelOf('big-co');
    const click = await slack.sendBlockAction({
      userId: ANA,
      channelId: enterprise,
      actionId: 'parley_claim',
      value: channel,
    });
    expect(click.status).toBe(200);
    const answer = await waitFor(() => slack.responses(click.responseUrl)[0], { what: 'the ephemeral answer' });
    expect(JSON.stringify(answer.body)).toContain('Only the agents of the route enterprise');
    expect((await conversationState(parley.client, APP, 'big-co')).assignment).toBeUndefined();
  });

  it('/sk !claim and /sk !assign @name, with the status in place', async () => {
    const channel = await channelOf('big-co');
    const claim = await slack.sendSlashCommand({ userId: ERIN, channelId: channel, text: '!claim' });
    expect(claim.status).toBe(200);
    expect(JSON.stringify(claim.body)).toContain('Claimed');
    await waitFor(() => status(notice(enterprise, channel)).includes('Claimed by *Erin Enterprise*'));

    // The lead (an app agent, not the route's) may not be given an enterprise conversation; Erin may hand it to nobody else.
    const wrong = await slack.sendSlashCommand({ userId: ERIN, channelId: channel, text: `!assign <@${LEAD}|lea>` });
    expect(JSON.stringify(wrong.body)).toContain('Only the agents of the route enterprise');
    const usage = await slack.sendSlashCommand({ userId: ERIN, channelId: channel, text: '!assign lea' });
    expect(JSON.stringify(usage.body)).toContain('!assign @name');

    // On the billing route, the group's members pass work between them.
    const moving = await channelOf('moving');
    const assign = await slack.sendSlashCommand({ userId: ANA, channelId: moving, text: `!assign <@${BEN}|ben>` });
    expect(JSON.stringify(assign.body)).toContain('Assigned to *Ben Billing*');
    await waitFor(() => status(notice(billing, moving)).includes('Claimed by *Ben Billing*'));
    await waitFor(() =>
      slack.messages(moving).some((m) => m.text.includes('*Ana Billing* assigned this conversation to *Ben Billing*')),
    );
    await waitFor(async () => (await assignee('moving')) === BEN);
    const assigned = await waitFor(
      () =>
        receiver
          .events()
          .filter((e) => e.body.type === 'conversation:assigned' && e.body.userId === 'moving')
          .map((e) => (e.body.data as Record<string, { assignee?: { id: string } }>).assignment)
          .find((a) => a?.assignee?.id === BEN),
      { what: 'conversation:assigned to Ben' },
    );
    expect(assigned).toMatchObject({ assignee: { id: BEN }, by: { id: ANA, name: 'Ana Billing' } });
  });

  it('keeps the assignee across continue-as-new: state, search attribute, and the notice still updated in place', async () => {
    const user = 'long-run';
    await api('POST', userPath(user, '/messages'), { text: 'first' });
    const channel = await channelOf(user);
    await waitFor(() => notice(general, channel), { what: 'the notice in #general' });
    const claim = await slack.sendSlashCommand({ userId: LEAD, channelId: channel, text: '!claim' });
    expect(JSON.stringify(claim.body)).toContain('Claimed');
    await waitFor(async () => (await assignee(user)) === LEAD, { what: 'ParleyAssignee' });
    const id = conversationWorkflowId(APP, user);
    // Enough messages for a run to pass 60 events; it continues-as-new once Slack has them all (1 post a second).
    for (let i = 0; i < 20; i++)
      expect((await api('POST', userPath(user, '/messages'), { text: `more ${i}` })).status).toBe(202);
    await waitFor(async () => (await runIdsOf(parley.client, id)).length >= 2, {
      timeoutMs: 90_000,
      what: 'a continue-as-new',
    });
    expect((await conversationState(parley.client, APP, user)).assignment).toMatchObject({
      status: 'claimed',
      assignee: { id: LEAD },
    });
    expect(await assignee(user)).toBe(LEAD);
    // Slack takes about one post a second per channel: the resolve is not to queue behind the 20 messages.
    await waitFor(() => slack.messages(channel).some((m) => m.text === 'more 19'), {
      timeoutMs: 90_000,
      what: 'the 20 messages in Slack',
    });
    const resolve = await slack.sendSlashCommand({ userId: LEAD, channelId: channel, text: '!resolve' });
    expect(JSON.stringify(resolve.body)).toContain('Resolved');
    await waitFor(() => status(notice(general, channel)).includes('Resolved by *Lea Lead*'), {
      what: 'the notice resolved in place after continue-as-new',
    });
  }, 240_000);
});
