/**
 * Parley's domain: what a conversation is made of (messages, profiles, outbox items and batches) and how it is
 * shown to a team (names, source labels, mirrored replies, profiles, history). Imports nothing, so workflows,
 * activities, integrations and the API all share it without pulling in Temporal or a vendor SDK.
 *
 * The renderers here return plain text or rows; each integration escapes them for where they land (Slack
 * mrkdwn, HTML mail, a Zendesk comment).
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface UserProfile {
  givenName?: string;
  surname?: string;
  email?: string;
  avatarUrl?: string;
  properties?: Record<string, JsonValue>;
  device?: Record<string, JsonValue>;
}

export interface AgentInfo {
  name: string;
  email?: string;
  avatarUrl?: string;
}

/** The systems a message can come from or go to. `test` is the sink's old name, still found in running state. */
export type SourceName = 'slack' | 'zendesk' | 'helpscout' | 'email' | 'sink' | 'test' | 'api';

export interface ConversationMessage {
  id: string;
  /** `bot`: posted by the app for its bot while the bot is in control (docs/api/handoff-and-offline.md). */
  role: 'user' | 'agent' | 'bot';
  text: string;
  /** ISO 8601. */
  at: string;
  metadata?: Record<string, JsonValue>;
  /** For agent replies: the system it came from (`slack`, `zendesk`, `helpscout`, `email`, `sink`). */
  source?: string;
  agent?: AgentInfo;
  /** Files of the message: ids, names, types and sizes only (the bytes stay in the file store). */
  attachments?: Attachment[];
  /** An agent's buttons (the shorthand `%[Label](postback:X)`, …), for the app to show. */
  actions?: MessageAction[];
  /** A user's tap on an agent's button. */
  postback?: Postback;
}

/**
 * A file a message carries. In workflow state and payloads only what describes it; `url` (Parley-served, signed,
 * expiring) is added where a message leaves Parley (webhooks, `GET …/messages`).
 */
export interface Attachment {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  url?: string;
}

/** A button of an agent's message: `postback` and `reply` carry a payload back, `link` opens `uri`. */
export interface MessageAction {
  type: 'postback' | 'reply' | 'link';
  text: string;
  payload?: string;
  uri?: string;
}

/** What a user's tap sends back: the button's payload and its label. */
export interface Postback {
  payload: string;
  text: string;
}

/**
 * A user's message as plain text for a team that sees only text (Zendesk, Help Scout): a tap as
 * `The user tapped *Yes*`, files named after the text (`📎 screen.png (image/png)`). A text-only message is its text.
 */
export function userMessagePlainText(message: Pick<ConversationMessage, 'text' | 'postback' | 'attachments'>): string {
  if (message.postback) return tappedText('The user', message.postback);
  const files = (message.attachments ?? []).map((a) => `📎 ${a.name} (${a.mediaType})`);
  return files.length > 0 ? [message.text, ...files].filter(Boolean).join('\n') : message.text;
}

/** What the team reads for a user's tap: `Jane tapped *Yes*` (the label as plain text; each integration escapes it). */
export function tappedText(who: string, postback: Postback): string {
  return `${who} tapped *${postback.text}*`;
}

/** An agent's reply as an integration's inbound hands it to the conversation (the `agentReply` signal's payload). */
export interface AgentReply {
  /** `<system>:<the vendor's id of the reply>`: a redelivery carries the same id and is dropped. */
  id: string;
  source: string;
  agent: AgentInfo;
  text: string;
  at: string;
  /** Files the agent sent (stored by Parley first) and images of the shorthand `![](https://…)`. */
  attachments?: Attachment[];
  /** Buttons of the agent's shorthand (`%[Yes](postback:YES)`). */
  actions?: MessageAction[];
}

// ── Outboxes ──────────────────────────────────────────────────────────────────────────────────────────

/** How an outbox paces its sends; each integration has defaults (its `policy.ts`), config may override. */
export interface OutboxPolicy {
  /** Items arriving within this window after the first pending one go out as one batch. */
  batchWindowMs: number;
  /** At most `max` sends per `periodMs`; more wait for the period to roll over. */
  budget?: { max: number; periodMs: number };
  /** First re-check of a faulted outbox; doubles up to `maxRecheckMs`. */
  recheckMs?: number;
  maxRecheckMs?: number;
}

export interface IntegrationTarget {
  name: string;
  policy: OutboxPolicy;
}

export type OutboxItemKind =
  | 'message:user'
  | 'message:agent'
  | 'conversation:archived'
  /** Control passed between the app's bot and the team (`handoff` says how). */
  | 'conversation:handoff'
  /** How an agent's reply reached the user (emailed, read): a line for the team, never for the app. */
  | 'delivery:status'
  /** The conversation was claimed, assigned, resolved or reopened (`assignment` says how). */
  | 'conversation:assigned'
  /** The facts a route is decided on changed (the profile, `department`): Slack re-decides the route. */
  | 'conversation:routed'
  /** An agent edited a reply Parley relayed (Slack threads mode): for the app only, with the new text. */
  | 'message:agent:updated'
  /** An agent deleted a reply Parley relayed (Slack threads mode): for the app only. */
  | 'message:agent:deleted';

/** Where a conversation stands with the team: New → Claimed → Resolved, Reopened by the user's next message. */
export type AssignmentStatus = 'new' | 'claimed' | 'resolved' | 'reopened';

/** Who handles a conversation, as the team set it (a Slack button, `/sk !claim`, `/sk !assign @ana`). */
export interface Assignment {
  status: AssignmentStatus;
  /** The agent handling it: `id` is the system's (`U024BE7LH` for Slack), unique with `source`. */
  assignee?: { id: string; name: string; source: string };
  /** Who made the last change, when a person did. */
  by?: { id: string; name: string };
  /** ISO 8601 of the last change. */
  at: string;
}

/**
 * What routes are decided on besides the profile: the scalar metadata of the conversation's first user message, and
 * `department` as the app set it (`PUT …/conversation`), kept small (workflows/assignment.ts bounds it).
 */
export interface RoutingFacts {
  metadata: Record<string, string | number | boolean>;
}

/** Who is in control of a conversation: the app's bot, or the team in the integrations. */
export type Control = 'bot' | 'team';

/** A change of control, as the outboxes carry it. */
export interface HandoffInfo {
  to: Control;
  from: Control;
  reason?: string;
  /** Where it came from: `api`, `bot` (a bot message with `handoff: true`), `slack`, … */
  source: string;
  /** Who did it, when a person did (an agent's name). */
  by?: string;
  /** To the team: the recent exchange with the bot (texts cut to a budget), oldest first. */
  history?: ConversationMessage[];
}

/**
 * One thing an outbox must send. In the workflow's queue it refers to its message by `seq` (kept once, in the window
 * or among the held messages); in the batch a send activity gets, it carries the message. Runs of older code copied
 * the message into each queue item: read on start and turned into a reference (workflows/bounds.ts).
 */
export interface OutboxItem {
  /** Stable across retries and continue-as-new: the webhook event id, the integration's dedupe key. */
  eventId: string;
  kind: OutboxItemKind;
  message?: ConversationMessage;
  /** In the queue: the stored message's seq. */
  seq?: number;
  /** In the queue: the message's bytes as Temporal stores them, for the batch and backlog budgets. */
  bytes?: number;
  /** For `conversation:handoff`. */
  handoff?: HandoffInfo;
  /** For `delivery:status`: the line the team sees (`✉ Emailed to the user at 10:42 UTC`), plain text. */
  notice?: string;
  /** For `conversation:assigned`: the assignment after the change. */
  assignment?: Assignment;
  /** Workflow time (epoch ms) it was queued; the batch window counts from the oldest pending item. */
  enqueuedAt: number;
}

export type OutboxStatus = 'idle' | 'batching' | 'sending' | 'budget_wait' | 'rate_limited' | 'faulted';

export interface OutboxFault {
  type: string;
  message: string;
  since: string;
  attempts: number;
  /** Epoch ms of the next automatic re-check. */
  nextCheckAt: number;
}

export interface OutboxState {
  /** `sink`, `slack`, … or `webhook:<url>`. */
  key: string;
  policy: OutboxPolicy;
  /** False once the integration left the app's config: nothing new is queued, what is pending still goes. */
  enabled: boolean;
  queue: OutboxItem[];
  status: OutboxStatus;
  /** Epoch ms until which a rate limit holds the outbox. */
  holdUntil?: number;
  fault?: OutboxFault;
  /** Epoch ms of recent sends, for the budget. */
  recentSends: number[];
  delivered: number;
  batches: number;
  rateLimits: number;
  /** The conversation was reopened since this outbox last sent (a fresh Slack channel needs the history). */
  reopened?: boolean;
  /** The fault an operator resumed this outbox from, until its next send (Zendesk opens a new ticket for a deleted one). */
  resumedFrom?: string;
  /** Epoch ms the send in flight began (a send retried for long counts as blocked for the backlog). */
  sendingSince?: number;
}

/** What an integration's send activity receives: a batch of consecutive items of one outbox. */
export interface OutboxBatch {
  /** Recent messages, sent only when the conversation was reopened since this outbox last sent. */
  recent?: ConversationMessage[];
  appId: string;
  userId: string;
  conversationId: string;
  outbox: string;
  profile: UserProfile;
  refs: Record<string, string>;
  items: OutboxItem[];
  /** The fault an operator resumed the outbox from (`zendesk_ticket_deleted`: go on in a new ticket). */
  resumedFrom?: string;
  /** What routes are decided on (Slack), when the conversation has any. */
  routing?: RoutingFacts;
  /** Who handles the conversation, once someone claimed it or it was resolved. */
  assignment?: Assignment;
}

/** What a client app said of an agent reply in its answer to the webhook (`{"delivered": false}`). */
export interface WebhookReceipt {
  messageId: string;
  delivered: boolean;
}

export interface OutboxSendResult {
  /** References to remember (e.g. `slackChannelId`), merged into the conversation's `refs`. */
  refs?: Record<string, string>;
  /** Client webhooks: what the app answered about the delivery of each agent reply, when it said. */
  receipts?: WebhookReceipt[];
  /** The integration lost its conversation (a deleted mailbox) and needs the recent history to open another. */
  needsHistory?: boolean;
}

/** Details of a failure from a send activity: a rate limit's wait, and how many items did go out first. */
export interface OutboxFailureDetails {
  retryAfterMs?: number;
  completed?: number;
  /** References made before the failure (a channel created), kept so the next try uses them. */
  refs?: Record<string, string>;
  /** The integration lost its conversation (a deleted mailbox) and needs the recent history to open another. */
  needsHistory?: boolean;
}

/** `sink`, `slack`, `webhook` …: the part of an outbox key before `:`. */
export function outboxKind(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

// ── Inbox ─────────────────────────────────────────────────────────────────────────────────────────────

/** Where an app's inbox watcher is in its mailbox; carried by heartbeats within a session, by the workflow across. */
export interface InboxCursor {
  uidValidity?: string;
  lastUid: number;
  relayed: number;
  ignored: number;
}

// ── How the team sees it (plain text; each integration escapes for where it lands) ──────────────────────

/** C0 and C1 controls (line breaks, tabs, NUL…) and the line and paragraph separators: a space, as a header needs. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
const BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/**
 * What a name never needs and a spoofer does, removed without a trace: bidi embeddings, overrides and isolates
 * (U+202A–202E, U+2066–2069) and marks (U+200E/200F, U+061C), which make `Jane` + U+202E + `evil` read
 * `Janelive`; zero-widths (U+200B–200D, U+2060, U+FEFF) and the other invisible format characters (soft hyphen,
 * invisible operators, the tags U+E0000–E007F that smuggle ASCII); Hangul fillers (the classic blank name); lone
 * surrogates. An explicit list, not `\p{Cf}`, so a name does not change with the Node version. The one kept: a
 * zero-width joiner between emoji, which is how 👩‍💻 is spelled (captured, and put back).
 */
const INVISIBLE =
  /(?<=[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f])(\u200d)(?=\p{Extended_Pictographic})|[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\u115f\u1160\u3164\uffa0\u{e0001}\u{e0020}-\u{e007f}\ud800-\udfff]/gu;
/** Runs of spaces (Unicode's space separators included) become one. */
const SPACES = /[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;

/** UTF-8 length of one code point. */
function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * A name (or subject) fit to show: invisible and direction-changing characters removed, controls (line breaks
 * included) and runs of whitespace as one space, trimmed; with `maxBytes`, at most that many UTF-8 bytes, cut between code points and
 * ending in `…`. Used wherever a user's name becomes a display name, a mail header or a Slack channel name.
 */
export function cleanName(value: string, maxBytes?: number): string {
  const name = value
    .replace(BREAKS, ' ')
    .replace(INVISIBLE, (_char, emojiJoiner?: string) => emojiJoiner ?? '')
    .replace(SPACES, ' ')
    .trim();
  if (maxBytes === undefined) return name;
  let bytes = 0;
  for (const char of name) bytes += utf8Length(char.codePointAt(0) ?? 0);
  if (bytes <= maxBytes) return name;
  const room = maxBytes - 3; // the ellipsis
  let kept = '';
  bytes = 0;
  for (const char of name) {
    const size = utf8Length(char.codePointAt(0) ?? 0);
    if (bytes + size > room) break;
    kept += char;
    bytes += size;
  }
  return room > 0 ? `${kept.trimEnd()}…` : '';
}

/** The user's name as the team sees it (given name and surname, else the email), cleaned; none when blank. */
export function displayName(profile: UserProfile): string | undefined {
  const name = cleanName([profile.givenName, profile.surname].filter(Boolean).join(' '));
  return name || (profile.email ? cleanName(profile.email) : '') || undefined;
}

/** The user as the team sees them: the name, else the email, else the user id (cleaned too, unless nothing is left). */
export function userLabel(profile: UserProfile, userId: string): string {
  return displayName(profile) ?? (cleanName(userId) || userId);
}

const SOURCE_LABELS: Record<SourceName, string> = {
  slack: 'Slack',
  zendesk: 'Zendesk',
  helpscout: 'Help Scout',
  email: 'email',
  api: 'the API',
  sink: 'the sink',
  test: 'the sink',
};

/** A system's name as people read it (`Help Scout`, `email`), for `slack:command`-style sources too. */
export function sourceLabel(source: string | undefined): string {
  if (!source) return 'another integration';
  const system = source.split(':')[0] ?? source;
  return system in SOURCE_LABELS ? SOURCE_LABELS[system as SourceName] : source;
}

export function agentName(message: Pick<ConversationMessage, 'agent'>): string {
  return message.agent?.name ?? 'An agent';
}

/** A reply from another integration, as the others show it: `↩ Ana via Zendesk: …`. */
export function mirroredReply(message: Pick<ConversationMessage, 'agent' | 'source' | 'text'>): string {
  return `↩ ${agentName(message)} via ${sourceLabel(message.source)}: ${message.text}`;
}

/** Said wherever an archive is mirrored. */
export const ARCHIVED_TEXT = 'The conversation was archived in Parley.';

export type Row = [label: string, value: string];

function scalar(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Who the user is, as rows: name, email, user id. */
export function userRows(profile: UserProfile, userId: string): Row[] {
  const rows: Row[] = [];
  const name = [profile.givenName, profile.surname].filter(Boolean).join(' ');
  if (name) rows.push(['Name', name]);
  if (profile.email) rows.push(['Email', profile.email]);
  rows.push(['User id', userId]);
  return rows;
}

/** The app's properties of the user (plan, account, …), as rows. */
export function propertyRows(profile: UserProfile): Row[] {
  return Object.entries(profile.properties ?? {}).map(([key, value]) => [key, scalar(value)]);
}

/** The user's profile as rows: name, email, user id, then the app's properties. */
export function profileRows(profile: UserProfile, userId: string): Row[] {
  return [...userRows(profile, userId), ...propertyRows(profile)];
}

/** The user's device as rows; device facts a message carries (`metadata.device`) win over the profile's. */
export function deviceRows(profile: UserProfile, message?: Pick<ConversationMessage, 'metadata'>): Row[] {
  const device = { ...(profile.device ?? {}) };
  const fromMessage = message?.metadata?.device;
  if (fromMessage && typeof fromMessage === 'object' && !Array.isArray(fromMessage)) Object.assign(device, fromMessage);
  return Object.entries(device).map(([key, value]) => [key, scalar(value)]);
}

/** Profile and device as plain lines (`Email: …`, `Device:` then `  key: value`). */
export function profileText(profile: UserProfile, userId: string): string {
  const lines = profileRows(profile, userId).map(([k, v]) => `${k}: ${v}`);
  const device = deviceRows(profile);
  if (device.length > 0) lines.push('Device:', ...device.map(([k, v]) => `  ${k}: ${v}`));
  return lines.join('\n');
}

/** Who said a message of the history: the user's label, or `Ana (Zendesk)`. */
export function speaker(message: ConversationMessage, profile: UserProfile, userId: string): string {
  if (message.role === 'user') return userLabel(profile, userId);
  if (message.role === 'bot') return 'Bot';
  return `${message.agent?.name ?? 'Agent'} (${sourceLabel(message.source)})`;
}

/** The recent history as `{ who, text }` lines, oldest first. */
export function historyLines(
  messages: readonly ConversationMessage[],
  profile: UserProfile,
  userId: string,
): { who: string; text: string }[] {
  return messages.map((m) => ({ who: speaker(m, profile, userId), text: m.text }));
}

export const HISTORY_HEADING = 'Earlier in this conversation:';

// ── Control (human takeover) ──────────────────────────────────────────────────────────────────────────

/** What the team is told when control changes, plain text (each integration escapes it). */
export function handoffText(handoff: Pick<HandoffInfo, 'to' | 'reason' | 'source' | 'by'>): string {
  const reason = handoff.reason ? ` Reason: ${handoff.reason}` : '';
  if (handoff.to === 'team') {
    const who = handoff.source === 'bot' ? 'The bot' : handoff.by ? handoff.by : 'The app';
    return `${who} handed this conversation to the team: every message from now on comes here.${reason}`;
  }
  const who = handoff.by ?? (handoff.source === 'api' ? 'The app' : sourceLabel(handoff.source));
  return `${who} handed this conversation back to the bot: nothing more comes here until it hands over again.${reason}`;
}

export const HANDOFF_HISTORY_HEADING = 'The conversation with the bot so far:';

// ── A conversation at a glance (the Slack Home tab) ───────────────────────────────────────────────────

/** A last message's text is cut to this many characters in a summary: enough to recognise it, small to query. */
export const SUMMARY_TEXT_CHARS = 150;

/**
 * What a list of conversations shows of one (`conversationSummary` query): small and bounded whatever the
 * conversation holds, never its state.
 */
export interface ConversationSummary {
  userId: string;
  /** The user as the team sees them (`userLabel`). */
  userLabel: string;
  status: 'active' | 'archived';
  /** The Slack route the conversation took, once Slack saw it. */
  route?: string;
  /** The user's Slack channel, once there is one. */
  slackChannelId?: string;
  assignment?: Assignment;
  /** The newest message, its text cut to SUMMARY_TEXT_CHARS characters. */
  lastMessage?: { role: ConversationMessage['role']; text: string; at: string; agentName?: string };
  /** When the oldest user message no agent has answered yet arrived (ISO 8601); absent when none waits. */
  waitingSince?: string;
}

/** `text` cut to `chars` characters (code points, so no emoji is split), ending in `…` when cut. */
export function cutText(text: string, chars: number): string {
  const points = [...text];
  return points.length <= chars
    ? text
    : `${points
        .slice(0, chars - 1)
        .join('')
        .trimEnd()}…`;
}

/** The summary of a conversation, from what its state holds (structural, so this module needs no workflow types). */
export function conversationSummary(state: {
  userId: string;
  profile: UserProfile;
  status: 'active' | 'archived';
  messages: readonly ConversationMessage[];
  refs: Record<string, string>;
  assignment?: Assignment;
}): ConversationSummary {
  const last = state.messages.at(-1);
  // The user waits from their first message after the last agent reply (a bot's answer is no agent's).
  let waitingSince: string | undefined;
  for (const message of state.messages) {
    if (message.role === 'agent') waitingSince = undefined;
    else if (message.role === 'user') waitingSince ??= message.at;
  }
  const route = state.refs.slackRoute;
  const channel = state.refs.slackChannelId;
  return {
    userId: state.userId,
    userLabel: cutText(userLabel(state.profile, state.userId), 80),
    status: state.status,
    ...(route !== undefined ? { route } : {}),
    ...(channel !== undefined ? { slackChannelId: channel } : {}),
    ...(state.assignment ? { assignment: state.assignment } : {}),
    ...(last
      ? {
          lastMessage: {
            role: last.role,
            text: cutText(userMessagePlainText(last), SUMMARY_TEXT_CHARS),
            at: last.at,
            ...(last.agent ? { agentName: cutText(last.agent.name, 80) } : {}),
          },
        }
      : {}),
    ...(waitingSince !== undefined ? { waitingSince } : {}),
  };
}
