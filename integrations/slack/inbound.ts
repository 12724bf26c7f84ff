/**
 * What Slack sends Parley, and what Parley makes of it: slash commands (a form), Events API envelopes (JSON) and
 * interactions (a form with one `payload` field of JSON). Pure: the zod schemas of the payloads and the decisions,
 * no I/O. api/slack.ts verifies the signature first, then parses with these schemas, decides, and does the I/O.
 */
import type { UsersInfoResponse } from '@slack/web-api';
import { z } from 'zod';
import type { AgentInfo } from '../../common/conversation';
import { gravatarUrl } from '../../common/text';
import { slackFilesOf, type SlackFileRef } from './agent-files';

/** A channel id as Slack writes them (`C0123ABC`, `G…` for old private channels); anything else links to nothing. */
export function isSlackChannelId(id: string): boolean {
  return /^[A-Z0-9]+$/.test(id);
}

// ── Slash commands ─────────────────────────────────────────────────────────────────────────────────────────

/** A slash command's form (https://docs.slack.dev/interactivity/implementing-slash-commands); more fields pass. */
export const slashCommandSchema = z.object({
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
  command: z.string().min(1),
  text: z.string().default(''),
  response_url: z.url().optional(),
  trigger_id: z.string().min(1),
  api_app_id: z.string().optional(),
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

/** What `/sk <text>` asks for. */
export type SlashCommandIntent =
  | { kind: 'usage' }
  | { kind: 'profile' }
  | { kind: 'archive' }
  | { kind: 'bot' }
  | { kind: 'claim' }
  | { kind: 'resolve' }
  | { kind: 'unassign' }
  /** `!assign @name`: Slack escapes the mention as `<@U024BE7LH|ana>` (the command's "escape" option, manifest). */
  | { kind: 'assign'; userId: string }
  /** `!assign` with something that is no mention: said back with how to write it. */
  | { kind: 'assign_usage' }
  | { kind: 'reply'; text: string };

/** An escaped user mention as Slack puts it in a command's text: `<@U024BE7LH>` or `<@U024BE7LH|ana>`. */
const MENTION = /^<@([UW][A-Z0-9]{2,20})(?:\|[^<>]{0,100})?>$/;

/**
 * The `/sk` grammar: nothing → usage; exactly `!profile` or `!archive` (case-sensitive, surrounding whitespace
 * ignored) → that; anything else is the reply, trimmed, inner newlines kept.
 */
export function parseCommandText(text: string): SlashCommandIntent {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'usage' };
  if (trimmed === '!profile') return { kind: 'profile' };
  if (trimmed === '!archive') return { kind: 'archive' };
  if (trimmed === '!bot') return { kind: 'bot' };
  if (trimmed === '!claim') return { kind: 'claim' };
  if (trimmed === '!resolve') return { kind: 'resolve' };
  if (trimmed === '!unassign') return { kind: 'unassign' };
  if (trimmed === '!assign' || trimmed.startsWith('!assign ')) {
    const mention = MENTION.exec(trimmed.slice('!assign'.length).trim());
    return mention?.[1] ? { kind: 'assign', userId: mention[1] } : { kind: 'assign_usage' };
  }
  return { kind: 'reply', text: trimmed };
}

/** A slash command's answer: `ephemeral` shows it to the agent only, `in_channel` to everyone in the channel. */
export interface CommandAnswer {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

export function ephemeral(text: string): CommandAnswer {
  return { response_type: 'ephemeral', text };
}

export function inChannel(text: string): CommandAnswer {
  return { response_type: 'in_channel', text };
}

// ── Events API ─────────────────────────────────────────────────────────────────────────────────────────────

/** The two envelopes the Events API posts (https://docs.slack.dev/apis/events-api); other fields pass. */
export const eventEnvelopeSchema = z.union([
  z.object({ type: z.literal('url_verification'), challenge: z.string() }),
  z.object({
    type: z.literal('event_callback'),
    team_id: z.string(),
    api_app_id: z.string().optional(),
    event_id: z.string(),
    event: z.looseObject({
      type: z.string(),
      channel: z.union([z.string(), z.looseObject({ id: z.string() })]).optional(),
      user: z.string().optional(),
      /** `app_home_opened`: `home` or `messages`. */
      tab: z.string().optional(),
    }),
  }),
]);
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

export type EventDecision =
  | { kind: 'challenge'; challenge: string }
  /**
   * Someone archived the channel in Slack (`/archive`): archive the conversation linked to it. `userId` is who did
   * (Slack names them; the glue checks they are an agent when `slack.agents` is set).
   */
  | { kind: 'archive'; teamId: string; channelId: string; userId?: string }
  /** Someone opened the app's Home tab: publish their Home (the glue checks they are an agent). */
  | { kind: 'home'; teamId: string; userId: string }
  | { kind: 'ignored'; reason: string };

/** A member id as Slack writes them (`U…`, `W…` on Enterprise Grid): what a Home is published for. */
const MEMBER_ID = /^[UW][A-Z0-9]{2,20}$/;

/** A public channel archived is `channel_archive`; a private one (`privateChannels`) is `group_archive`. */
const ARCHIVE_EVENTS: ReadonlySet<string> = new Set(['channel_archive', 'group_archive']);

/**
 * Only archives matter. Messages typed in a user's channel stay internal by design, and Parley's own posts come back
 * as events too. Slack's retries (`X-Slack-Retry-Num`) decide the same: archiving twice is harmless.
 */
export function decideEvent(envelope: EventEnvelope): EventDecision {
  if (envelope.type === 'url_verification') return { kind: 'challenge', challenge: envelope.challenge };
  const { event } = envelope;
  if (event.type === 'app_home_opened') {
    // The Messages tab (the app's DM) shows no Home; nor is one published for an id that is no member's.
    if (event.tab !== 'home') return { kind: 'ignored', reason: 'app_home_opened on another tab' };
    if (!event.user || !MEMBER_ID.test(event.user))
      return { kind: 'ignored', reason: 'app_home_opened without a user' };
    return { kind: 'home', teamId: envelope.team_id, userId: event.user };
  }
  if (!ARCHIVE_EVENTS.has(event.type)) return { kind: 'ignored', reason: `${event.type} stays internal` };
  if (typeof event.channel !== 'string' || !isSlackChannelId(event.channel))
    return { kind: 'ignored', reason: `${event.type} without a channel id` };
  return {
    kind: 'archive',
    teamId: envelope.team_id,
    channelId: event.channel,
    ...(event.user ? { userId: event.user } : {}),
  };
}

// ── Threads mode (`slack.mode: threads`) ───────────────────────────────────────────────────────────────

/** A thread as Parley names it (`slackThread`, the SlackThread search attribute): `<channel id>:<parent ts>`. */
const THREAD_REF = /^([A-Z0-9]{1,30}):(\d{1,12}\.\d{1,8})$/;

export function threadRef(channelId: string, ts: string): string {
  return `${channelId}:${ts}`;
}

/** `<channel>:<ts>` read back (a button's value, a ref); undefined for anything else. */
export function parseThreadRef(value: string): { channelId: string; ts: string } | undefined {
  const match = THREAD_REF.exec(value);
  return match?.[1] && match[2] ? { channelId: match[1], ts: match[2] } : undefined;
}

/** The Slack ts of a message as Slack writes it (`1764650000.000100`); anything else names no message. */
function isTs(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,12}\.\d{1,8}$/.test(value);
}

/** Threads mode: what a thread's events mean, before the glue knows the app (it checks the mode and the thread). */
export type ThreadEventDecision =
  /** A person replied in a thread: the agent's reply to the user, unless a note or not an agent (the glue decides). */
  | {
      kind: 'reply';
      teamId: string;
      channelId: string;
      threadTs: string;
      ts: string;
      userId: string;
      text: string;
      /** The files shared with it (a `file_share` reply): fetched with the bot token by the glue. */
      files: SlackFileRef[];
    }
  /** A person edited their thread reply; `editTs` is the edit's own ts (a retried event is the same edit). */
  | {
      kind: 'edited';
      teamId: string;
      channelId: string;
      threadTs: string;
      ts: string;
      editTs: string;
      userId?: string;
      text: string;
    }
  /** A thread reply was deleted. */
  | { kind: 'deleted'; teamId: string; channelId: string; threadTs: string; ts: string; eventTs: string }
  /** An emoji reaction on a message (the glue checks it is ✅ on a thread's parent, by an agent). */
  | { kind: 'reaction'; teamId: string; channelId: string; ts: string; userId: string; reaction: string }
  | { kind: 'ignored'; reason: string };

/** The parts of a message Parley reads in an event (Slack puts more there). */
const eventMessageSchema = z.looseObject({
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string().optional(),
  /** File objects, as Slack sends them (read by slackFilesOf). */
  files: z.unknown().optional(),
});
type EventMessage = z.infer<typeof eventMessageSchema>;

/** A person's message subtypes: a broadcast ("Also send to #channel") and a message with files (`file_share`). */
const PERSON_SUBTYPES: readonly (string | undefined)[] = [undefined, 'thread_broadcast', 'file_share'];

/** A person's reply in a thread (not its parent, not a bot's post, not a system message); with files is fine. */
function humanReply(m: EventMessage | undefined): m is EventMessage & { ts: string; thread_ts: string } {
  if (!m || m.bot_id || !PERSON_SUBTYPES.includes(m.subtype)) return false;
  return isTs(m.ts) && isTs(m.thread_ts) && m.thread_ts !== m.ts;
}

/**
 * The thread events of threads mode (message.channels / message.groups, reaction_added): a reply, its edit or
 * deletion, a reaction. Parley's own posts come back as events too (they carry `bot_id`): ignored, as is anything
 * outside a thread. Pure: the glue looks the thread up, checks the agent and the note prefix.
 */
export function decideThreadEvent(envelope: EventEnvelope): ThreadEventDecision {
  if (envelope.type !== 'event_callback') return { kind: 'ignored', reason: 'not an event' };
  const { event } = envelope;
  const teamId = envelope.team_id;
  const channelId = typeof event.channel === 'string' ? event.channel : undefined;
  if (event.type === 'reaction_added') {
    const item = z
      .looseObject({ type: z.string(), channel: z.string(), ts: z.string() })
      .safeParse((event as Record<string, unknown>).item);
    const reaction = (event as Record<string, unknown>).reaction;
    if (!item.success || item.data.type !== 'message' || !isSlackChannelId(item.data.channel) || !isTs(item.data.ts))
      return { kind: 'ignored', reason: 'a reaction on no message' };
    if (!event.user || typeof reaction !== 'string') return { kind: 'ignored', reason: 'a reaction by nobody' };
    return { kind: 'reaction', teamId, channelId: item.data.channel, ts: item.data.ts, userId: event.user, reaction };
  }
  if (event.type !== 'message') return { kind: 'ignored', reason: `${event.type} is not a thread's` };
  if (!channelId || !isSlackChannelId(channelId)) return { kind: 'ignored', reason: 'a message without a channel' };
  const subtype = (event as Record<string, unknown>).subtype;
  if (subtype === 'message_changed') {
    const message = eventMessageSchema.safeParse((event as Record<string, unknown>).message);
    const editTs = (event as Record<string, unknown>).ts;
    if (!message.success || !humanReply(message.data) || !isTs(editTs))
      return { kind: 'ignored', reason: 'a change of no thread reply' };
    const m = message.data;
    return {
      kind: 'edited',
      teamId,
      channelId,
      threadTs: m.thread_ts,
      ts: m.ts,
      editTs,
      ...(m.user ? { userId: m.user } : {}),
      text: slackMessageText(m.text ?? ''),
    };
  }
  if (subtype === 'message_deleted') {
    const raw = event as Record<string, unknown>;
    const previous = eventMessageSchema.safeParse(raw.previous_message);
    const deletedTs = raw.deleted_ts;
    const eventTs = raw.ts;
    if (!previous.success || !isTs(deletedTs) || !isTs(eventTs) || !humanReply({ ...previous.data, ts: deletedTs }))
      return { kind: 'ignored', reason: 'a deletion of no thread reply' };
    return {
      kind: 'deleted',
      teamId,
      channelId,
      threadTs: previous.data.thread_ts as string,
      ts: deletedTs,
      eventTs,
    };
  }
  const message = eventMessageSchema.safeParse(event);
  if (!message.success || !humanReply(message.data) || !message.data.user)
    return { kind: 'ignored', reason: 'not a person’s thread reply' };
  const m = message.data;
  return {
    kind: 'reply',
    teamId,
    channelId,
    threadTs: m.thread_ts,
    ts: m.ts,
    userId: m.user as string,
    text: slackMessageText(m.text ?? ''),
    files: slackFilesOf(m.files),
  };
}

/** Is this thread reply an internal note (it starts with `slack.notePrefix`, leading whitespace ignored)? */
export function isInternalNote(text: string, notePrefix: string): boolean {
  return notePrefix !== '' && text.trimStart().startsWith(notePrefix);
}

/** The reaction that resolves a thread's conversation when an agent puts it on the parent (✅). */
export const RESOLVE_REACTION = 'white_check_mark';

/** The id an agent's thread reply is relayed under (its edits and deletion name the same): Slack's dedupe. */
export function threadReplyId(channelId: string, ts: string): string {
  return `slack:${channelId}:${ts}`;
}

// ── Interactions ───────────────────────────────────────────────────────────────────────────────────────────

/** An interaction payload (https://docs.slack.dev/reference/interaction-payloads); only what Parley reads. */
export const interactionSchema = z.looseObject({
  type: z.string(),
  team: z.object({ id: z.string() }).optional(),
  user: z.object({ id: z.string() }),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().optional() })).optional(),
  response_url: z.string().optional(),
  /** A shortcut's Callback ID (the manifest's `features.shortcuts`). */
  callback_id: z.string().optional(),
  channel: z.looseObject({ id: z.string() }).optional(),
  /** A message shortcut's message, whole as Slack has it; only what Parley reads. */
  message: z
    .looseObject({
      ts: z.string().min(1).max(40),
      text: z.string().optional(),
      user: z.string().optional(),
      bot_id: z.string().optional(),
      subtype: z.string().optional(),
      /** File objects, as Slack sends them (read by slackFilesOf). */
      files: z.unknown().optional(),
      thread_ts: z.string().optional(),
    })
    .optional(),
});
export type Interaction = z.infer<typeof interactionSchema>;

/** The action id of the Join button on the dispatch notice (its value is the user's channel). */
export const JOIN_ACTION = 'parley_join';
/** The action id of the Hand back to bot button on a handoff notice (its value is the user's channel). */
export const HANDBACK_ACTION = 'parley_handback';
/** The Claim and Resolve buttons of a dispatch notice (their value is the user's channel). */
export const CLAIM_ACTION = 'parley_claim';
export const RESOLVE_ACTION = 'parley_resolve';
/** The message shortcut "Send to user" (slack-app-manifest.yaml `features.shortcuts`). */
export const SEND_TO_USER_CALLBACK = 'parley_send_to_user';

/** The message a "Send to user" shortcut was used on, as the glue needs it. */
export interface ShortcutMessage {
  ts: string;
  /** As the user should read it (`slackMessageText`). */
  text: string;
  /** The member who wrote it, when a person did. */
  authorId?: string;
  /** An app's post (Parley's own, or another bot's): never sent to the user as an agent's reply. */
  fromBot: boolean;
  /** Files shared with it: fetched with the bot token and sent with the text (or as the reply, without text). */
  files: SlackFileRef[];
  /** Threads mode: the thread it is in (its parent's ts), which names the conversation. */
  threadTs?: string;
}

/** The JSON in an interaction form's `payload` field; undefined when it is missing or not JSON. */
export function interactionJson(form: URLSearchParams): unknown {
  try {
    return JSON.parse(form.get('payload') ?? '') as unknown;
  } catch {
    return undefined;
  }
}

export type InteractionDecision =
  /** Whoever clicked Join is invited into the user's channel (an agent, when `slack.agents` is set). */
  | { kind: 'invite'; teamId: string; channelId: string; userId: string; responseUrl?: string }
  /** Hand back to bot: control of the channel's (or, threads mode, the thread's) conversation returns to the bot. */
  | { kind: 'handback'; teamId: string; channelId: string; threadTs?: string; userId: string; responseUrl?: string }
  /**
   * Claim or Resolve on a dispatch notice: the clicker claims, or resolves, the channel's conversation; in threads
   * mode the button names the thread (`threadTs`, the parent's ts, with its channel).
   */
  | {
      kind: 'claim' | 'resolve';
      teamId: string;
      channelId: string;
      threadTs?: string;
      userId: string;
      responseUrl?: string;
    }
  /** "Send to user" on a message of a user's channel: that message becomes a reply to the user. */
  | {
      kind: 'send_to_user';
      teamId: string;
      channelId: string;
      userId: string;
      responseUrl?: string;
      message: ShortcutMessage;
    }
  | { kind: 'ignored'; reason: string };

/** One piece of Slack markup, `<…>`: a mention, a channel, a special mention or a link (at most 2,000 characters). */
const MARKUP = /<([^<>]{1,2000})>/g;

/** What a user reads for one piece of Slack markup (its inside): `@ana`, `#billing`, `@here`, `label (url)`. */
function readableMarkup(inside: string): string {
  const bar = inside.indexOf('|');
  const target = bar < 0 ? inside : inside.slice(0, bar);
  const label = bar < 0 ? '' : inside.slice(bar + 1);
  if (target.startsWith('@')) return label ? `@${label.replace(/^@/, '')}` : target;
  if (target.startsWith('#')) return label ? `#${label.replace(/^#/, '')}` : target;
  if (target.startsWith('!subteam^')) return label ? `@${label.replace(/^@/, '')}` : '@group';
  if (target.startsWith('!date^')) return label;
  if (target.startsWith('!')) return `@${target.slice(1)}`;
  if (target.startsWith('mailto:')) return label || target.slice('mailto:'.length);
  return label && label !== target ? `${label} (${target})` : target;
}

/**
 * A message's text as its author meant it for a reader outside Slack: Slack's markup in `<…>` (mentions as
 * `<@U024BE7LH|ana>`, channels, `<!here>`, links `<https://…|label>`) as text (`@ana`, `#billing`, `@here`, `label
 * (https://…)`), then `&amp;`, `&lt;` and `&gt;` as the characters typed (docs.slack.dev/messaging/formatting-message-
 * text). mrkdwn (`*bold*`) stays. Linear: one pass for the markup, one per entity.
 */
export function slackMessageText(text: string): string {
  return text
    .replace(MARKUP, (_whole, inside: string) => readableMarkup(inside))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function decideShortcut(payload: Interaction, teamId: string): InteractionDecision {
  if (payload.callback_id !== SEND_TO_USER_CALLBACK)
    return { kind: 'ignored', reason: `shortcut ${payload.callback_id ?? '(none)'} is not Parley's` };
  const channelId = payload.channel?.id;
  const message = payload.message;
  if (!channelId || !isSlackChannelId(channelId) || !message) return { kind: 'ignored', reason: 'no message' };
  const fromBot = message.bot_id !== undefined || message.subtype === 'bot_message';
  return {
    kind: 'send_to_user',
    teamId,
    channelId,
    userId: payload.user.id,
    ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
    message: {
      ts: message.ts,
      text: slackMessageText(message.text ?? '').trim(),
      ...(message.user && MEMBER_ID.test(message.user) ? { authorId: message.user } : {}),
      fromBot,
      files: slackFilesOf(message.files),
      ...(isTs(message.thread_ts) ? { threadTs: message.thread_ts } : {}),
    },
  };
}

export function decideInteraction(payload: Interaction): InteractionDecision {
  if (payload.type === 'message_action')
    return payload.team ? decideShortcut(payload, payload.team.id) : { kind: 'ignored', reason: 'no workspace' };
  if (payload.type !== 'block_actions') return { kind: 'ignored', reason: `${payload.type} is not Parley's` };
  if (!payload.team) return { kind: 'ignored', reason: 'no workspace' };
  const handback = payload.actions?.find((a) => a.action_id === HANDBACK_ACTION);
  const handbackThread = handback?.value ? parseThreadRef(handback.value) : undefined;
  if (handback?.value && (isSlackChannelId(handback.value) || handbackThread))
    return {
      kind: 'handback',
      teamId: payload.team.id,
      channelId: handbackThread?.channelId ?? handback.value,
      ...(handbackThread ? { threadTs: handbackThread.ts } : {}),
      userId: payload.user.id,
      ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
    };
  for (const [actionId, kind] of [
    [CLAIM_ACTION, 'claim'],
    [RESOLVE_ACTION, 'resolve'],
  ] as const) {
    const action = payload.actions?.find((a) => a.action_id === actionId);
    const thread = action?.value ? parseThreadRef(action.value) : undefined;
    if (action?.value && (isSlackChannelId(action.value) || thread))
      return {
        kind,
        teamId: payload.team.id,
        channelId: thread?.channelId ?? action.value,
        ...(thread ? { threadTs: thread.ts } : {}),
        userId: payload.user.id,
        ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
      };
  }
  const join = payload.actions?.find((a) => a.action_id === JOIN_ACTION);
  if (!join?.value) return { kind: 'ignored', reason: 'no Join button' };
  return {
    kind: 'invite',
    teamId: payload.team.id,
    channelId: join.value,
    userId: payload.user.id,
    ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
  };
}

// ── Agents ─────────────────────────────────────────────────────────────────────────────────────────────────

/** The agent a reply is signed with, from `users.info` (the glue fetches it): name, email, Gravatar by email. */
export function agentFromSlackUser(user: UsersInfoResponse['user'], userId: string): AgentInfo {
  const profile = user?.profile;
  const name = profile?.real_name || profile?.display_name || user?.real_name || user?.name || userId;
  const email = profile?.email;
  const avatarUrl = email ? gravatarUrl(email) : profile?.image_192;
  return { name, ...(email ? { email } : {}), ...(avatarUrl ? { avatarUrl } : {}) };
}
