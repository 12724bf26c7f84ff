/**
 * The Slack adapter in threads mode on its own, against the Slack emulator (real @slack/web-api, every call checked
 * against Slack's spec, no Temporal): the parent posted once, items posted once in its thread (found again by
 * `conversations.replies`), an archive that archives nothing, a re-route to a new thread.
 */
import type { OutboxItem, RoutingFacts } from '../../../../common/conversation';
import { OutboxBatchError } from '../../../../common/errors';
import { createSlackAdapter, type SlackBatch } from '../../../../integrations/slack/adapter';
import { createSlackChannelCache } from '../../../../integrations/slack/cache';
import { createSlackClient } from '../../../../integrations/slack/client';
import { startSlackEmulator, type SlackEmulator } from '../../../emulators/slack';

let slack: SlackEmulator;
let billing: string;

beforeAll(async () => {
  slack = await startSlackEmulator();
  billing = (
    await createSlackClient({ botToken: slack.botToken, apiUrl: slack.apiUrl }).conversations.create({
      name: 'billing',
    })
  ).channel?.id as string;
});
afterAll(async () => {
  await slack?.close();
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
  expect(slack.markupViolations).toEqual([]);
});

function adapter() {
  const config = {
    botToken: slack.botToken,
    signingSecret: slack.signingSecret,
    dispatchChannel: 'general',
    apiUrl: slack.apiUrl,
    mode: 'threads' as const,
    routes: [{ name: 'billing', when: { metadata: 'department', equals: 'billing' }, channel: 'billing' }],
  };
  return createSlackAdapter({
    client: createSlackClient(config),
    config,
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

function batch(user: string, items: OutboxItem[], refs = {}, routing?: RoutingFacts): SlackBatch {
  return {
    userId: user,
    conversationId: `conversation:acme:${user}`,
    profile: { givenName: user },
    refs,
    items,
    appName: 'Acme',
    ...(routing ? { routing } : {}),
  };
}

const general = () => slack.channelByName('general')?.id as string;
const inThread = (channel: string, ts: string) =>
  slack.messages(channel, { includeThreadReplies: true }).filter((m) => m.threadTs === ts && m.ts !== ts);

it('posts the parent once and each item once in its thread, creating no channel', async () => {
  const send = adapter();
  const channels = slack.channels().length;
  const first = await send.send(batch('ada', [said('a1', 'hello')]));
  const [channel, ts] = (first.refs.slackThread as string).split(':') as [string, string];
  expect(channel).toBe(general());
  expect(first.refs).toMatchObject({ slackDispatchChannel: channel, slackDispatchTs: ts, slackRoute: 'default' });
  expect(first.refs.slackChannelId).toBeUndefined();
  expect(slack.channels()).toHaveLength(channels);
  expect(JSON.stringify(slack.message(channel, ts)?.blocks)).toContain(`${channel}:${ts}`);

  // A retry whose answer was lost: the parent is found by its metadata, the item by the thread's replies.
  await send.send(batch('ada', [said('a1', 'hello')]));
  await send.send(batch('ada', [said('a1', 'hello'), said('a2', 'more')], first.refs));
  expect(slack.messages(channel).filter((m) => m.metadata?.event_type === 'parley_dispatch')).toHaveLength(1);
  expect(inThread(channel, ts).map((m) => m.text)).toEqual(['hello', 'more']);
});

it('goes on where it got to when Slack fails mid-batch', async () => {
  const send = adapter();
  const { refs } = await send.send(batch('bo', [said('b1', 'first')]));
  const ts = (refs.slackThread as string).split(':')[1] as string;
  slack.failNext('chat.postMessage', { status: 500, afterEffect: true });
  const failure = await send.send(batch('bo', [said('b2', 'second'), said('b3', 'third')], refs)).catch((e) => e);
  expect(failure).toBeInstanceOf(OutboxBatchError);
  await send.send(batch('bo', [said('b2', 'second'), said('b3', 'third')], refs));
  expect(inThread(general(), ts).map((m) => m.text)).toEqual(['first', 'second', 'third']);
});

it('archives nothing in Slack: a line in the thread', async () => {
  const send = adapter();
  const { refs } = await send.send(batch('cy', [said('c1', 'bye')]));
  const ts = (refs.slackThread as string).split(':')[1] as string;
  await send.send(batch('cy', [{ eventId: 'c2', kind: 'conversation:archived', enqueuedAt: 0 }], refs));
  expect(slack.callCount('conversations.archive')).toBe(0);
  expect(inThread(general(), ts).at(-1)?.text).toContain('Archived');
});

it('re-routes to a new thread in the new route’s channel; the old parent says where it went', async () => {
  const send = adapter();
  const { refs } = await send.send(batch('di', [said('d1', 'hi')]));
  const oldTs = (refs.slackThread as string).split(':')[1] as string;
  const routed = await send.send(
    batch('di', [{ eventId: 'd2', kind: 'conversation:routed', enqueuedAt: 0 }, said('d3', 'about my invoice')], refs, {
      metadata: { department: 'billing' },
    }),
  );
  const [channel, ts] = (routed.refs.slackThread as string).split(':') as [string, string];
  expect(channel).toBe(billing);
  expect(routed.refs.slackRoute).toBe('billing');
  expect(slack.message(channel, ts)?.text).toContain(`Moved here from <#${general()}>`);
  expect(slack.message(general(), oldTs)?.text).toContain(`Moved to <#${billing}>`);
  expect(inThread(channel, ts).map((m) => m.text)).toEqual(['about my invoice']);
});
