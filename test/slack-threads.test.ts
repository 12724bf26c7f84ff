/**
 * Slack threads mode (`slack.mode: threads`) end to end: one thread per conversation in the route's channel (no
 * channel created), the user's messages in it, an agent's thread reply to the app unless it is a `;;` note or its
 * author no agent, edits and deletions as `message:agent:updated` / `…:deleted`, Claim on the parent updated in
 * place, ✅ resolving, and the next user message reopening the same thread with `reply_broadcast`. The real API and
 * worker, a real Temporal dev server, the real @slack/web-api against the Slack emulator.
 */
import { randomBytes } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from './helpers/webhook-receiver';
import { startSlackEmulator, type EmulatedMessage, type SlackEmulator } from './emulators/slack';

const APP = 'threads-app';
const key = testKey(APP);
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const ANA = 'U0ANATHRD';
const BEN = 'U0BENTHRD';
const CARL = 'U0CARLNOT';
let slack: SlackEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
let support: string;
let billing: string;

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.addUser({ id: ANA, name: 'ana', realName: 'Ana Agent', email: 'ana@threads.example' });
  slack.addUser({ id: BEN, name: 'ben', realName: 'Ben Agent', email: 'ben@threads.example' });
  slack.addUser({ id: CARL, name: 'carl', realName: 'Carl Sales', email: 'carl@threads.example' });
  const web = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  support = (await web.conversations.create({ name: 'support' })).channel?.id as string;
  billing = (await web.conversations.create({ name: 'billing' })).channel?.id as string;
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: APP,
          name: 'Threads',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            apiUrl: slack.apiUrl,
            dispatchChannel: 'support',
            mode: 'threads',
            agents: [ANA, BEN],
            routes: [{ name: 'billing', when: { metadata: 'department', equals: 'billing' }, channel: 'billing' }],
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

/** The user's thread as Parley keeps it (`<channel>:<ts>`), once its parent is posted. */
async function threadOf(user: string): Promise<{ channel: string; ts: string }> {
  const ref = await waitFor(async () => (await conversationState(parley.client, APP, user)).refs.slackThread, {
    what: `${user}'s thread`,
  });
  const [channel, ts] = ref.split(':') as [string, string];
  return { channel, ts };
}

function replies(thread: { channel: string; ts: string }): EmulatedMessage[] {
  return slack
    .messages(thread.channel, { includeThreadReplies: true })
    .filter((m) => m.threadTs === thread.ts && m.ts !== thread.ts);
}

function blocksOf(message: EmulatedMessage | undefined): string {
  return JSON.stringify(message?.blocks ?? []);
}

function eventsOf(user: string, type: string): Delivery[] {
  return receiver.events().filter((e) => e.body.userId === user && e.body.type === type);
}

describe('Slack threads mode', () => {
  it('opens a thread in the route channel, no channel created, the user’s messages in it', async () => {
    const channelsBefore = slack.channels().length;
    expect((await api('POST', userPath('tina', '/messages'), { text: 'My order is late' })).status).toBe(202);
    const thread = await threadOf('tina');
    expect(thread.channel).toBe(support);
    const parent = await waitFor(
      () => {
        const m = slack.message(support, thread.ts);
        return blocksOf(m).includes('parley_claim') ? m : undefined;
      },
      { what: 'the parent with its buttons' },
    );
    expect(parent.text).toContain('New conversation');
    expect(blocksOf(parent)).toContain('New, unclaimed');
    expect(blocksOf(parent)).toContain(`"value":"${support}:${thread.ts}"`);
    expect(blocksOf(parent)).not.toContain('parley_join');
    await waitFor(() => replies(thread).some((m) => m.text === 'My order is late'), {
      what: 'the message in the thread',
    });
    // Not in the channel itself, and no channel of the user's.
    expect(slack.messages(support).some((m) => m.text === 'My order is late')).toBe(false);
    expect(slack.channels()).toHaveLength(channelsBefore);
    expect((await conversationState(parley.client, APP, 'tina')).refs.slackChannelId).toBeUndefined();

    await api('POST', userPath('tina', '/messages'), { text: 'Order 1234' });
    await waitFor(() => replies(thread).some((m) => m.text === 'Order 1234'), { what: 'the second message' });
    expect(slack.messages(support).filter((m) => m.metadata?.event_type === 'parley_dispatch')).toHaveLength(1);
  });

  it('relays an agent’s thread reply to the app; a ;; note and a non-agent’s reply stay internal', async () => {
    const thread = await threadOf('tina');
    await slack.userPostsInChannel(support, ANA, ';; checking with the warehouse', { threadTs: thread.ts });
    await slack.userPostsInChannel(support, CARL, 'I can offer a discount', { threadTs: thread.ts });
    const { ts } = await slack.userPostsInChannel(support, ANA, 'It ships tomorrow', { threadTs: thread.ts });
    const reply = await waitFor(() => eventsOf('tina', 'message:agent')[0], { what: 'the agent reply webhook' });
    expect(reply.body.data.message).toMatchObject({
      id: `slack:${support}:${ts}`,
      text: 'It ships tomorrow',
      source: 'slack',
      agent: { name: 'Ana Agent' },
    });
    // Relayed once, not echoed back into the thread.
    expect(eventsOf('tina', 'message:agent')).toHaveLength(1);
    const state = await conversationState(parley.client, APP, 'tina');
    expect(state.messages.filter((m) => m.role === 'agent').map((m) => m.text)).toEqual(['It ships tomorrow']);
    expect(replies(thread).filter((m) => m.text === 'It ships tomorrow')).toHaveLength(1);
  });

  it('an edit and a deletion of a relayed reply reach the app as message:agent:updated and …:deleted', async () => {
    const thread = await threadOf('tina');
    const reply = replies(thread).find((m) => m.text === 'It ships tomorrow' && m.user === ANA) as EmulatedMessage;
    await slack.userEditsMessage(support, reply.ts, 'It ships today');
    const updated = await waitFor(() => eventsOf('tina', 'message:agent:updated')[0], { what: 'the update' });
    expect(updated.body.data.message).toMatchObject({ id: `slack:${support}:${reply.ts}`, text: 'It ships today' });
    await waitFor(async () =>
      (await conversationState(parley.client, APP, 'tina')).messages.some((m) => m.text === 'It ships today'),
    );

    // A note edited changes nothing: it was never relayed.
    const note = replies(thread).find((m) => m.text.startsWith(';;')) as EmulatedMessage;
    await slack.userEditsMessage(support, note.ts, ';; warehouse confirmed');

    await slack.userDeletesMessage(support, reply.ts);
    const deleted = await waitFor(() => eventsOf('tina', 'message:agent:deleted')[0], { what: 'the deletion' });
    expect(deleted.body.data.message?.id).toBe(`slack:${support}:${reply.ts}`);
    expect(deleted.body.data.message).not.toHaveProperty('text');
    expect(eventsOf('tina', 'message:agent:updated')).toHaveLength(1);
  });

  it('Send to user on a note in the thread sends it to the user, without the note prefix', async () => {
    const thread = await threadOf('tina');
    const note = replies(thread).find((m) => m.text.startsWith(';;')) as EmulatedMessage;
    const before = eventsOf('tina', 'message:agent').length;
    const used = await slack.sendMessageShortcut({
      userId: ANA,
      channelId: support,
      messageTs: note.ts,
      callbackId: 'parley_send_to_user',
    });
    expect(used.status).toBe(200);
    const sent = await waitFor(() => eventsOf('tina', 'message:agent')[before], { what: 'the shortcut reply' });
    expect(sent.body.data.message).toMatchObject({
      id: `slack:shortcut:${support}:${note.ts}`,
      text: 'warehouse confirmed',
    });
    await waitFor(() => slack.responses(used.responseUrl).length > 0, { what: 'the confirmation' });
  });

  it('Claim on the parent updates it in place; ✅ resolves; the next message reopens the same thread, broadcast', async () => {
    const thread = await threadOf('tina');
    const click = await slack.sendBlockAction({
      userId: BEN,
      channelId: support,
      actionId: 'parley_claim',
      value: `${support}:${thread.ts}`,
      messageTs: thread.ts,
    });
    expect(click.status).toBe(200);
    await waitFor(() => blocksOf(slack.message(support, thread.ts)).includes('Claimed by *Ben Agent*'), {
      what: 'the parent updated',
    });
    expect(blocksOf(slack.message(support, thread.ts))).not.toContain('parley_claim');
    await waitFor(() => replies(thread).some((m) => m.text.includes('*Ben Agent* claimed this conversation')));
    await waitFor(() => eventsOf('tina', 'conversation:assigned')[0], { what: 'conversation:assigned' });

    // ✅ by someone who is no agent changes nothing; by an agent it resolves.
    await slack.userReacts(support, thread.ts, CARL, 'white_check_mark');
    await slack.userReacts(support, thread.ts, BEN, 'white_check_mark');
    await waitFor(async () => (await conversationState(parley.client, APP, 'tina')).status === 'archived', {
      what: 'resolved',
    });
    await waitFor(() => blocksOf(slack.message(support, thread.ts)).includes('Resolved by *Ben Agent*'), {
      what: 'resolved in place',
    });
    await waitFor(() => replies(thread).some((m) => m.text.startsWith(':file_folder: Archived')), {
      what: 'the archive line',
    });
    expect(slack.channel(support)?.archived).toBe(false);
    await waitFor(() => eventsOf('tina', 'conversation:archived')[0], { what: 'conversation:archived' });

    await api('POST', userPath('tina', '/messages'), { text: 'It did not arrive' });
    const back = await waitFor(() => replies(thread).find((m) => m.text === 'It did not arrive'), {
      what: 'the message in the same thread',
    });
    expect(back.subtype).toBe('thread_broadcast');
    expect(slack.messages(support).some((m) => m.ts === back.ts)).toBe(true);
    expect(replies(thread).some((m) => m.text.includes('this thread is open again'))).toBe(true);
    await waitFor(() => blocksOf(slack.message(support, thread.ts)).includes('Reopened, claimed by *Ben Agent*'), {
      what: 'the parent shows Reopened',
    });
    expect((await threadOf('tina')).ts).toBe(thread.ts);
    expect(slack.messages(support).filter((m) => m.metadata?.event_type === 'parley_dispatch')).toHaveLength(1);
  });

  it('re-routes to a new thread in the new route’s channel; the old parent says where it went', async () => {
    await api('POST', userPath('mo', '/messages'), { text: 'A question' });
    const first = await threadOf('mo');
    expect(first.channel).toBe(support);
    await waitFor(() => replies(first).some((m) => m.text === 'A question'));
    expect((await api('PUT', userPath('mo', '/conversation'), { department: 'billing' })).status).toBe(202);
    const moved = await waitFor(
      async () => {
        const thread = await threadOf('mo');
        return thread.channel === billing ? thread : undefined;
      },
      { what: 'the thread in #billing' },
    );
    await waitFor(() => slack.message(billing, moved.ts)?.text.includes(`Moved here from <#${support}>`), {
      what: 'the new parent says where from',
    });
    await waitFor(() => slack.message(support, first.ts)?.text.includes(`Moved to <#${billing}>`), {
      what: 'the old parent says where to',
    });
    await api('POST', userPath('mo', '/messages'), { text: 'About my invoice' });
    await waitFor(() => replies(moved).some((m) => m.text === 'About my invoice'), { what: 'the new thread goes on' });
    expect(replies(first).some((m) => m.text === 'About my invoice')).toBe(false);
    // A reply in the new thread finds the conversation.
    await slack.userPostsInChannel(billing, ANA, 'Sent you a copy', { threadTs: moved.ts });
    await waitFor(() => eventsOf('mo', 'message:agent').find((e) => e.body.data.message?.text === 'Sent you a copy'));
  });

  it('a handoff to the team posts in the thread; Hand back to bot there hands it back', async () => {
    await api('POST', userPath('hana', '/messages'), { text: 'Talk to a person please' });
    const thread = await threadOf('hana');
    // The team has it by default: the bot takes it, then hands it to the team.
    expect((await api('POST', userPath('hana', '/handoff'), { to: 'bot' })).status).toBe(202);
    await waitFor(async () => (await conversationState(parley.client, APP, 'hana')).control?.current === 'bot');
    expect((await api('POST', userPath('hana', '/handoff'), { to: 'team', reason: 'asked' })).status).toBe(202);
    const notice = await waitFor(() => replies(thread).find((m) => blocksOf(m).includes('parley_handback')), {
      what: 'the handoff notice in the thread',
    });
    expect(blocksOf(notice)).toContain(`"value":"${support}:${thread.ts}"`);
    const click = await slack.sendBlockAction({
      userId: ANA,
      channelId: support,
      actionId: 'parley_handback',
      value: `${support}:${thread.ts}`,
      messageTs: notice.ts,
    });
    expect(click.status).toBe(200);
    await waitFor(async () => (await conversationState(parley.client, APP, 'hana')).control?.current === 'bot', {
      what: 'handed back to the bot',
    });
    await waitFor(() => replies(thread).some((m) => m.text.includes('handed this conversation back to the bot')));
  });
});
