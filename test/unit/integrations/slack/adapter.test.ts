/**
 * The Slack adapter on its own, against the Slack emulator (real @slack/web-api, every call checked against Slack's
 * spec, no Temporal): exactly-once posting by message metadata, the shared channel cache, channel names.
 */
import type { OutboxItem, UserProfile } from '../../../../common/conversation';
import { OutboxBatchError } from '../../../../common/errors';
import { createSlackAdapter, type SlackBatch } from '../../../../integrations/slack/adapter';
import { createSlackChannelCache, type SlackChannelCache } from '../../../../integrations/slack/cache';
import { createSlackClient } from '../../../../integrations/slack/client';
import { startSlackEmulator, type SlackEmulator } from '../../../emulators/slack';

let slack: SlackEmulator;
const AGENT = 'U0AGENTANA';

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.addUser({ id: AGENT, name: 'ana', realName: 'Ana Agent', email: 'ana@acme.example' });
});
afterAll(async () => {
  await slack?.close();
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
});

function adapter(channels: SlackChannelCache = createSlackChannelCache(), privateChannels = false) {
  const config = {
    botToken: slack.botToken,
    signingSecret: slack.signingSecret,
    dispatchChannel: 'general',
    apiUrl: slack.apiUrl,
    privateChannels,
  };
  return createSlackAdapter({
    client: createSlackClient(config),
    config,
    hooks: { heartbeat: () => undefined, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), postIntervalMs: 0 },
    channels,
  });
}

const said = (eventId: string, text: string): OutboxItem => ({
  eventId,
  kind: 'message:user',
  message: { id: eventId, role: 'user', text, at: '2026-12-01T12:00:00Z' },
  enqueuedAt: 0,
});

function batch(user: string, items: OutboxItem[], profile: UserProfile = {}, refs = {}): SlackBatch {
  return { userId: user, conversationId: `conversation:acme:${user}`, profile, refs, items, appName: 'Acme' };
}

const posts = (text: string) => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.text === text);

it('posts each item once: a retried batch finds them by their parley_message metadata', async () => {
  const send = adapter();
  const items = [said('m1', 'hello'), said('m2', 'anyone?')];
  const first = await send.send(batch('ada', items, { givenName: 'Ada' }));
  expect(first.completed).toBe(2);
  const channel = first.refs.slackChannelId as string;
  expect(slack.channel(channel)?.name).toBe('sk-ada');
  const again = await send.send(batch('ada', items, { givenName: 'Ada' }, first.refs));
  expect(again).toEqual({ refs: first.refs, completed: 2 });
  expect(posts('hello')).toHaveLength(1);
  expect(posts('anyone?')).toHaveLength(1);
  expect(slack.messages(channel).find((m) => m.text === 'hello')?.metadata).toEqual({
    event_type: 'parley_message',
    event_payload: { message_id: 'm1', conversation_id: 'conversation:acme:ada' },
  });
});

it('does not post again what went out when only the answer was lost', async () => {
  const send = adapter();
  const { refs } = await send.send(batch('bo', [said('b1', 'first')]));
  slack.failNext('chat.postMessage', { status: 500, afterEffect: true });
  const failure = await send.send(batch('bo', [said('b2', 'second'), said('b3', 'third')], {}, refs)).catch((e) => e);
  expect(failure).toBeInstanceOf(OutboxBatchError);
  expect(failure).toMatchObject({ completed: 0, cause: { code: 'slack_unavailable', retryable: true } });
  // Temporal retries the same items: `second` is found in the channel, `third` is posted.
  await send.send(batch('bo', [said('b2', 'second'), said('b3', 'third')], {}, refs));
  expect(posts('second')).toEqual([expect.objectContaining({ status: 500 })]);
  expect(posts('third')).toHaveLength(1);
  const texts = slack.messages(refs.slackChannelId as string).map((m) => m.text);
  expect(texts.filter((t) => ['first', 'second', 'third'].includes(t ?? ''))).toEqual(['first', 'second', 'third']);
});

it('looks the dispatch channel up once per worker: the cache passed in is shared by every batch', async () => {
  const shared = createSlackChannelCache();
  const before = slack.callCount('conversations.list');
  await adapter(shared).send(batch('cy', [said('c1', 'hi from cy')]));
  await adapter(shared).send(batch('dee', [said('d1', 'hi from dee')]));
  expect(slack.callCount('conversations.list') - before).toBe(1);
  expect(shared.size).toBe(1);
  // Without it, each batch pages through conversations.list again.
  await adapter().send(batch('eve', [said('e1', 'hi from eve')]));
  await adapter().send(batch('fay', [said('f1', 'hi from fay')]));
  expect(slack.callCount('conversations.list') - before).toBe(3);
});

it("takes the next suffix when a taken name's channel cannot be read (someone else's channel)", async () => {
  const kim = { givenName: 'Kim', surname: 'Lee' };
  const first = await adapter().send(batch('kim', [said('k1', 'one Kim')], kim));
  expect(slack.channel(first.refs.slackChannelId as string)?.name).toBe('sk-kim-lee');
  // A second Kim Lee: sk-kim-lee is taken, and reading it to see whether it is this conversation's is refused.
  slack.failNext('conversations.history', { error: 'not_in_channel' });
  const second = await adapter().send(batch('kim-2', [said('k2', 'another Kim')], kim));
  expect(second.completed).toBe(1);
  expect(slack.channel(second.refs.slackChannelId as string)?.name).toBe('sk-kim-lee-2');
});

it('goes on in a fresh channel when the channel was archived behind its back', async () => {
  const send = adapter();
  const { refs } = await send.send(batch('gus', [said('g1', 'before')], { givenName: 'Gus' }));
  const old = refs.slackChannelId as string;
  await slack.archiveChannelAsUser(old, AGENT);
  const after = await send.send(batch('gus', [said('g2', 'after')], { givenName: 'Gus' }, refs));
  const fresh = after.refs.slackChannelId as string;
  expect(fresh).not.toBe(old);
  expect(slack.channel(fresh)?.name).toBe('sk-gus-2');
  expect(slack.messages(fresh).map((m) => m.text)).toContain('after');
  const general = slack.channelByName('general')?.id as string;
  expect(slack.messages(general).some((m) => m.text?.includes(`<#${fresh}>`) && m.text.includes('wrote again'))).toBe(
    true,
  );
});

it('creates private channels with privateChannels, and a retry finds the one it made among them', async () => {
  const send = adapter(createSlackChannelCache(), true);
  // The channel is made and headed, but the header's answer is lost: the retry meets name_taken and looks for its
  // channel among the private ones.
  slack.failNext('chat.postMessage', { status: 500, afterEffect: true });
  const failure = await send.send(batch('ivy', [said('i1', 'secret')], { givenName: 'Ivy' })).catch((e) => e);
  expect(failure).toBeInstanceOf(OutboxBatchError);
  const made = slack.channelByName('sk-ivy');
  expect(made?.isPrivate).toBe(true);
  const { refs } = await send.send(batch('ivy', [said('i1', 'secret')], { givenName: 'Ivy' }));
  expect(refs.slackChannelId).toBe(made?.id);
  expect(slack.channelByName('sk-ivy-2')).toBeUndefined();
  expect(slack.messages(made?.id as string).map((m) => m.text)).toContain('secret');
  expect(posts('secret')[0]?.args.username).toBe('Ivy (user)');
});
