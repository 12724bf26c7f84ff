/**
 * What Parley does in Slack for one outbox batch: make sure the user's channel exists (create it, announce it
 * in the dispatch channel, invite the installer), then post each item once, in order, paced per channel.
 * Every post carries message metadata with Parley's id, so a retry finds what was already posted.
 */
import type { WebClient } from '@slack/web-api';
import { OutboxBatchError, integrationError, isIntegrationError } from '../../common/errors';
import {
  tappedText,
  type Assignment,
  type ConversationMessage,
  type OutboxBatch,
  type OutboxItem,
} from '../../common/conversation';
import { gravatarUrl } from '../../common/text';
import type { SlackChannelCache } from './cache';
import type { SlackConfig } from './client';
import { slackErrorCode, toSlackIntegrationError, type SlackErrorCode, type SlackPlatformCode } from './errors';
import {
  assignmentNotice,
  botHistory,
  channelHeader,
  deliveryNotice,
  dispatchText,
  handoffNotice,
  mirroredReply,
  movedFromLine,
  movedNotice,
  recentHistory,
  statusLine,
  THREAD_ARCHIVED_LINE,
  THREAD_REOPENED_LINE,
  threadHelpLine,
  threadParentText,
  userMessageText,
  userPostName,
} from './format';
import { attachmentsLine, shareFiles, type ReadFile } from './files';
import { CLAIM_ACTION, HANDBACK_ACTION, JOIN_ACTION, parseThreadRef, RESOLVE_ACTION, threadRef } from './inbound';
import { decideRoute, DEFAULT_ROUTE, routeNamed, type SlackRoute } from './routes';
import { channelName, randomWords } from './names';

export const METADATA_MESSAGE = 'parley_message';
export const METADATA_CHANNEL = 'parley_channel';
export const METADATA_DISPATCH = 'parley_dispatch';

/** An outbox batch as Slack needs it; `recent` is set when the conversation was reopened since the last send. */
export type SlackBatch = Pick<
  OutboxBatch,
  'userId' | 'conversationId' | 'profile' | 'refs' | 'items' | 'recent' | 'routing' | 'assignment'
> & {
  appName: string;
};

export interface SlackBatchHooks {
  heartbeat(): void;
  sleep(ms: number): Promise<void>;
  /** Minimum time between two posts in one channel (Slack allows about one a second). */
  postIntervalMs?: number;
}

export interface SlackAdapterDeps {
  client: WebClient;
  config: SlackConfig;
  hooks: SlackBatchHooks;
  /** Channel ids by name, shared by every batch of the worker (built once in `createActivities`). */
  channels: SlackChannelCache;
  /** The bytes of the batch's files, from Parley's store; without it a message's files are named, not uploaded. */
  readFile?: ReadFile;
  fetch?: typeof fetch;
}

interface SlackMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

type PostArgs = Record<string, unknown>;

/**
 * Where a batch's items go: the channel (in threads mode, the thread of `threadTs` in it), and the ids already
 * posted there (a retry skips them). `broadcast`: the next user message also shows in the channel (a reopen).
 */
interface Target {
  channel: string;
  seen: Set<string>;
  threadTs?: string;
  broadcast?: boolean;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSlackIntegrationError(err);
  }
}

/** Runs `fn`; a failure with one of Slack's `codes` (raw or already mapped) is no failure but `undefined`. */
async function ignoring<T>(codes: SlackPlatformCode[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const code = slackErrorCode(err);
    if (codes.some((c) => c === code)) return undefined;
    throw toSlackIntegrationError(err);
  }
}

/** Ids in `parley_*` metadata of a channel's recent messages, of one event type, with each message's ts. */
async function postedTs(
  client: WebClient,
  channel: string,
  eventType: string,
  key: string,
): Promise<Map<string, string>> {
  const res = await call(() => client.conversations.history({ channel, limit: 200, include_all_metadata: true }));
  const ids = new Map<string, string>();
  for (const m of (res.messages ?? []) as SlackMessage[]) {
    const value = m.metadata?.event_type === eventType ? m.metadata.event_payload?.[key] : undefined;
    if (typeof value === 'string' && !ids.has(value)) ids.set(value, m.ts ?? '');
  }
  return ids;
}

/** How many pages of a thread's replies are read for the ids already posted (200 each: long threads are rare). */
const MAX_REPLY_PAGES = 10;

/** Ids in `parley_message` metadata of a thread's replies (threads mode): `conversations.replies`, oldest first. */
async function threadPostedIds(client: WebClient, channel: string, ts: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_REPLY_PAGES; page++) {
    const res = await call(() =>
      client.conversations.replies({
        channel,
        ts,
        limit: 200,
        include_all_metadata: true,
        ...(cursor ? { cursor } : {}),
      }),
    );
    for (const m of (res.messages ?? []) as SlackMessage[]) {
      const value = m.metadata?.event_type === METADATA_MESSAGE ? m.metadata.event_payload?.message_id : undefined;
      if (typeof value === 'string') ids.add(value);
    }
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  return ids;
}

/** Ids in `parley_*` metadata of a channel's recent messages, of one event type. */
async function postedIds(client: WebClient, channel: string, eventType: string, key: string): Promise<Set<string>> {
  return new Set((await postedTs(client, channel, eventType, key)).keys());
}

/** The first channel `conversations.list` pages to that `matches`. */
async function findChannel(
  client: WebClient,
  args: { types: string; exclude_archived?: boolean },
  matches: (name: string | undefined) => boolean,
): Promise<{ id: string; archived: boolean } | undefined> {
  let cursor: string | undefined;
  do {
    const res = await call(() => client.conversations.list({ ...args, limit: 200, ...(cursor ? { cursor } : {}) }));
    const found = res.channels?.find((c) => matches(c.name));
    if (found?.id) return { id: found.id, archived: found.is_archived === true };
    cursor = res.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return undefined;
}

/** What `chat.postMessage` gets for a user's message or a mirrored reply; the metadata makes a retry find it. */
function itemPost(batch: SlackBatch, item: OutboxItem, message: ConversationMessage): PostArgs {
  const metadata = {
    event_type: METADATA_MESSAGE,
    event_payload: { message_id: item.eventId, conversation_id: batch.conversationId },
  };
  if (item.kind !== 'message:user') return { text: mirroredReply(message), metadata };
  const { profile } = batch;
  return {
    text: userSlackText(batch, message),
    username: userPostName(profile, batch.userId),
    ...(profile.avatarUrl || profile.email ? { icon_url: profile.avatarUrl ?? gravatarUrl(profile.email ?? '') } : {}),
    metadata,
  };
}

/** A user's message as Slack shows it: their text, a tap (`Jane tapped *Yes*`), or the names of the files alone. */
function userSlackText(batch: SlackBatch, message: ConversationMessage): string {
  if (message.postback)
    return tappedText(userPostName(batch.profile, batch.userId), {
      ...message.postback,
      text: userMessageText({ text: message.postback.text }),
    });
  const text = userMessageText(message);
  if (text || !message.attachments?.length) return text;
  return attachmentsLine(message.attachments);
}

function button(actionId: string, label: string, value: string, style?: 'primary' | 'danger'): unknown {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label },
    value,
    ...(style ? { style } : {}),
  };
}

/**
 * The dispatch notice's blocks: the (escaped) text as mrkdwn, the status line (updated in place with `chat.update`),
 * and the buttons, whose value is the user's channel: Join, then Claim (while nobody has it) and Resolve (until it is
 * resolved). In threads mode the notice is the thread's parent: no channel to join, and the value names the thread.
 */
function dispatchBlocks(
  text: string,
  value: string,
  assignment: Assignment | undefined,
  mode: 'channels' | 'threads' = 'channels',
): unknown[] {
  const status = assignment?.status ?? 'new';
  const buttons = mode === 'threads' ? [] : [button(JOIN_ACTION, 'Join', value, 'primary')];
  if (!assignment?.assignee || status === 'new') buttons.push(button(CLAIM_ACTION, 'Claim', value));
  if (status !== 'resolved') buttons.push(button(RESOLVE_ACTION, 'Resolve', value));
  return [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(assignment) }] },
    { type: 'actions', elements: buttons },
  ];
}

/** A Slack user id Parley may name in a call (an assignee from a signed command or click). */
function isSlackUserId(id: string | undefined): id is string {
  return id !== undefined && /^[UW][A-Z0-9]{2,20}$/.test(id);
}

/** How many of a route's agents are invited into a user's channel at most (the rest press Join). */
const MAX_INVITED_AGENTS = 20;

export function createSlackAdapter({ client, config, hooks, channels, readFile, fetch }: SlackAdapterDeps) {
  const interval = hooks.postIntervalMs ?? 1000;
  const lastPost = new Map<string, number>();
  const workspace = `${config.apiUrl}|${config.botToken.slice(-6)}`;
  const threads = config.mode === 'threads';

  async function paced(channel: string): Promise<void> {
    const last = lastPost.get(channel);
    const wait = last === undefined ? 0 : last + interval - Date.now();
    if (wait > 0) await hooks.sleep(wait);
    hooks.heartbeat();
  }

  async function post(channel: string, args: PostArgs): Promise<void> {
    await paced(channel);
    await call(() => client.chat.postMessage({ channel, ...args } as Parameters<WebClient['chat']['postMessage']>[0]));
    lastPost.set(channel, Date.now());
  }

  /**
   * Posts in the target: in its thread in threads mode, the first user message of a reopen also to the channel
   * (`reply_broadcast`), so the thread comes back up where the team looks.
   */
  async function postIn(target: Target, args: PostArgs, userMessage = false): Promise<void> {
    if (!target.threadTs) return post(target.channel, args);
    const broadcast = userMessage && target.broadcast === true;
    await post(target.channel, {
      ...args,
      thread_ts: target.threadTs,
      ...(broadcast ? { reply_broadcast: true } : {}),
    });
    if (broadcast) target.broadcast = false;
  }

  /** Posts unless a message with the same metadata id is already in the channel. */
  async function postOnce(
    channel: string,
    eventType: string,
    payload: Record<string, string>,
    key: string,
    args: PostArgs,
  ): Promise<void> {
    const seen = await postedIds(client, channel, eventType, key);
    if (seen.has(payload[key] as string)) return;
    await post(channel, { ...args, metadata: { event_type: eventType, event_payload: payload } });
  }

  /** A channel's id from its name (the dispatch channel is configured by name), cached per workspace. */
  async function channelIdByName(name: string): Promise<string | undefined> {
    const bare = name.replace(/^#/, '');
    if (/^[CG][A-Z0-9]{6,}$/.test(bare)) return bare;
    const cached = channels.get(workspace, bare);
    if (cached) return cached;
    const found = await findChannel(client, { types: 'public_channel,private_channel' }, (n) => n === bare);
    if (found) channels.set(workspace, bare, found.id);
    return found?.id;
  }

  /** The route's dispatch channel id, joined (the bot posts there); a channel that is not there is a fault. */
  async function dispatchChannelOf(route: SlackRoute): Promise<string> {
    const dispatch = await channelIdByName(route.channel);
    if (!dispatch)
      throw integrationError<SlackErrorCode>('slack_dispatch_channel_not_found', `no channel #${route.channel}`, {
        retryable: false,
      });
    await ignoring(['already_in_channel', 'method_not_supported_for_channel_type'], () =>
      client.conversations.join({ channel: dispatch }),
    );
    return dispatch;
  }

  /** The route this batch's conversation takes now (its profile and routing facts). */
  function routeOf(batch: SlackBatch): SlackRoute {
    return decideRoute(config, batch.profile, batch.routing);
  }

  /**
   * Posts the dispatch notice in the route's channel, once (a retry finds it by its metadata), and remembers where
   * it is (`slackDispatchChannel`, `slackDispatchTs`) so status changes update it in place.
   */
  async function notifyDispatch(
    batch: SlackBatch,
    refs: Record<string, string>,
    channelId: string,
    reopened: boolean,
    route: SlackRoute,
    movedFrom?: string,
  ): Promise<void> {
    const dispatch = await dispatchChannelOf(route);
    const text =
      dispatchText(batch.profile, batch.userId, channelId, batch.appName, reopened) + movedFromLine(movedFrom);
    const posted = await postedTs(client, dispatch, METADATA_DISPATCH, 'channel_id');
    let ts = posted.get(channelId);
    if (!ts) {
      await paced(dispatch);
      const res = await call(() =>
        client.chat.postMessage({
          channel: dispatch,
          text,
          blocks: dispatchBlocks(text, channelId, batch.assignment),
          metadata: {
            event_type: METADATA_DISPATCH,
            event_payload: { conversation_id: batch.conversationId, channel_id: channelId },
          },
        } as Parameters<WebClient['chat']['postMessage']>[0]),
      );
      lastPost.set(dispatch, Date.now());
      ts = res.ts ?? '';
    }
    refs.slackRoute = route.name;
    refs.slackDispatchChannel = dispatch;
    if (ts) refs.slackDispatchTs = ts;
    refs.slackNoticeKind = reopened ? 'reopened' : 'new';
  }

  /** The notice updated in place: its status line and buttons, or, for a conversation that moved, where to. */
  async function updateNotice(batch: SlackBatch, refs: Record<string, string>, assignment?: Assignment): Promise<void> {
    if (threads) return updateParent(batch, refs, assignment);
    const channel = refs.slackDispatchChannel;
    const ts = refs.slackDispatchTs;
    const userChannel = refs.slackChannelId;
    if (!channel || !ts || !userChannel) return;
    const text = dispatchText(
      batch.profile,
      batch.userId,
      userChannel,
      batch.appName,
      refs.slackNoticeKind === 'reopened',
    );
    await ignoring(['message_not_found', 'cant_update_message', 'channel_not_found'], () =>
      client.chat.update({ channel, ts, text, blocks: dispatchBlocks(text, userChannel, assignment) } as Parameters<
        WebClient['chat']['update']
      >[0]),
    );
  }

  /**
   * Agent linking: a configured route's agents are invited into the user's channel (users, and members of user
   * groups, at most MAX_INVITED_AGENTS); a conversation assigned to one agent invites only that agent.
   */
  async function inviteAgents(channelId: string, route: SlackRoute, assignment: Assignment | undefined): Promise<void> {
    const assignee = assignment?.assignee?.source === 'slack' ? assignment.assignee.id : undefined;
    const users = new Set<string>();
    if (isSlackUserId(assignee)) users.add(assignee);
    // The app's own `agents` (no route matched) come in by Join, as before routes existed.
    else if (route.name !== DEFAULT_ROUTE)
      for (const id of route.agents ?? []) {
        if (users.size >= MAX_INVITED_AGENTS) break;
        if (id.startsWith('S')) {
          const members = await ignoring(['no_such_subteam', 'missing_scope', 'not_allowed_token_type'], () =>
            client.usergroups.users.list({ usergroup: id }),
          );
          for (const member of members?.users ?? []) if (users.size < MAX_INVITED_AGENTS) users.add(member);
        } else users.add(id);
      }
    for (const user of users) {
      if (!isSlackUserId(user)) continue;
      await ignoring(
        [
          'already_in_channel',
          'user_not_found',
          'cant_invite_self',
          'user_is_restricted',
          'cant_invite',
          'not_in_channel',
        ],
        () => client.conversations.invite({ channel: channelId, users: user }),
      );
    }
  }

  /**
   * A status change: the notice updated in place, a line in the user's channel (once, by the item's id), and the
   * assignee invited into the channel.
   */
  async function sendAssigned(batch: SlackBatch, refs: Record<string, string>, target: Target, item: OutboxItem) {
    const assignment = item.assignment;
    if (!assignment) return;
    await updateNotice(batch, refs, assignment);
    // Threads mode has no channel of the user's to invite anyone into: the route's channel is the team's.
    if (assignment.status === 'claimed' && !threads)
      await inviteAgents(target.channel, routeNamed(config, refs.slackRoute), assignment);
    if (target.seen.has(item.eventId)) return;
    await postIn(target, {
      text: assignmentNotice(assignment),
      metadata: {
        event_type: METADATA_MESSAGE,
        event_payload: { message_id: item.eventId, conversation_id: batch.conversationId },
      },
    });
  }

  /**
   * The profile or the department changed: when the route changes, the new route's channel gets a notice (saying
   * where the conversation came from), the old one says where it went, and the new route's agents are invited.
   */
  async function sendRouted(batch: SlackBatch, refs: Record<string, string>, target: Target): Promise<void> {
    const route = routeOf(batch);
    if (route.name === (refs.slackRoute ?? routeNamed(config, undefined).name)) return;
    const oldChannel = refs.slackDispatchChannel;
    const oldTs = refs.slackDispatchTs;
    await notifyDispatch(batch, refs, target.channel, false, route, oldChannel);
    // The new route's agents are in the channel before the old notice says it moved (what the old side sees last).
    await inviteAgents(target.channel, route, batch.assignment);
    if (oldChannel && oldTs && oldChannel !== refs.slackDispatchChannel) {
      const text = movedNotice(refs.slackDispatchChannel ?? route.channel, route.name);
      await ignoring(['message_not_found', 'cant_update_message', 'channel_not_found'], () =>
        client.chat.update({
          channel: oldChannel,
          ts: oldTs,
          text,
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
        }),
      );
    }
  }

  /** Is this existing channel the one Parley made for this conversation (a retry after a crash)? */
  async function isOurs(channelId: string, conversationId: string): Promise<boolean> {
    const ids = await ignoring(['not_in_channel', 'channel_not_found'], () =>
      postedIds(client, channelId, METADATA_CHANNEL, 'conversation_id'),
    );
    return ids?.has(conversationId) ?? false;
  }

  async function createChannel(batch: SlackBatch): Promise<{ id: string; name: string }> {
    let useWords = false;
    for (let suffix = 1; suffix <= 50; suffix++) {
      const name = useWords
        ? channelName({}, batch.conversationId, suffix)
        : channelName(batch.profile, batch.conversationId, suffix);
      try {
        // Private channels (`privateChannels`): only the people invited see them, agents come in by the Join button.
        const res = await client.conversations.create({
          name,
          ...(config.privateChannels ? { is_private: true } : {}),
        });
        const id = res.channel?.id;
        if (!id)
          throw integrationError<SlackErrorCode>('slack_bad_answer', 'conversations.create returned no channel', {
            retryable: true,
          });
        await post(id, {
          text: channelHeader(batch.profile, batch.userId, batch.appName),
          metadata: { event_type: METADATA_CHANNEL, event_payload: { conversation_id: batch.conversationId } },
        });
        return { id, name };
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === 'name_taken') {
          const types = config.privateChannels ? 'private_channel' : 'public_channel';
          const existing = await findChannel(client, { types, exclude_archived: false }, (n) => n === name);
          if (existing && !existing.archived && (await isOurs(existing.id, batch.conversationId)))
            return { id: existing.id, name };
          continue;
        }
        if (code?.startsWith('invalid_name') && !useWords) {
          useWords = true;
          suffix = 0;
          continue;
        }
        throw toSlackIntegrationError(err);
      }
    }
    throw integrationError<SlackErrorCode>(
      'slack_no_channel_name',
      `no free channel name for ${randomWords(batch.conversationId)}`,
      { retryable: false },
    );
  }

  async function openChannel(batch: SlackBatch, refs: Record<string, string>, reopened: boolean): Promise<string> {
    const created = await createChannel(batch);
    refs.slackChannelId = created.id;
    refs.slackChannelName = created.name;
    const installer = config.installerUserId;
    if (installer) {
      await ignoring(['already_in_channel', 'user_not_found', 'cant_invite_self', 'user_is_restricted'], () =>
        client.conversations.invite({ channel: created.id, users: installer }),
      );
    }
    // Decided at the first message, kept after (a re-route is its own item); a reopened conversation stays where it was.
    const route = refs.slackRoute !== undefined ? routeNamed(config, refs.slackRoute) : routeOf(batch);
    await inviteAgents(created.id, route, batch.assignment);
    if (reopened && batch.recent && batch.recent.length > 0) {
      await postOnce(created.id, METADATA_MESSAGE, { message_id: `history:${created.id}` }, 'message_id', {
        text: recentHistory(batch.recent, batch.profile, batch.userId),
      });
    }
    await notifyDispatch(batch, refs, created.id, reopened, route);
    return created.id;
  }

  /** The channel to post this batch in, opened when needed; none when there is nothing to post and no channel. */
  async function channelFor(batch: SlackBatch, refs: Record<string, string>): Promise<string | undefined> {
    // A channel is opened for what the team must see; a status line or a hand-back alone opens none.
    const postsSomething = batch.items.some(
      (i) => i.kind === 'message:user' || i.kind === 'message:agent' || i.handoff?.to === 'team',
    );
    const channel = refs.slackChannelId;
    if (!channel) return postsSomething ? openChannel(batch, refs, false) : undefined;
    if (!batch.recent) return channel;
    // Reopened after an archive: bot tokens are usually refused unarchive, then a fresh channel it is.
    const back = await ignoring(
      ['not_authorized', 'restricted_action', 'not_archived', 'missing_scope', 'method_not_supported_for_channel_type'],
      () => client.conversations.unarchive({ channel }),
    );
    const info = await call(() => client.conversations.info({ channel }));
    return !back && info.channel?.is_archived && postsSomething ? openChannel(batch, refs, true) : channel;
  }

  /** A change of control: to the team, the bot exchange and a Hand back to bot button; to the bot, a line. */
  async function sendHandoff(batch: SlackBatch, target: Target, item: OutboxItem): Promise<void> {
    const handoff = item.handoff;
    if (!handoff) return;
    const meta = (id: string) => ({
      event_type: METADATA_MESSAGE,
      event_payload: { message_id: id, conversation_id: batch.conversationId },
    });
    const historyId = `${item.eventId}:history`;
    if (handoff.history && handoff.history.length > 0 && !target.seen.has(historyId))
      await postIn(target, {
        text: botHistory(handoff.history, batch.profile, batch.userId),
        metadata: meta(historyId),
      });
    if (target.seen.has(item.eventId)) return;
    const text = handoffNotice(handoff);
    const blocks =
      handoff.to === 'team'
        ? [
            { type: 'section', text: { type: 'mrkdwn', text } },
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  action_id: HANDBACK_ACTION,
                  text: { type: 'plain_text', text: 'Hand back to bot' },
                  value: target.threadTs ? threadRef(target.channel, target.threadTs) : target.channel,
                },
              ],
            },
          ]
        : undefined;
    await postIn(target, { text, ...(blocks ? { blocks } : {}), metadata: meta(item.eventId) });
  }

  // ── Threads mode: one thread per conversation, its parent the dispatch notice in the route's channel ──────

  /** The parent's text: who, then how the team works the thread (reply, `;;` notes, ✅). */
  function parentText(batch: SlackBatch, reopened: boolean, movedFrom?: string): string {
    return (
      threadParentText(batch.profile, batch.userId, batch.appName, reopened) +
      movedFromLine(movedFrom) +
      threadHelpLine(config.notePrefix ?? ';;')
    );
  }

  /**
   * Posts the thread's parent in the route's channel, once (a retry finds it by its metadata), and remembers it:
   * `slackThread` (`<channel>:<ts>`, the SlackThread search attribute a reply finds the conversation by),
   * `slackDispatchChannel`, `slackDispatchTs`, `slackRoute`.
   */
  async function openThread(
    batch: SlackBatch,
    refs: Record<string, string>,
    route: SlackRoute,
    movedFrom?: string,
  ): Promise<Target> {
    const dispatch = await dispatchChannelOf(route);
    const key = `${batch.conversationId}|${route.name}`;
    let ts = (await postedTs(client, dispatch, METADATA_DISPATCH, 'thread_key')).get(key);
    // Found again (a retry whose answer was lost): what it already holds is not posted twice.
    const found = ts !== undefined;
    const text = parentText(batch, false, movedFrom);
    if (!ts) {
      await paced(dispatch);
      const res = await call(() =>
        client.chat.postMessage({
          channel: dispatch,
          text,
          metadata: {
            event_type: METADATA_DISPATCH,
            event_payload: { conversation_id: batch.conversationId, thread_key: key },
          },
        }),
      );
      lastPost.set(dispatch, Date.now());
      ts = res.ts;
      if (!ts)
        throw integrationError<SlackErrorCode>('slack_bad_answer', 'chat.postMessage returned no ts', {
          retryable: true,
        });
    }
    // The buttons name the thread, which only exists once posted: the parent gets them by an update (again on a
    // retry that found it, in case the first try died between the post and the update).
    const parentTs = ts;
    await call(() =>
      client.chat.update({
        channel: dispatch,
        ts: parentTs,
        text,
        blocks: dispatchBlocks(text, threadRef(dispatch, parentTs), batch.assignment, 'threads'),
      } as Parameters<WebClient['chat']['update']>[0]),
    );
    refs.slackRoute = route.name;
    refs.slackDispatchChannel = dispatch;
    refs.slackDispatchTs = ts;
    refs.slackThread = threadRef(dispatch, ts);
    refs.slackNoticeKind = 'new';
    if (movedFrom) refs.slackMovedFrom = movedFrom;
    else delete refs.slackMovedFrom;
    return { channel: dispatch, threadTs: ts, seen: found ? await threadPostedIds(client, dispatch, ts) : new Set() };
  }

  /** The parent updated in place: its text (reopened or not), status line and Claim / Resolve buttons. */
  async function updateParent(
    batch: SlackBatch,
    refs: Record<string, string>,
    assignment: Assignment | undefined,
  ): Promise<void> {
    const thread = refs.slackThread ? parseThreadRef(refs.slackThread) : undefined;
    if (!thread) return;
    const text = parentText(batch, refs.slackNoticeKind === 'reopened', refs.slackMovedFrom);
    await ignoring(['message_not_found', 'cant_update_message', 'channel_not_found'], () =>
      client.chat.update({
        channel: thread.channelId,
        ts: thread.ts,
        text,
        blocks: dispatchBlocks(text, refs.slackThread as string, assignment, 'threads'),
      } as Parameters<WebClient['chat']['update']>[0]),
    );
  }

  /**
   * The thread to post this batch in, opened when needed; none when there is nothing to post and no thread. After
   * an archive (`recent` set) the same thread goes on: a line says so and the user's message is broadcast.
   */
  async function threadFor(batch: SlackBatch, refs: Record<string, string>): Promise<Target | undefined> {
    const postsSomething = batch.items.some(
      (i) => i.kind === 'message:user' || i.kind === 'message:agent' || i.handoff?.to === 'team',
    );
    const thread = refs.slackThread ? parseThreadRef(refs.slackThread) : undefined;
    if (!thread) {
      if (!postsSomething) return undefined;
      // Decided at the first message, kept after (a re-route is its own item).
      const route = refs.slackRoute !== undefined ? routeNamed(config, refs.slackRoute) : routeOf(batch);
      return openThread(batch, refs, route);
    }
    const target: Target = {
      channel: thread.channelId,
      threadTs: thread.ts,
      seen: await threadPostedIds(client, thread.channelId, thread.ts),
    };
    const reopening = batch.recent !== undefined && batch.items.some((i) => i.kind === 'message:user');
    if (reopening) {
      refs.slackNoticeKind = 'reopened';
      await updateParent(batch, refs, batch.assignment);
      const first = batch.items.find((i) => i.kind === 'message:user') as OutboxItem;
      const id = `${first.eventId}:reopened`;
      if (!target.seen.has(id))
        await postIn(target, {
          text: THREAD_REOPENED_LINE,
          metadata: {
            event_type: METADATA_MESSAGE,
            event_payload: { message_id: id, conversation_id: batch.conversationId },
          },
        });
      target.broadcast = !target.seen.has(first.eventId);
    }
    return target;
  }

  /** Archived (or resolved): Slack archives nothing, the thread gets a line and the parent its status. */
  async function sendArchivedThread(
    batch: SlackBatch,
    refs: Record<string, string>,
    target: Target,
    item: OutboxItem,
  ): Promise<void> {
    await updateParent(batch, refs, batch.assignment);
    if (target.seen.has(item.eventId)) return;
    await postIn(target, {
      text: THREAD_ARCHIVED_LINE,
      metadata: {
        event_type: METADATA_MESSAGE,
        event_payload: { message_id: item.eventId, conversation_id: batch.conversationId },
      },
    });
  }

  /**
   * Re-routed: a new parent in the new route's channel (saying where it came from), the old parent updated to say
   * where it went, and what follows in the batch goes to the new thread.
   */
  async function sendRoutedThread(batch: SlackBatch, refs: Record<string, string>, target: Target): Promise<void> {
    const route = routeOf(batch);
    if (route.name === (refs.slackRoute ?? routeNamed(config, undefined).name)) return;
    const old = refs.slackThread ? parseThreadRef(refs.slackThread) : undefined;
    const next = await openThread(batch, refs, route, old?.channelId);
    if (old && refs.slackThread !== threadRef(old.channelId, old.ts)) {
      const text = movedNotice(next.channel, route.name);
      await ignoring(['message_not_found', 'cant_update_message', 'channel_not_found'], () =>
        client.chat.update({
          channel: old.channelId,
          ts: old.ts,
          text,
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
        }),
      );
    }
    target.channel = next.channel;
    target.threadTs = next.threadTs;
    target.seen = await threadPostedIds(client, next.channel, next.threadTs as string);
  }

  async function sendItem(batch: SlackBatch, refs: Record<string, string>, target: Target, item: OutboxItem) {
    if (item.kind === 'conversation:handoff') return sendHandoff(batch, target, item);
    if (item.kind === 'conversation:assigned') return sendAssigned(batch, refs, target, item);
    if (item.kind === 'conversation:routed')
      return threads ? sendRoutedThread(batch, refs, target) : sendRouted(batch, refs, target);
    if (item.kind === 'delivery:status') {
      if (target.seen.has(item.eventId) || !item.notice) return;
      return postIn(target, {
        text: deliveryNotice(item.notice),
        metadata: {
          event_type: METADATA_MESSAGE,
          event_payload: { message_id: item.eventId, conversation_id: batch.conversationId },
        },
      });
    }
    if (item.kind === 'conversation:archived' && threads) return sendArchivedThread(batch, refs, target, item);
    if (item.kind === 'conversation:archived') {
      await ignoring(['already_archived'], () => client.conversations.archive({ channel: target.channel }));
      return;
    }
    if (target.seen.has(item.eventId) || !item.message) return;
    const message = item.message;
    const args = itemPost(batch, item, message);
    // The files first, then the post whose metadata marks the item done: a retry never loses them (it may share a
    // file twice if the worker died in between).
    const deliver = async (channel: string): Promise<void> => {
      if (item.kind === 'message:user' && readFile && message.attachments?.length) {
        await paced(channel);
        const gone = await shareFiles(
          { client, readFile, call, ...(fetch ? { fetch } : {}) },
          channel,
          message,
          target.threadTs,
        );
        lastPost.set(channel, Date.now());
        if (gone.length > 0)
          args.text = `${String(args.text)}\n_(no longer stored: ${gone.map((name) => userMessageText({ text: name })).join(', ')})_`;
      }
      await postIn({ ...target, channel }, args, item.kind === 'message:user');
      if (item.kind === 'message:user') target.broadcast = false;
    };
    await deliver(target.channel);
  }

  /**
   * One item; when the channel turns out archived (behind Parley's back, a lost event, or by this batch's own archive
   * before a reopening message), a fresh channel is opened and the item goes there.
   */
  async function sendItemAnywhere(batch: SlackBatch, refs: Record<string, string>, target: Target, item: OutboxItem) {
    try {
      await sendItem(batch, refs, target, item);
    } catch (err) {
      // Archived behind Parley's back (a lost event): open a fresh channel and go on there. In threads mode the
      // route's channel is the team's own: archived, it is a fault for an operator.
      if (
        threads ||
        !isIntegrationError<SlackErrorCode>(err, 'slack_is_archived') ||
        item.kind === 'conversation:archived'
      )
        throw err;
      target.channel = await openChannel(batch, refs, true);
      target.seen = new Set();
      await sendItem(batch, refs, target, item);
    }
  }

  return {
    async send(batch: SlackBatch): Promise<{ refs: Record<string, string>; completed: number }> {
      const refs = { ...batch.refs };
      let completed = 0;
      try {
        let target: Target | undefined;
        if (threads) target = await threadFor(batch, refs);
        else {
          const channel = await channelFor(batch, refs);
          if (channel) target = { channel, seen: await postedIds(client, channel, METADATA_MESSAGE, 'message_id') };
        }
        if (!target) return { refs, completed: batch.items.length };
        for (const item of batch.items) {
          await sendItemAnywhere(batch, refs, target, item);
          completed++;
        }
        return { refs, completed };
      } catch (err) {
        throw new OutboxBatchError(toSlackIntegrationError(err), completed, refs);
      }
    },
  };
}
