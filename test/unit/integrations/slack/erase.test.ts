/**
 * The Slack eraser on its own, against the Slack emulator (real @slack/web-api, every call checked against Slack's
 * spec, no Temporal): the conversation's channels renamed and archived, its dispatch notices anonymised, a retry
 * harmless, and what a bot token cannot do said plainly.
 */
import type { OutboxItem, UserProfile } from '../../../../common/conversation';
import { createSlackAdapter, type SlackBatch } from '../../../../integrations/slack/adapter';
import { createSlackChannelCache } from '../../../../integrations/slack/cache';
import { createSlackClient } from '../../../../integrations/slack/client';
import { createSlackEraser, erasedChannelName, erasedNoticeText } from '../../../../integrations/slack/erase';
import { startSlackEmulator, type SlackEmulator } from '../../../emulators/slack';

let slack: SlackEmulator;

beforeAll(async () => {
  slack = await startSlackEmulator();
});
afterAll(async () => {
  await slack?.close();
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
});

const config = () => ({
  botToken: slack.botToken,
  signingSecret: slack.signingSecret,
  dispatchChannel: 'general',
  apiUrl: slack.apiUrl,
});
const hooks = { heartbeat: () => undefined };

function adapter() {
  return createSlackAdapter({
    client: createSlackClient(config()),
    config: config(),
    hooks: { heartbeat: () => undefined, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), postIntervalMs: 0 },
    channels: createSlackChannelCache(),
  });
}

const said = (eventId: string, text: string): OutboxItem => ({
  eventId,
  kind: 'message:user',
  message: { id: eventId, role: 'user', text, at: '2026-12-01T12:00:00Z' },
  enqueuedAt: 0,
});

function batch(user: string, items: OutboxItem[], profile: UserProfile, refs: Record<string, string> = {}): SlackBatch {
  return { userId: user, conversationId: `conversation:acme:${user}`, profile, refs, items, appName: 'Acme' };
}

const eraser = () => createSlackEraser(createSlackClient(config()), config());
const general = () => slack.channelByName('general')!;
const notices = (conversationId: string, channel: string) =>
  slack
    .messages(general().id)
    .filter((m) => m.metadata?.event_type === 'parley_dispatch')
    .filter((m) => JSON.stringify(m.blocks ?? []).includes(channel) || m.text === erasedNoticeText('Acme'))
    .filter((m) => m.metadata?.event_payload.conversation_id === conversationId || m.metadata?.event_payload.erased);

it('names the channels after a random part only', () => {
  expect(erasedChannelName('3F9A-2C1B')).toBe('sk-erased-3f9a2c1b');
  expect(erasedChannelName('')).toBe('sk-erased-user');
});

it('renames and archives the channel, anonymises the notice, and a retry changes nothing more', async () => {
  const { refs } = await adapter().send(batch('ada', [said('a1', 'my card number is 4111')], { givenName: 'Ada' }));
  const channel = refs.slackChannelId as string;
  expect(slack.channel(channel)?.name).toBe('sk-ada');
  const input = { conversationId: 'conversation:acme:ada', appName: 'Acme', refs, anonymousName: 'sk-erased-ab12' };

  const out = await eraser().erase(input, hooks);
  expect(out.erased).toEqual([
    expect.objectContaining({ kind: 'dispatch_notice', detail: 'the notice in #general no longer names the user' }),
    { system: 'slack', kind: 'channel', id: channel, detail: 'renamed to #sk-erased-ab12 and archived' },
  ]);
  expect(out.remains).toEqual([expect.objectContaining({ kind: 'channel', id: channel })]);
  expect(slack.channel(channel)).toMatchObject({ name: 'sk-erased-ab12', archived: true });
  const notice = slack.messages(general().id).find((m) => m.metadata?.event_type === 'parley_dispatch');
  expect(notice).toMatchObject({ text: erasedNoticeText('Acme'), blocks: [] });
  expect(JSON.stringify(notice)).not.toMatch(/Ada|sk-ada|conversation:acme:ada/);

  // A retry (the answer was lost): nothing is renamed twice, nothing fails.
  const renames = slack.callCount('conversations.rename');
  const again = await eraser().erase(input, hooks);
  expect(slack.callCount('conversations.rename')).toBe(renames);
  expect(again.erased).toEqual([]);
  expect(again.remains).toEqual([expect.objectContaining({ kind: 'channel', id: channel })]);
  expect(notices('conversation:acme:ada', channel)).toHaveLength(1);
});

it('finds the older channels of a reopened conversation; an archived one keeps its name and is said to', async () => {
  const send = adapter();
  const first = await send.send(batch('bea', [said('b1', 'first')], { givenName: 'Bea' }));
  const old = first.refs.slackChannelId as string;
  await slack.archiveChannelAsUser(old, 'U0OWNER');
  // Reopened: a fresh channel (bot tokens cannot unarchive), announced again in #general.
  const reopened = batch('bea', [said('b2', 'back')], { givenName: 'Bea' }, first.refs);
  reopened.recent = [said('b1', 'first').message!];
  const second = await send.send(reopened);
  const fresh = second.refs.slackChannelId as string;
  expect(fresh).not.toBe(old);

  const out = await eraser().erase(
    { conversationId: 'conversation:acme:bea', appName: 'Acme', refs: second.refs, anonymousName: 'sk-erased-cd34' },
    hooks,
  );
  expect(slack.channel(fresh)).toMatchObject({ name: 'sk-erased-cd34', archived: true });
  expect(slack.channel(old)).toMatchObject({ name: 'sk-bea', archived: true });
  expect(out.erased.filter((e) => e.kind === 'dispatch_notice')).toHaveLength(2);
  expect(out.remains.find((e) => e.id === old)?.detail).toMatch(/archived before, so it keeps its old name/);
  expect(JSON.stringify(out)).not.toContain('sk-bea');
});
