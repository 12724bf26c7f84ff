/**
 * A local Slack for end-to-end tests: a real HTTP server that answers the Web API the way slack.com does (so the
 * real `@slack/web-api` WebClient can talk to it), and that plays Slack's side of the inbound traffic (slash
 * commands, Events API, interactivity) with signed requests to Parley.
 *
 * Web API: point WebClient at `emulator.apiUrl` (`slackApiUrl`), with `retryConfig: { retries: 0 }` and
 * `rejectRateLimitedCalls: true` so the tests see every 429. Each call is checked against Slack's OpenAPI spec
 * (see ./slack-spec.ts); violations land in `emulator.specViolations`.
 *
 * Every text Slack would render as mrkdwn (a message's `text`, mrkdwn objects in its blocks, the answers to slash
 * commands and to `response_url`) is also read the way Slack reads it: a special mention, a user or channel
 * reference, a link or an entity that the app did not build lands in `emulator.markupViolations`, and so does a
 * post whose custom `username` is a workspace member's or the app's own name.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlackFiles, fileJson, type EmulatedFile } from './slack-files';
import { checkWebApiCall, specStatus, type SpecStatus } from './slack-spec';
import { createSlackOAuth, type SlackOAuth, type SlackOAuthOptions } from './slack-oauth';

export type { EmulatedFile } from './slack-files';

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

export interface RateLimit {
  /** Calls allowed within any sliding window of `windowMs`. */
  max: number;
  windowMs: number;
}

export interface SlackEmulatorOptions {
  teamId?: string;
  teamDomain?: string;
  teamName?: string;
  apiAppId?: string;
  botUserId?: string;
  botId?: string;
  botName?: string;
  botToken?: string;
  /** Generated when absent; exposed as `emulator.signingSecret`. */
  signingSecret?: string;
  /** The deprecated verification token Slack still puts in every payload. */
  verificationToken?: string;
  /** Slack refuses `conversations.unarchive` with a bot token (`not_authorized`) unless this is set. */
  botCanUnarchive?: boolean;
  /**
   * Is the bot a member of #general from the start? Default false, as in a fresh install: nobody invited it, so
   * posting there answers `not_in_channel` until it joins (`conversations.join`) or is invited.
   */
  botInGeneral?: boolean;
  /**
   * Per-method limits (key: method name). `chat.postMessage` is limited per channel, everything else per method.
   * Rate limiting is off unless configured here or through `rateLimitScale`.
   */
  rateLimits?: Partial<Record<string, RateLimit>>;
  /**
   * Turns on Slack's default tiers for every emulated method, with both the allowance and the window multiplied by
   * this factor (allowance rounded, at least 1): 0.1 makes Tier 2 "2 calls per 6 s" — same rate, tiny bursts.
   * Entries of `rateLimits` take precedence and are used as given.
   */
  rateLimitScale?: number;
  /** Base URL of Parley for the inbound requests (`http://127.0.0.1:PORT`); also `setParleyUrl`. */
  parleyUrl?: string;
  /** Also deliver `message` events for the bot's own posts (Slack does, when subscribed). Default false. */
  deliverBotMessageEvents?: boolean;
  /**
   * The bot token's scopes (e.g. read from slack-app-manifest.yaml). When set, each method checks the scope Slack
   * requires for it, per channel type (public `channels:*`, private `groups:*`), and answers `missing_scope`.
   * Unset: every call is allowed.
   */
  scopes?: readonly string[];
  /**
   * The bot events the app subscribes to (the manifest's `bot_events`). When set, the workspace's own events (an
   * archive, a message) reach Parley only when subscribed; `sendEvent` still sends whatever a test asks.
   */
  botEvents?: readonly string[];
  /** OAuth v2 (the authorize page, `oauth.v2.access`, token rotation): test/emulators/slack-oauth.ts. */
  oauth?: SlackOAuthOptions;
  /** Is the app's Home tab turned on (App Home settings)? Default true; off, `views.publish` answers `not_enabled`. */
  homeTab?: boolean;
}

export interface EmulatedUser {
  id: string;
  name: string;
  realName: string;
  email: string;
  image: string;
  isBot: boolean;
}

export interface NewUser {
  id?: string;
  name: string;
  realName: string;
  email: string;
  image?: string;
}

export interface NewUserGroup {
  id?: string;
  /** The `@handle` people mention it by. */
  handle: string;
  users: string[];
}

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A message as stored in a channel (emulator view, camelCase). */
export interface EmulatedMessage {
  ts: string;
  channel: string;
  text: string;
  /** Human author, or the bot user when the bot posted without overriding its name/icon. */
  user?: string;
  botId?: string;
  username?: string;
  iconUrl?: string;
  iconEmoji?: string;
  blocks?: unknown[];
  metadata?: MessageMetadata;
  /** `channel_join`, `channel_archive`, `bot_message`, … (absent for plain messages). */
  subtype?: string;
  threadTs?: string;
  edited?: { user: string; ts: string };
  /** A file share: the files' ids (slack-files.ts). */
  fileIds?: string[];
  /** Emoji reactions, in the order they were first added (Slack's `reactions` on a message). */
  reactions?: EmulatedReaction[];
  /** Slack clients send one with every message a person types; apps' posts have none. */
  clientMsgId?: string;
}

export interface EmulatedReaction {
  name: string;
  users: string[];
  count: number;
}

/** One state of a message: as posted, then after each `chat.update` or edit by its author (oldest first). */
export interface MessageVersion {
  text: string;
  blocks?: unknown[];
  metadata?: MessageMetadata;
  /** Who made this version (the bot, or the person who edited). */
  by: string;
  /** The message's ts for the first version, the edit's ts for the others. */
  ts: string;
}

/** A Home tab as `views.publish` stored it, in Slack's own shape (the view object of the answer). */
export type HomeView = Record<string, unknown> & { id: string; type: 'home'; blocks: unknown[]; hash: string };

export interface MessageShortcut {
  userId: string;
  channelId: string;
  /** The message the person opened the shortcut menu on (a channel message or a thread reply). */
  messageTs: string;
  /** The shortcut's Callback ID, as set in the app's Interactivity & Shortcuts settings. */
  callbackId: string;
  teamId?: string;
}

export interface EmulatedChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  archived: boolean;
  members: string[];
  creator: string;
  created: number;
  isGeneral: boolean;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  messageTs: string;
}

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  /** Epoch ms when the call arrived. */
  at: number;
  /** HTTP status answered (0 while in flight). */
  status: number;
  /** Slack `error` answered, if any. */
  error?: string;
  /** The token the call came with (OAuth tests check which token each call used). */
  token?: string;
}

export interface FaultAnswer {
  /** HTTP status (default 200, or 429 when `retryAfter` is given). */
  status?: number;
  /** Slack error code for a 200 `{ok:false, error}` answer. */
  error?: string;
  /** Seconds for `Retry-After` (429 answers; default 1). */
  retryAfter?: number;
  /** Wait this long before answering (to test client timeouts). */
  delayMs?: number;
  /** Carry out the call, then answer with the fault: the effect happened but the client never learns it. */
  afterEffect?: boolean;
}

export interface SendOptions {
  /** Sign with this secret instead of the emulator's (wrong-secret tests). */
  signingSecret?: string;
  /** Unix seconds to sign with and send as `X-Slack-Request-Timestamp` (stale-timestamp tests). */
  timestamp?: number;
  /** Send a signature that does not match the body. */
  badSignature?: boolean;
}

export interface InboundResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when Parley answered JSON, else the raw text. */
  body: unknown;
  /** How long Parley took to answer (Slack gives up after 3 s). */
  elapsedMs: number;
}

export interface SlashCommandResult extends InboundResult {
  responseUrl: string;
  triggerId: string;
}

export interface EventResult extends InboundResult {
  eventId: string;
}

export interface SentRequest {
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  status: number;
  elapsedMs: number;
}

/** A POST Parley made to a `response_url`. */
export interface DelayedResponse {
  responseUrl: string;
  body: unknown;
  at: number;
}

export interface SlackEmulator {
  /** Base URL for WebClient's `slackApiUrl` (ends with `/`). */
  apiUrl: string;
  /** Root URL of the emulator server. */
  url: string;
  teamId: string;
  teamDomain: string;
  apiAppId: string;
  botUserId: string;
  botId: string;
  botToken: string;
  signingSecret: string;
  verificationToken: string;
  /** Spec violations seen so far (tests assert it stays empty). */
  specViolations: string[];
  /**
   * Texts Slack would have rendered as markup the app did not build (a `<!channel>`, a `<@U…>`, a `<url|label>`, a
   * bare `&`), and custom usernames that pass for a member or the app: user content let through unescaped. Tests
   * assert it stays empty.
   */
  markupViolations: string[];
  /** Whether the OpenAPI spec was found (no checking otherwise). */
  spec: SpecStatus;
  /** Every Web API call received, in order. */
  calls: RecordedCall[];
  /** Every signed request sent to Parley, in order. */
  sent: SentRequest[];

  addUser(user: NewUser): EmulatedUser;
  user(id: string): EmulatedUser | undefined;
  /** A user group (`S…`), as an admin makes one in Slack; answers `usergroups.users.list`. Returns its id. */
  addUserGroup(group: NewUserGroup): string;
  setUserGroupMembers(groupId: string, users: string[]): void;
  /** Calls with this token answer `token_revoked` from now on. */
  revokeToken(token?: string): void;
  /** Adds another valid token, bound to the bot (e.g. after a re-install). */
  addToken(token: string): void;
  failNext(method: string, answer: FaultAnswer, times?: number): void;
  /** Sets (or with `undefined` removes) the limit of one method at run time. */
  setRateLimit(method: string, limit: RateLimit | undefined): void;

  channels(): EmulatedChannel[];
  channel(id: string): EmulatedChannel | undefined;
  channelByName(name: string): EmulatedChannel | undefined;
  /**
   * Oldest first, as the channel shows them: thread replies only with `includeThreadReplies` (a reply broadcast to
   * the channel is always there), system messages (joins, archive notices, tombstones) only with `includeSystem`.
   */
  messages(channelId: string, opts?: { includeSystem?: boolean; includeThreadReplies?: boolean }): EmulatedMessage[];
  /** One message (a thread reply too) in its current version. */
  message(channelId: string, ts: string): EmulatedMessage | undefined;
  /** Every version of a message, oldest first: how a notice's status changed in place. Empty when unknown. */
  messageVersions(channelId: string, ts: string): MessageVersion[];
  /** The Home tab last published for a user (`views.publish`), or undefined. */
  homeView(userId: string): HomeView | undefined;
  ephemerals(): EphemeralMessage[];
  responses(responseUrl?: string): DelayedResponse[];
  callCount(method: string): number;

  /**
   * A human posts in a channel; delivers a `message` event when the bot is a member and Parley is set. With `fileIds`
   * (from `addUserFile`) the message shares those files: subtype `file_share`, `files` and `upload: true`, as Slack.
   */
  userPostsInChannel(
    channelId: string,
    userId: string,
    text: string,
    opts?: { threadTs?: string; broadcast?: boolean; fileIds?: string[] },
  ): Promise<{ ts: string; delivery?: EventResult }>;
  /** The author edits a message: `message_changed` (hidden) when the bot is a member and Parley is set. */
  userEditsMessage(channelId: string, ts: string, newText: string): Promise<EventResult | undefined>;
  /**
   * A person deletes a message: `message_deleted` (hidden). A parent with replies stays as a tombstone instead
   * (Slack's "This message was deleted."), announced as `message_changed`.
   */
  userDeletesMessage(channelId: string, ts: string): Promise<EventResult | undefined>;
  /** A person adds an emoji reaction (name without colons); `reaction_added` when the bot is a member. */
  userReacts(channelId: string, ts: string, userId: string, name: string): Promise<EventResult | undefined>;
  userRemovesReaction(channelId: string, ts: string, userId: string, name: string): Promise<EventResult | undefined>;
  /**
   * A person opens the app's App Home, on its Home tab unless `tab: 'messages'`: `app_home_opened`, with the
   * published view when the Home tab was opened and one was published.
   */
  openAppHome(userId: string, opts?: { tab?: 'home' | 'messages' }): Promise<EventResult | undefined>;
  /** A human archives a channel; delivers a signed `channel_archive` event. */
  archiveChannelAsUser(channelId: string, userId: string): Promise<EventResult | undefined>;
  unarchiveChannelAsUser(channelId: string, userId: string): Promise<EventResult | undefined>;

  setParleyUrl(baseUrl: string): void;
  sendSlashCommand(
    cmd: { userId: string; channelId: string; text: string; command?: string; teamId?: string; apiAppId?: string },
    opts?: SendOptions,
  ): Promise<SlashCommandResult>;
  sendEvent(
    event: Record<string, unknown>,
    opts?: SendOptions & { retryNum?: number; retryReason?: string; eventId?: string; teamId?: string },
  ): Promise<EventResult>;
  sendUrlVerification(opts?: SendOptions): Promise<InboundResult & { challenge: string }>;
  sendBlockAction(
    action: {
      userId: string;
      channelId: string;
      actionId: string;
      value: string;
      teamId?: string;
      blockId?: string;
      messageTs?: string;
    },
    opts?: SendOptions,
  ): Promise<InboundResult & { responseUrl: string }>;
  /** A message shortcut (`message_action`) on a message; the answer's `responseUrl` reads with `responses(url)`. */
  sendMessageShortcut(
    shortcut: MessageShortcut,
    opts?: SendOptions,
  ): Promise<InboundResult & { responseUrl: string; triggerId: string }>;
  /** Signs `rawBody` like Slack (`v0=` + hex HMAC-SHA256 of `v0:<ts>:<body>`). */
  sign(rawBody: string, timestamp: number, secret?: string): string;

  /** Files uploaded through the external upload flow, or added as a person's (slack-files.ts). */
  files(): EmulatedFile[];
  /** A file a person uploaded (an agent's screenshot), its bytes behind `url_private`; sharing it is the test's. */
  addUserFile(user: string, name: string, bytes: Buffer, mimetype?: string): EmulatedFile;
  // --- OAuth (test/emulators/slack-oauth.ts), with `options.oauth` ---
  /** The OAuth side: tokens issued, refreshes, revoking refresh tokens. */
  oauth?: SlackOAuth;
  /** The app is uninstalled: every token revoked, then Slack's `tokens_revoked` and `app_uninstalled` events. */
  uninstall(): Promise<EventResult[]>;

  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Slack behaviour tables
// ---------------------------------------------------------------------------------------------------------------

const MINUTE = 60_000;
const TIER_2: RateLimit = { max: 20, windowMs: MINUTE };
const TIER_3: RateLimit = { max: 50, windowMs: MINUTE };
const TIER_4: RateLimit = { max: 100, windowMs: MINUTE };

/**
 * Slack's published tiers (docs.slack.dev/reference/methods/<method>, "Rate limits"). chat.postMessage is
 * "Special": about one message per second per channel, short bursts tolerated. Note Slack's 2025 change: for
 * non-Marketplace apps conversations.history is limited to 1 call/minute (15 messages) — configure it explicitly
 * with `rateLimits` to test that.
 */
const DEFAULT_LIMITS: Record<string, RateLimit> = {
  'auth.test': TIER_4,
  'conversations.create': TIER_2,
  'conversations.list': TIER_2,
  'conversations.archive': TIER_2,
  'conversations.unarchive': TIER_2,
  'conversations.rename': TIER_2,
  'conversations.invite': TIER_3,
  'conversations.join': TIER_3,
  'conversations.info': TIER_3,
  'conversations.history': TIER_3,
  'conversations.replies': TIER_3,
  'reactions.add': TIER_3,
  'reactions.remove': TIER_2,
  'views.publish': TIER_4,
  'chat.update': TIER_3,
  'chat.postMessage': { max: 1, windowMs: 1000 },
  'chat.postEphemeral': TIER_4,
  'files.getUploadURLExternal': TIER_4,
  'files.completeUploadExternal': TIER_4,
  'users.info': TIER_4,
  'usergroups.users.list': TIER_2,
};

/** The methods whose `text` and blocks Slack renders as mrkdwn. */
const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);

/** Methods rate-limited per channel rather than per method. */
const PER_CHANNEL_LIMITS = new Set(['chat.postMessage']);

const MAX_CHANNEL_NAME = 80;
const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;
/** Modals and Home tabs take twice a message's blocks (docs.slack.dev/reference/block-kit/blocks). */
const MAX_VIEW_BLOCKS = 100;
/** `view_too_large` past 250 kB (docs.slack.dev/reference/methods/views.publish). */
const MAX_VIEW_BYTES = 250_000;
/** A reaction name: an emoji's short name without colons, maybe with a skin tone (`thumbsup::skin-tone-6`). */
const REACTION_NAME = /^[a-z0-9_+'-]+(?:::skin-tone-[2-6])?$/;

class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

function randomId(prefix: string, length = 10): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = prefix;
  for (const byte of crypto.randomBytes(length)) out += alphabet[byte % alphabet.length] ?? 'X';
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string argument (form values are strings; JSON bodies may carry numbers). */
function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Slack reads booleans as `true`/`1` (form) or JSON `true`. */
function bool(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Form arguments holding JSON (blocks, metadata) arrive as strings; JSON bodies carry them as values. */
function jsonArg(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || value === '') return { ok: true, value: undefined };
  if (typeof value !== 'string') return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch {
    return { ok: false };
  }
}

function intArg(value: unknown, fallback: number): number {
  const s = str(value);
  if (s === undefined || s === '') return fallback;
  const n = Number.parseInt(s, 10);
  return Number.isNaN(n) ? fallback : n;
}

/** `'1700000000.000100'` → microseconds (exact: below 2^53), NaN when malformed. */
function tsToNumber(ts: string): number {
  const match = /^(\d+)(?:\.(\d{0,6}))?$/.exec(ts.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * 1e6 + Number((match[2] ?? '').padEnd(6, '0'));
}

function encodeCursor(kind: string, position: string | number): string {
  return Buffer.from(`${kind}:${position}`).toString('base64');
}

function decodeCursor(kind: string, cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  if (!decoded.startsWith(`${kind}:`)) throw new SlackError('invalid_cursor');
  return decoded.slice(kind.length + 1);
}

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function readBytes(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * What Slack would read as markup in a mrkdwn text, other than a link to a channel `isChannel` knows: a special
 * mention (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, `<!date…>`), a user mention `<@U…>`, a link
 * `<url>` or `<url|label>`, an unknown `<#C…>`, a lone `<`, and an `&` that starts none of `&amp;`, `&lt;`, `&gt;`
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping). An app that escapes what users type sends
 * none of these; `*`, `_`, `~` and `` ` `` have no escape in mrkdwn and are not counted.
 */
export function unescapedMarkup(text: string, isChannel: (id: string) => boolean): string[] {
  const found: string[] = [];
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    const end = text.indexOf('>', i);
    const token = end === -1 ? text.slice(i, i + 40) : text.slice(i, end + 1);
    const channel = /^<#([A-Z0-9]+)(?:\|[^<>&]*)?>$/.exec(token);
    if (!(channel?.[1] && isChannel(channel[1]))) found.push(token);
  }
  for (const m of text.matchAll(/&(?!(?:amp|lt|gt);)\S{0,10}/g)) found.push(m[0]);
  return found;
}

/** Slack's scope for a method on a channel: public channels need `channels:*`, private ones `groups:*`. */
function channelScope(isPrivate: boolean, access: 'read' | 'history' | 'write'): string {
  if (isPrivate) return `groups:${access}`;
  // Bot tokens create, invite to and archive public channels with `channels:manage` (`channels:write` is a user scope).
  return access === 'write' ? 'channels:manage' : `channels:${access}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** POST to Parley without connection pooling (no sockets left open after a test). */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        readBody(res).then(
          (text) => resolve({ status: res.statusCode ?? 0, headers: headerRecord(res.headers), text }),
          reject,
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------------------------

interface Channel extends EmulatedChannel {
  messages: EmulatedMessage[];
  /** Earlier names, newest last (`previous_names` in Slack's channel object). */
  previousNames: string[];
  topic: string;
  purpose: string;
}

interface Fault {
  answer: FaultAnswer;
  remaining: number;
}

export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const teamId = options.teamId ?? 'T0PARLEY';
  const teamDomain = options.teamDomain ?? 'parley-test';
  const teamName = options.teamName ?? 'Parley Test';
  const apiAppId = options.apiAppId ?? 'A0PARLEY';
  const botUserId = options.botUserId ?? 'U0PARLEYBOT';
  const botId = options.botId ?? 'B0PARLEY';
  const botName = options.botName ?? 'parley';
  const botToken = options.botToken ?? `xoxb-${crypto.randomBytes(6).toString('hex')}-emulated`;
  const signingSecret = options.signingSecret ?? crypto.randomBytes(16).toString('hex');
  const verificationToken = options.verificationToken ?? crypto.randomBytes(12).toString('hex');
  let parleyUrl = options.parleyUrl?.replace(/\/+$/, '');

  const users = new Map<string, EmulatedUser>();
  const channelsById = new Map<string, Channel>();
  const tokens = new Map<string, 'active' | 'revoked'>([[botToken, 'active']]);
  const faults = new Map<string, Fault[]>();
  const windows = new Map<string, number[]>();
  const limits = new Map<string, RateLimit>();
  const ephemeralList: EphemeralMessage[] = [];
  const delayed: DelayedResponse[] = [];
  const calls: RecordedCall[] = [];
  const sent: SentRequest[] = [];
  const specViolations: string[] = [];
  const markupViolations: string[] = [];
  const userGroups = new Map<string, { id: string; handle: string; users: string[] }>();
  const granted = options.scopes ? new Set(options.scopes) : undefined;
  const subscribed = options.botEvents ? new Set(options.botEvents) : undefined;
  const spec = specStatus();

  /** `missing_scope` (Slack's answer, with `needed` and `provided`) unless the token has `scope`. */
  const requireScope = (scope: string): void => {
    if (granted && !granted.has(scope))
      throw new SlackError('missing_scope', { needed: scope, provided: [...granted].join(',') });
  };
  const hasScope = (scope: string): boolean => !granted || granted.has(scope);
  /** Records what Slack would render as markup in a mrkdwn `text` the app did not build. */
  const checkMarkup = (where: string, text: unknown): void => {
    if (typeof text !== 'string') return;
    for (const token of unescapedMarkup(text, (id) => channelsById.has(id)))
      markupViolations.push(`${where}: ${JSON.stringify(token)} in ${JSON.stringify(text.slice(0, 200))}`);
  };
  /** Every mrkdwn text object in blocks (sections, fields, context elements, …); plain_text is never parsed. */
  const checkBlocks = (where: string, value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => checkBlocks(where, v, `${path}[${i}]`));
    else if (isRecord(value)) {
      if (value.type === 'mrkdwn') checkMarkup(`${where} ${path}.text`, value.text);
      for (const [k, v] of Object.entries(value)) if (typeof v === 'object') checkBlocks(where, v, `${path}.${k}`);
    }
  };
  /** A message's text and blocks as Slack renders them, and its custom author name. */
  const checkRendered = (where: string, args: Record<string, unknown>): void => {
    // With these, Slack itself turns a typed `@channel`, `@name` or `#channel` into a mention: no escape helps then.
    if (str(args.parse) === 'full' || bool(args.link_names))
      markupViolations.push(`${where}: parse=full or link_names makes typed @names and #channels mentions`);
    checkMarkup(`${where} text`, args.text);
    const blocks = jsonArg(args.blocks);
    if (blocks.ok) checkBlocks(where, blocks.value, 'blocks');
    const username = str(args.username);
    if (username) {
      // As people read it: invisible characters (zero-width, bidi) do not make a name another one.
      const name = username
        .normalize('NFKC')
        .replace(/\p{Cf}/gu, '')
        .replace(/\s+/g, ' ')
        .trim()
        .toLowerCase();
      const member = [...users.values()].find((u) =>
        [u.name, u.realName].some((n) => n !== '' && n.toLowerCase() === name),
      );
      if (member) markupViolations.push(`${where} username: ${JSON.stringify(username)} passes for ${member.id}`);
    }
  };

  /** Does Slack send this workspace event to the app (subscribed in the manifest, and the scope it needs)? */
  const subscribedTo = (event: string, scope: string): boolean =>
    (!subscribed || subscribed.has(event)) && hasScope(scope);

  // Rate limits: explicit entries win; rateLimitScale turns the default tiers on, scaled.
  if (options.rateLimitScale !== undefined) {
    const scale = options.rateLimitScale;
    for (const [method, limit] of Object.entries(DEFAULT_LIMITS)) {
      limits.set(method, {
        max: Math.max(1, Math.round(limit.max * scale)),
        windowMs: Math.max(1, Math.round(limit.windowMs * scale)),
      });
    }
  }
  for (const [method, limit] of Object.entries(options.rateLimits ?? {})) if (limit) limits.set(method, limit);

  // --- ts: unique, strictly increasing, close to the wall clock (Slack's `seconds.micro` format) -------------
  let lastMicros = 0;
  const nextTs = (): string => {
    lastMicros = Math.max(Date.now() * 1000, lastMicros + 1);
    return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, '0')}`;
  };

  // --- workspace ----------------------------------------------------------------------------------------------
  const addUserRecord = (user: EmulatedUser): EmulatedUser => {
    users.set(user.id, user);
    return user;
  };
  addUserRecord({
    id: botUserId,
    name: botName,
    realName: 'Parley',
    email: '',
    image: 'https://a.slack-edge.com/80588/img/plugins/app/bot_192.png',
    isBot: true,
  });
  const owner = addUserRecord({
    id: 'U0OWNER',
    name: 'owner',
    realName: 'Workspace Owner',
    email: 'owner@example.com',
    image: 'https://secure.gravatar.com/avatar/owner.png',
    isBot: false,
  });

  const addSystemMessage = (channel: Channel, subtype: string, user: string, text: string): EmulatedMessage => {
    const message: EmulatedMessage = { ts: nextTs(), channel: channel.id, text, user, subtype };
    channel.messages.push(message);
    return message;
  };

  const joinChannel = (channel: Channel, userId: string): void => {
    if (channel.members.includes(userId)) return;
    channel.members.push(userId);
    // Slack records every join in the channel's history (subtype channel_join).
    addSystemMessage(channel, 'channel_join', userId, `<@${userId}> has joined the channel`);
  };

  const createChannel = (name: string, creator: string, isPrivate: boolean, isGeneral = false): Channel => {
    const channel: Channel = {
      id: randomId('C', 10), // Slack now gives private channels C ids too
      name,
      isPrivate,
      archived: false,
      members: [],
      creator,
      created: Math.floor(Date.now() / 1000),
      isGeneral,
      messages: [],
      topic: '',
      purpose: '',
      previousNames: [],
    };
    channelsById.set(channel.id, channel);
    joinChannel(channel, creator);
    return channel;
  };

  const general = createChannel('general', owner.id, false, true);
  general.purpose = 'This is the one channel that will always include everyone.';
  if (options.botInGeneral) joinChannel(general, botUserId);

  const findChannel = (ref: string): Channel | undefined => {
    const byId = channelsById.get(ref);
    if (byId) return byId;
    // chat.postMessage also accepts a channel name, with or without '#'.
    const name = ref.replace(/^#/, '');
    return [...channelsById.values()].find((c) => c.name === name);
  };

  /** The channel as the bot sees it: private channels it is not in do not exist for it. */
  const visibleChannel = (ref: unknown): Channel => {
    const id = str(ref);
    if (!id) throw new SlackError('channel_not_found');
    const channel = findChannel(id);
    if (!channel || (channel.isPrivate && !channel.members.includes(botUserId))) {
      throw new SlackError('channel_not_found');
    }
    return channel;
  };

  // --- threads, and what a channel's history shows ----------------------------------------------------------
  /** A thread's replies, oldest first (broadcasts included: they are replies shown in the channel as well). */
  const threadReplies = (channel: Channel, parentTs: string): EmulatedMessage[] =>
    channel.messages.filter((r) => r.threadTs === parentTs && r.ts !== parentTs);
  /** conversations.history holds parents and unthreaded messages, and replies broadcast to the channel. */
  const inHistory = (m: EmulatedMessage): boolean =>
    !m.threadTs || m.threadTs === m.ts || m.subtype === 'thread_broadcast';
  const findMessage = (channel: Channel, ts: string): EmulatedMessage | undefined =>
    channel.messages.find((m) => m.ts === ts);

  /** Every version of each message, keyed `channel ts`: the first as posted, then each update or edit. */
  const versions = new Map<string, MessageVersion[]>();
  const recordVersion = (m: EmulatedMessage, by: string, ts: string): void => {
    const key = `${m.channel} ${m.ts}`;
    const list = versions.get(key) ?? [];
    list.push({
      text: m.text,
      by,
      ts,
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.metadata ? { metadata: m.metadata } : {}),
    });
    versions.set(key, list);
  };

  // --- JSON shapes, as Slack returns them ----------------------------------------------------------------------
  const channelJson = (c: Channel, includeNumMembers = false): Record<string, unknown> => ({
    id: c.id,
    name: c.name,
    // Private channels made since March 2021 have C ids and are channels; is_group is for the old G ones.
    is_channel: true,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: c.isPrivate,
    created: c.created,
    is_archived: c.archived,
    is_general: c.isGeneral,
    unlinked: 0,
    name_normalized: c.name,
    is_shared: false,
    is_org_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: teamId,
    updated: c.created * 1000,
    parent_conversation: null,
    creator: c.creator,
    is_ext_shared: false,
    shared_team_ids: [teamId],
    pending_connected_team_ids: [],
    is_member: c.members.includes(botUserId),
    topic: { value: c.topic, creator: c.topic ? c.creator : '', last_set: 0 },
    purpose: { value: c.purpose, creator: c.purpose ? c.creator : '', last_set: 0 },
    previous_names: [...c.previousNames],
    ...(includeNumMembers ? { num_members: c.members.length } : {}),
  });

  function messageJson(m: EmulatedMessage, includeMetadata: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = { type: 'message' };
    if (m.subtype) out.subtype = m.subtype;
    out.text = m.text;
    if (m.user) out.user = m.user;
    if (m.botId) {
      out.bot_id = m.botId;
      out.app_id = apiAppId;
      if (m.username) out.username = m.username;
      if (m.iconUrl) out.icons = { image_48: m.iconUrl };
      else if (m.iconEmoji) out.icons = { emoji: m.iconEmoji };
      out.bot_profile = { id: botId, app_id: apiAppId, name: botName, deleted: false, team_id: teamId };
    }
    out.ts = m.ts;
    out.team = teamId;
    if (m.clientMsgId) out.client_msg_id = m.clientMsgId;
    if (m.subtype === 'tombstone') out.hidden = true;
    if (m.blocks) out.blocks = m.blocks;
    const channel = channelsById.get(m.channel);
    if (m.threadTs && m.threadTs !== m.ts) {
      // A reply names its thread and the parent's author (docs.slack.dev/messaging#threading).
      out.thread_ts = m.threadTs;
      const parent = channel?.messages.find((p) => p.ts === m.threadTs);
      const parentUser = parent?.user ?? (parent?.botId ? botUserId : undefined);
      if (parentUser) out.parent_user_id = parentUser;
      if (m.subtype === 'thread_broadcast' && parent) out.root = messageJson(parent, includeMetadata);
    } else {
      const replies = channel ? threadReplies(channel, m.ts) : [];
      const last = replies[replies.length - 1];
      if (last) {
        // A parent, as history and replies show it: its own ts as thread_ts, and the thread's summary. A bot's
        // reply posted under a custom name has no user: Slack falls back to the bot id in reply_users.
        const replyUsers = [...new Set(replies.map((r) => r.user ?? r.botId ?? ''))].filter(Boolean);
        out.thread_ts = m.ts;
        out.reply_count = replies.length;
        out.reply_users_count = replyUsers.length;
        out.latest_reply = last.ts;
        out.reply_users = replyUsers;
        out.is_locked = false;
      }
    }
    if (m.edited) out.edited = m.edited;
    if (m.metadata && includeMetadata) out.metadata = m.metadata;
    if (m.reactions?.length)
      out.reactions = m.reactions.map((r) => ({ name: r.name, users: [...r.users], count: r.count }));
    if (m.fileIds) {
      out.files = m.fileIds.flatMap((id) => {
        const file = slackFiles.get(id);
        return file ? [fileJson(file, teamId, baseUrl)] : [];
      });
      out.upload = true;
    }
    return out;
  }

  const userJson = (u: EmulatedUser): Record<string, unknown> => ({
    id: u.id,
    team_id: teamId,
    name: u.name,
    deleted: false,
    real_name: u.realName,
    tz: 'Europe/Paris',
    tz_label: 'Central European Time',
    tz_offset: 3600,
    is_admin: u.id === owner.id,
    is_owner: u.id === owner.id,
    is_bot: u.isBot,
    is_app_user: false,
    updated: Math.floor(Date.now() / 1000),
    profile: {
      real_name: u.realName,
      real_name_normalized: u.realName,
      display_name: u.name,
      display_name_normalized: u.name,
      ...(u.isBot ? { bot_id: botId, api_app_id: apiAppId } : { email: u.email }),
      image_24: u.image,
      image_48: u.image,
      image_72: u.image,
      image_192: u.image,
      image_512: u.image,
      team: teamId,
    },
  });

  // --- argument parsing shared by chat.* -----------------------------------------------------------------------
  const parseBlocks = (value: unknown): unknown[] | undefined => {
    const parsed = jsonArg(value);
    if (!parsed.ok || (parsed.value !== undefined && !Array.isArray(parsed.value))) {
      throw new SlackError('invalid_blocks_format');
    }
    const blocks = parsed.value as unknown[] | undefined;
    if (blocks && blocks.length > MAX_BLOCKS) throw new SlackError('invalid_blocks');
    if (blocks?.some((b) => !isRecord(b) || typeof b.type !== 'string')) throw new SlackError('invalid_blocks');
    return blocks;
  };

  const parseMetadata = (value: unknown): MessageMetadata | undefined => {
    const parsed = jsonArg(value);
    if (!parsed.ok) throw new SlackError('invalid_metadata_format');
    if (parsed.value === undefined) return undefined;
    if (!isRecord(parsed.value)) throw new SlackError('invalid_metadata_format');
    const { event_type: eventType, event_payload: eventPayload } = parsed.value;
    if (typeof eventType !== 'string' || eventType === '' || !isRecord(eventPayload)) {
      throw new SlackError('invalid_metadata_schema');
    }
    return { event_type: eventType, event_payload: eventPayload };
  };

  const checkText = (text: string | undefined, blocks: unknown[] | undefined, args: Record<string, unknown>): void => {
    const hasAttachments = str(args.attachments) !== undefined && str(args.attachments) !== '';
    const hasMarkdown = (str(args.markdown_text) ?? '') !== '';
    if (!text && !blocks?.length && !hasAttachments && !hasMarkdown) throw new SlackError('no_text');
    if (text && text.length > MAX_TEXT) throw new SlackError('msg_too_long');
  };

  /** Posting requires membership (no chat:write.public scope) and a live channel. */
  const postableChannel = (ref: unknown): Channel => {
    const channel = visibleChannel(ref);
    if (channel.archived) throw new SlackError('is_archived');
    if (!channel.members.includes(botUserId)) throw new SlackError('not_in_channel');
    return channel;
  };

  /** A name a channel may take: Slack's rules and order of checks (hyphens and underscores count as punctuation). */
  const freeChannelName = (value: unknown): string => {
    const name = str(value) ?? '';
    if (name === '') throw new SlackError('invalid_name_required');
    if (name.length > MAX_CHANNEL_NAME) throw new SlackError('invalid_name_maxlength');
    if (!/^[a-z0-9_-]+$/.test(name)) throw new SlackError('invalid_name_specials');
    if (/^[_-]+$/.test(name)) throw new SlackError('invalid_name_punctuation');
    // Archived channels keep their name: it stays taken.
    if ([...channelsById.values()].some((c) => c.name === name)) throw new SlackError('name_taken');
    return name;
  };

  // --- files (slack-files.ts): the external upload flow and url_private ----------------------------------------
  const slackFiles = createSlackFiles({
    baseUrl: () => baseUrl,
    teamId,
    botUserId,
    postableChannel: (ref) => {
      requireScope('files:write');
      return postableChannel(ref).id;
    },
    shareMessage: (channelId, user, text, shared, threadTs) => {
      const channel = channelsById.get(channelId);
      if (!channel) throw new SlackError('channel_not_found');
      const message: EmulatedMessage = {
        ts: nextTs(),
        channel: channelId,
        text,
        user,
        ...(user === botUserId ? { botId } : {}),
        fileIds: shared.map((f) => f.id),
        ...(threadTs ? { threadTs } : {}),
      };
      channel.messages.push(message);
      recordVersion(message, user, message.ts);
      return message.ts;
    },
    validToken: (token) => tokens.get(token) === 'active' && hasScope('files:read'),
    error: (code) => new SlackError(code),
  });

  // --- reactions and the Home tab ----------------------------------------------------------------------------
  /** The message a reactions.* call names (`channel` + `timestamp`; files are retired), and a valid emoji name. */
  const reactionTarget = (
    args: Record<string, unknown>,
  ): { channel: Channel; message: EmulatedMessage; name: string } => {
    const timestamp = str(args.timestamp) ?? '';
    if (!str(args.channel) || timestamp === '') throw new SlackError('no_item_specified');
    const channel = visibleChannel(args.channel);
    if (Number.isNaN(tsToNumber(timestamp))) throw new SlackError('bad_timestamp');
    const message = findMessage(channel, timestamp);
    if (!message) throw new SlackError('message_not_found');
    const name = str(args.name) ?? '';
    if (!REACTION_NAME.test(name)) throw new SlackError('invalid_name');
    return { channel, message, name };
  };
  /** False when this user already reacted with this emoji. */
  const addReaction = (message: EmulatedMessage, user: string, name: string): boolean => {
    const reactions = (message.reactions ??= []);
    const reaction = reactions.find((r) => r.name === name);
    if (reaction?.users.includes(user)) return false;
    if (reaction) {
      reaction.users.push(user);
      reaction.count += 1;
    } else reactions.push({ name, users: [user], count: 1 });
    return true;
  };
  /** False when this user had no such reaction. */
  const removeReaction = (message: EmulatedMessage, user: string, name: string): boolean => {
    const reaction = message.reactions?.find((r) => r.name === name);
    if (!reaction?.users.includes(user)) return false;
    reaction.users = reaction.users.filter((u) => u !== user);
    reaction.count -= 1;
    if (reaction.count === 0) message.reactions = message.reactions?.filter((r) => r !== reaction);
    if (message.reactions?.length === 0) delete message.reactions;
    return true;
  };
  const homeViews = new Map<string, HomeView>();
  /** Each person's App Home is their DM with the bot: a D… conversation, the `channel` of app_home_opened. */
  const appHomeChannels = new Map<string, string>();

  // --- Web API methods ----------------------------------------------------------------------------------------
  type Handler = (args: Record<string, unknown>) => Record<string, unknown>;

  const handlers: Record<string, Handler> = {
    ...slackFiles.handlers,
    'auth.test': () => ({
      url: `https://${teamDomain}.slack.com/`,
      team: teamName,
      user: botName,
      team_id: teamId,
      user_id: botUserId,
      bot_id: botId,
      is_enterprise_install: false,
    }),

    'conversations.create': (args) => {
      requireScope(channelScope(bool(args.is_private), 'write'));
      const name = freeChannelName(args.name);
      const channel = createChannel(name, botUserId, bool(args.is_private));
      return { channel: channelJson(channel) };
    },

    // docs.slack.dev/reference/methods/conversations.rename: the bot must be in the channel and allowed to rename
    // it (only a channel's creator or an admin may: the bot's own channels); archived channels are not renamed.
    'conversations.rename': (args) => {
      const channel = visibleChannel(args.channel);
      if (!channel.members.includes(botUserId)) throw new SlackError('not_in_channel');
      if (channel.archived) throw new SlackError('is_archived');
      if (channel.creator !== botUserId) throw new SlackError('not_authorized');
      const requested = str(args.name) ?? '';
      if (requested !== channel.name) {
        const name = freeChannelName(requested);
        channel.previousNames.push(channel.name);
        const old = channel.name;
        channel.name = name;
        addSystemMessage(channel, 'channel_name', botUserId, `renamed the channel from "${old}" to "${name}"`);
      }
      return { channel: channelJson(channel) };
    },

    'conversations.list': (args) => {
      const types = new Set((str(args.types) || 'public_channel').split(',').map((t) => t.trim()));
      if (types.has('public_channel')) requireScope(channelScope(false, 'read'));
      if (types.has('private_channel')) requireScope(channelScope(true, 'read'));
      const limit = Math.min(Math.max(intArg(args.limit, 100), 1), 1000);
      const start = args.cursor ? Number.parseInt(decodeCursor('offset', str(args.cursor) ?? ''), 10) : 0;
      if (Number.isNaN(start)) throw new SlackError('invalid_cursor');
      const all = [...channelsById.values()].filter((c) => {
        if (bool(args.exclude_archived) && c.archived) return false;
        if (c.isPrivate) return types.has('private_channel') && c.members.includes(botUserId);
        return types.has('public_channel');
      });
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? encodeCursor('offset', start + limit) : '';
      return { channels: page.map((c) => channelJson(c, true)), response_metadata: { next_cursor: next } };
    },

    'conversations.info': (args) => {
      const channel = visibleChannel(args.channel);
      requireScope(channelScope(channel.isPrivate, 'read'));
      return { channel: channelJson(channel, bool(args.include_num_members)) };
    },

    'conversations.invite': (args) => {
      const channel = visibleChannel(args.channel);
      requireScope(channelScope(channel.isPrivate, 'write'));
      if (channel.archived) throw new SlackError('is_archived');
      if (!channel.members.includes(botUserId)) throw new SlackError('not_in_channel');
      const ids = (str(args.users) ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      if (ids.length === 0) throw new SlackError('no_user');
      const errors: { user: string; ok: false; error: string }[] = [];
      const valid: string[] = [];
      for (const id of ids) {
        let error: string | undefined;
        if (id === botUserId) error = 'cant_invite_self';
        else if (!users.has(id)) error = 'user_not_found';
        else if (channel.members.includes(id)) error = 'already_in_channel';
        if (error) errors.push({ user: id, ok: false, error });
        else valid.push(id);
      }
      // Without `force`, one bad id fails the whole call and nobody is invited.
      const first = errors[0];
      if (first && !bool(args.force)) throw new SlackError(first.error, { errors });
      for (const id of valid) joinChannel(channel, id);
      return { channel: channelJson(channel), ...(errors.length ? { errors } : {}) };
    },

    'conversations.join': (args) => {
      requireScope('channels:join');
      const channel = visibleChannel(args.channel);
      if (channel.archived) throw new SlackError('is_archived');
      if (channel.isPrivate) throw new SlackError('method_not_supported_for_channel_type');
      if (channel.members.includes(botUserId)) {
        return {
          channel: channelJson(channel),
          warning: 'already_in_channel',
          response_metadata: { warnings: ['already_in_channel'] },
        };
      }
      joinChannel(channel, botUserId);
      return { channel: channelJson(channel) };
    },

    'conversations.archive': (args) => {
      const channel = visibleChannel(args.channel);
      requireScope(channelScope(channel.isPrivate, 'write'));
      if (channel.archived) throw new SlackError('already_archived');
      if (channel.isGeneral) throw new SlackError('cant_archive_general');
      if (!channel.members.includes(botUserId)) throw new SlackError('not_in_channel');
      channel.archived = true;
      addSystemMessage(channel, 'channel_archive', botUserId, 'archived the channel');
      return {};
    },

    'conversations.unarchive': (args) => {
      const channel = visibleChannel(args.channel);
      requireScope(channelScope(channel.isPrivate, 'write'));
      if (!channel.archived) throw new SlackError('not_archived');
      // Slack generally refuses to let a bot token unarchive a channel.
      if (!options.botCanUnarchive) throw new SlackError('not_authorized');
      channel.archived = false;
      addSystemMessage(channel, 'channel_unarchive', botUserId, 'un-archived the channel');
      return {};
    },

    'conversations.history': (args) => {
      const channel = visibleChannel(args.channel);
      requireScope(channelScope(channel.isPrivate, 'history'));
      if (!channel.members.includes(botUserId)) throw new SlackError('not_in_channel');
      const limit = Math.min(Math.max(intArg(args.limit, 100), 1), 999);
      const inclusive = bool(args.inclusive);
      const oldest = str(args.oldest) ? tsToNumber(str(args.oldest) ?? '0') : undefined;
      let latest = str(args.latest) ? tsToNumber(str(args.latest) ?? '0') : undefined;
      if (oldest !== undefined && Number.isNaN(oldest)) throw new SlackError('invalid_ts_oldest');
      if (latest !== undefined && Number.isNaN(latest)) throw new SlackError('invalid_ts_latest');
      let latestInclusive = inclusive;
      if (args.cursor) {
        // Our cursor is "the ts to continue below" (exclusive).
        latest = tsToNumber(decodeCursor('before', str(args.cursor) ?? ''));
        latestInclusive = false;
        if (Number.isNaN(latest)) throw new SlackError('invalid_cursor');
      }
      const matching = channel.messages
        // Thread replies are not in a channel's history (conversations.replies has them), unless broadcast.
        .filter(inHistory)
        .filter((m) => {
          const t = tsToNumber(m.ts);
          if (oldest !== undefined && (inclusive ? t < oldest : t <= oldest)) return false;
          if (latest !== undefined && (latestInclusive ? t > latest : t >= latest)) return false;
          return true;
        })
        .reverse(); // newest first
      const page = matching.slice(0, limit);
      const hasMore = matching.length > limit;
      const last = page[page.length - 1];
      // Metadata is only returned when asked for with include_all_metadata.
      const includeMetadata = bool(args.include_all_metadata);
      return {
        messages: page.map((m) => messageJson(m, includeMetadata)),
        has_more: hasMore,
        pin_count: 0,
        channel_actions_ts: null,
        channel_actions_count: 0,
        response_metadata: { next_cursor: hasMore && last ? encodeCursor('before', last.ts) : '' },
      };
    },

    // docs.slack.dev/reference/methods/conversations.replies: `ts` may be the parent's or any reply's; the parent
    // comes first, then the replies oldest first; an unknown ts (or a join/leave notice) is `thread_not_found`.
    // The page says bot tokens "lack sufficient permissions" in channels, yet granular bot tokens with
    // channels:history / groups:history read threads of channels they are in (and Slack names those scopes in
    // its missing_scope answers to bots): the emulator allows it, like history. For commercially distributed
    // non-Marketplace apps Slack limits it to 1 call a minute and 15 messages (2025): configure with `rateLimits`.
    'conversations.replies': (args) => {
      const channel = visibleChannel(args.channel);
      requireScope(channelScope(channel.isPrivate, 'history'));
      if (!channel.members.includes(botUserId)) throw new SlackError('not_in_channel');
      const ts = str(args.ts) ?? '';
      const target = findMessage(channel, ts);
      if (!target || target.subtype === 'channel_join' || target.subtype === 'channel_leave')
        throw new SlackError('thread_not_found');
      const parentTs = target.threadTs && target.threadTs !== target.ts ? target.threadTs : target.ts;
      const parent = findMessage(channel, parentTs);
      const limit = Math.min(Math.max(intArg(args.limit, 1000), 1), 1000);
      const oldest = str(args.oldest) ? tsToNumber(str(args.oldest) ?? '0') : undefined;
      const latest = str(args.latest) ? tsToNumber(str(args.latest) ?? '0') : undefined;
      if (oldest !== undefined && Number.isNaN(oldest)) throw new SlackError('invalid_ts_oldest');
      if (latest !== undefined && Number.isNaN(latest)) throw new SlackError('invalid_ts_latest');
      const inclusive = bool(args.inclusive);
      const inRange = (m: EmulatedMessage): boolean => {
        const t = tsToNumber(m.ts);
        if (oldest !== undefined && (inclusive ? t < oldest : t <= oldest)) return false;
        if (latest !== undefined && (inclusive ? t > latest : t >= latest)) return false;
        return true;
      };
      // Our cursor is "the ts to continue after" (exclusive); continuation pages carry replies only, as clients
      // that page through threads report: the parent heads the first page.
      const after = args.cursor ? tsToNumber(decodeCursor('after', str(args.cursor) ?? '')) : undefined;
      if (after !== undefined && Number.isNaN(after)) throw new SlackError('invalid_cursor');
      const all = [...(parent && after === undefined ? [parent] : []), ...threadReplies(channel, parentTs)]
        .filter((m) => after === undefined || tsToNumber(m.ts) > after)
        .filter(inRange);
      const page = all.slice(0, limit);
      const hasMore = all.length > limit;
      const last = page[page.length - 1];
      const includeMetadata = bool(args.include_all_metadata);
      return {
        messages: page.map((m) => messageJson(m, includeMetadata)),
        has_more: hasMore,
        response_metadata: { next_cursor: hasMore && last ? encodeCursor('after', last.ts) : '' },
      };
    },

    'chat.postMessage': (args) => {
      requireScope('chat:write');
      if (args.username !== undefined || args.icon_url !== undefined || args.icon_emoji !== undefined)
        requireScope('chat:write.customize');
      const channel = postableChannel(args.channel);
      const text = str(args.text);
      const blocks = parseBlocks(args.blocks);
      checkText(text, blocks, args);
      const metadata = parseMetadata(args.metadata);
      const username = str(args.username) || undefined;
      const iconUrl = str(args.icon_url) || undefined;
      const iconEmoji = str(args.icon_emoji) || undefined;
      const requestedThread = str(args.thread_ts) || undefined;
      // A malformed ts is refused (`invalid_thread_ts`); a well-formed one that names no message is accepted: Slack
      // answers ok and files the reply under a thread nobody sees (it is in no history; slackapi/python-slack-sdk#840).
      if (requestedThread && Number.isNaN(tsToNumber(requestedThread))) throw new SlackError('invalid_thread_ts');
      // A reply's ts threads under its parent (the docs say to use the parent's; Slack files it there anyway).
      const target = requestedThread ? findMessage(channel, requestedThread) : undefined;
      const threadTs = target?.threadTs ?? requestedThread;
      const broadcast = threadTs !== undefined && bool(args.reply_broadcast);
      const customized = username !== undefined || iconUrl !== undefined || iconEmoji !== undefined;
      const message: EmulatedMessage = {
        ts: nextTs(),
        channel: channel.id,
        text: text ?? '',
        botId,
        // A bot post with a custom name/icon is a `bot_message` without `user`: identify own posts by bot_id.
        ...(customized ? { subtype: 'bot_message', username, iconUrl, iconEmoji } : { user: botUserId }),
        // A reply also shown in the channel is a `thread_broadcast` (docs.slack.dev/reference/events/message/thread_broadcast).
        ...(broadcast ? { subtype: 'thread_broadcast' } : {}),
        ...(blocks ? { blocks } : {}),
        ...(metadata ? { metadata } : {}),
        ...(threadTs ? { threadTs } : {}),
      };
      channel.messages.push(message);
      recordVersion(message, botUserId, message.ts);
      if (options.deliverBotMessageEvents) deliverMessageEvent(channel, message);
      return { channel: channel.id, ts: message.ts, message: messageJson(message, true) };
    },

    'chat.postEphemeral': (args) => {
      requireScope('chat:write');
      const channel = postableChannel(args.channel);
      const userId = str(args.user) ?? '';
      if (!users.has(userId)) throw new SlackError('user_not_found');
      if (!channel.members.includes(userId)) throw new SlackError('user_not_in_channel');
      const text = str(args.text);
      const blocks = parseBlocks(args.blocks);
      checkText(text, blocks, args);
      const messageTs = nextTs();
      ephemeralList.push({
        channel: channel.id,
        user: userId,
        text: text ?? '',
        messageTs,
        ...(blocks ? { blocks } : {}),
      });
      return { message_ts: messageTs };
    },

    'chat.update': (args) => {
      requireScope('chat:write');
      const channel = visibleChannel(args.channel);
      const ts = str(args.ts) ?? '';
      const message = channel.messages.find((m) => m.ts === ts);
      if (!message) throw new SlackError('message_not_found');
      if (message.botId !== botId) throw new SlackError('cant_update_message');
      if (channel.archived) throw new SlackError('is_archived');
      const text = str(args.text);
      const blocks = parseBlocks(args.blocks);
      checkText(text, blocks, args);
      // docs.slack.dev/reference/methods/chat.update: metadata left out keeps the previous one; `{}` removes it.
      const rawMetadata = jsonArg(args.metadata);
      const clearMetadata =
        rawMetadata.ok && isRecord(rawMetadata.value) && Object.keys(rawMetadata.value).length === 0;
      const metadata = clearMetadata ? undefined : parseMetadata(args.metadata);
      const previous = messageJson(message, true);
      message.text = text ?? '';
      // Slack: text without blocks removes the previous blocks; blocks left out with no text keep them.
      if (blocks) message.blocks = blocks;
      else if (text !== undefined) delete message.blocks;
      if (metadata) message.metadata = metadata;
      else if (clearMetadata) delete message.metadata;
      const editTs = nextTs();
      message.edited = { user: botUserId, ts: editTs };
      recordVersion(message, botUserId, editTs);
      if (options.deliverBotMessageEvents) deliverChange(channel, message, previous, editTs);
      return { channel: channel.id, ts, text: message.text, message: messageJson(message, true) };
    },

    // docs.slack.dev/reference/methods/reactions.add: the bot's own reaction, once per name.
    'reactions.add': (args) => {
      requireScope('reactions:write');
      const { channel, message, name } = reactionTarget(args);
      if (channel.archived) throw new SlackError('is_archived');
      if (!addReaction(message, botUserId, name)) throw new SlackError('already_reacted');
      return {};
    },

    'reactions.remove': (args) => {
      requireScope('reactions:write');
      const { message, name } = reactionTarget(args);
      if (!removeReaction(message, botUserId, name)) throw new SlackError('no_reaction');
      return {};
    },

    // docs.slack.dev/reference/methods/views.publish: no scope; validation failures are `invalid_arguments` with
    // the reasons in response_metadata.messages (the page's example: "invalid `user_id`").
    'views.publish': (args) => {
      const invalid = (message: string): SlackError =>
        new SlackError('invalid_arguments', { response_metadata: { messages: [message] } });
      const userId = str(args.user_id) ?? '';
      if (!users.has(userId)) throw invalid('invalid `user_id`');
      const parsed = jsonArg(args.view);
      if (!parsed.ok || !isRecord(parsed.value)) throw invalid('[ERROR] must provide an object [json-pointer:/view]');
      const view = parsed.value;
      if (view.type !== 'home') throw invalid('[ERROR] must be a home view [json-pointer:/view/type]');
      if (!Array.isArray(view.blocks)) throw invalid('[ERROR] missing required field: blocks [json-pointer:/view]');
      if (view.blocks.length > MAX_VIEW_BLOCKS)
        throw invalid(`[ERROR] no more than ${MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]`);
      const badBlock = view.blocks.findIndex((b) => !isRecord(b) || typeof b.type !== 'string');
      if (badBlock !== -1)
        throw invalid(`[ERROR] missing required field: type [json-pointer:/view/blocks/${badBlock}]`);
      if (Buffer.byteLength(JSON.stringify(view)) > MAX_VIEW_BYTES) throw new SlackError('view_too_large');
      if (options.homeTab === false) throw new SlackError('not_enabled');
      const current = homeViews.get(userId);
      const hash = str(args.hash);
      if (hash && current && hash !== current.hash) throw new SlackError('hash_conflict');
      checkBlocks('views.publish', view.blocks, 'view.blocks');
      const id = current?.id ?? randomId('V', 10);
      const published: HomeView = {
        id,
        team_id: teamId,
        type: 'home',
        close: null,
        submit: null,
        // Slack gives every block a block_id when the app did not.
        blocks: (view.blocks as Record<string, unknown>[]).map((b) => ({
          ...b,
          block_id: typeof b.block_id === 'string' ? b.block_id : randomId('', 5).toLowerCase(),
        })),
        private_metadata: str(view.private_metadata) ?? '',
        callback_id: str(view.callback_id) ?? '',
        state: { values: {} },
        hash: `${Math.floor(Date.now() / 1000)}.${crypto.randomBytes(4).toString('hex')}`,
        clear_on_close: false,
        notify_on_close: false,
        root_view_id: id,
        previous_view_id: null,
        app_id: apiAppId,
        external_id: str(view.external_id) ?? '',
        app_installed_team_id: teamId,
        bot_id: botId,
      };
      homeViews.set(userId, published);
      return { view: published };
    },

    'users.info': (args) => {
      requireScope('users:read');
      const user = users.get(str(args.user) ?? '');
      if (!user) throw new SlackError('user_not_found');
      const json = userJson(user);
      // Without users:read.email, Slack leaves the email out of the profile.
      if (!hasScope('users:read.email') && isRecord(json.profile)) delete json.profile.email;
      return { user: json };
    },

    'usergroups.users.list': (args) => {
      requireScope('usergroups:read');
      const group = userGroups.get(str(args.usergroup) ?? '');
      if (!group) throw new SlackError('no_such_subteam');
      return { users: [...group.users] };
    },
  };

  // --- rate limiting: a sliding window per method (per channel for chat.postMessage) --------------------------
  /** Seconds to wait (≥ 1) if this call exceeds its limit, else undefined (and the call is counted). */
  const rateLimited = (method: string, args: Record<string, unknown>): number | undefined => {
    const limit = limits.get(method);
    if (!limit) return undefined;
    const channelRef = str(args.channel) ?? '';
    const key = PER_CHANNEL_LIMITS.has(method) ? `${method}:${findChannel(channelRef)?.id ?? channelRef}` : method;
    const now = Date.now();
    const hits = (windows.get(key) ?? []).filter((t) => t > now - limit.windowMs);
    windows.set(key, hits);
    if (hits.length >= limit.max) {
      const oldest = hits[0] ?? now;
      return Math.max(1, Math.ceil((oldest + limit.windowMs - now) / 1000));
    }
    hits.push(now);
    return undefined;
  };

  const takeFault = (method: string): FaultAnswer | undefined => {
    for (const key of [method, '*']) {
      const queue = faults.get(key);
      const fault = queue?.[0];
      if (!queue || !fault) continue;
      fault.remaining -= 1;
      if (fault.remaining <= 0) queue.shift();
      return fault.answer;
    }
    return undefined;
  };

  // --- HTTP server -------------------------------------------------------------------------------------------
  const handleWebApi = async (
    method: string,
    req: http.IncomingMessage,
    raw: string,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): Promise<void> => {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    let args: Record<string, unknown> = Object.fromEntries(query.entries());
    if (contentType === 'application/json') {
      let parsed: unknown;
      try {
        parsed = raw ? JSON.parse(raw) : {};
      } catch {
        parsed = undefined;
      }
      if (!isRecord(parsed)) {
        const call: RecordedCall = { method, args, at: Date.now(), status: 200, error: 'invalid_json' };
        calls.push(call);
        return reply(200, { ok: false, error: 'invalid_json' });
      }
      args = { ...args, ...parsed };
    } else if (raw) {
      args = { ...args, ...Object.fromEntries(new URLSearchParams(raw).entries()) };
    }

    const call: RecordedCall = { method, args, at: Date.now(), status: 0 };
    calls.push(call);
    const answer = (status: number, body: Record<string, unknown>, headers?: Record<string, string>): void => {
      call.status = status;
      if (body.ok === false && typeof body.error === 'string') call.error = body.error;
      reply(status, body, headers);
    };

    specViolations.push(...checkWebApiCall(method, args, contentType || undefined));
    if (MESSAGE_METHODS.has(method)) checkRendered(method, args);

    const fault = takeFault(method);
    if (
      fault?.afterEffect &&
      tokens.get(/^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '') === 'active'
    ) {
      try {
        handlers[method]?.(args);
      } catch (err) {
        if (!(err instanceof SlackError)) throw err;
      }
    }
    if (fault) {
      if (fault.delayMs) await sleep(fault.delayMs);
      const status = fault.status ?? (fault.retryAfter !== undefined ? 429 : 200);
      if (status === 429) {
        return answer(
          429,
          { ok: false, error: fault.error ?? 'ratelimited' },
          {
            'retry-after': String(fault.retryAfter ?? 1),
          },
        );
      }
      if (status !== 200) {
        call.status = status;
        call.error = fault.error ?? `http_${status}`;
        return reply(status, `<html><body>${status} Slack is having trouble</body></html>`, {
          'content-type': 'text/html',
        });
      }
      return answer(200, { ok: false, error: fault.error ?? 'internal_error' });
    }

    // OAuth's token exchange authenticates the app (client id and secret), not a token.
    if (method === 'oauth.v2.access' && oauth) return answer(200, oauth.access(args, req.headers.authorization));

    // Auth: header first; Slack also accepts `token` in a form body.
    const authHeader = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(authHeader)?.[1]?.trim() ?? str(args.token);
    if (!token) return answer(200, { ok: false, error: 'not_authed' });
    call.token = token;
    const issuedState = oauth?.tokenState(token);
    if (issuedState === 'expired') return answer(200, { ok: false, error: 'token_expired' });
    const tokenState = issuedState ?? tokens.get(token);
    if (tokenState === undefined) return answer(200, { ok: false, error: 'invalid_auth' });
    if (tokenState === 'revoked') return answer(200, { ok: false, error: 'token_revoked' });
    // Slack names the calling token's scopes in every answer.
    const tokenScopes = oauth?.scopesOf(token) ?? options.scopes;
    const scopeHeader: Record<string, string> = tokenScopes ? { 'x-oauth-scopes': tokenScopes.join(',') } : {};

    const handler = handlers[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method', req_method: method });

    const retryAfter = rateLimited(method, args);
    if (retryAfter !== undefined) {
      return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
    }

    try {
      const result = handler(args);
      return answer(200, { ok: true, ...result }, scopeHeader);
    } catch (err) {
      if (err instanceof SlackError) return answer(200, { ok: false, error: err.code, ...err.extra });
      throw err;
    }
  };

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (res.headersSent) return;
      const isText = typeof body === 'string';
      res.writeHead(status, {
        'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
        ...headers,
      });
      res.end(isText ? body : JSON.stringify(body));
    };
    readBytes(req)
      .then(async (bytes) => {
        // Uploads and url_private downloads carry bytes, not a Web API call.
        if (slackFiles.handle(req, res, bytes)) return;
        const raw = bytes.toString('utf8');
        const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
        const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(pathname);
        if (api?.[1]) return handleWebApi(api[1], req, raw, reply);
        if (pathname === '/oauth/v2/authorize' && oauth) return oauth.handleAuthorize(req, res);
        const response = /^\/response\/([A-Za-z0-9]+)$/.exec(pathname);
        if (response && req.method === 'POST') return handleResponseUrl(`${baseUrl}${pathname}`, raw, reply);
        return reply(404, { ok: false, error: 'not_found' });
      })
      .catch((err: unknown) => reply(500, { ok: false, error: 'internal_error', detail: String(err) }));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const oauth: SlackOAuth | undefined = options.oauth
    ? createSlackOAuth(options.oauth, {
        baseUrl: () => baseUrl,
        teamId,
        teamName,
        apiAppId,
        botUserId,
        channelIdByName: (name) => [...channelsById.values()].find((c) => c.name === name)?.id,
        defaultInstaller: () => owner.id,
      })
    : undefined;

  // --- response_url: Parley's delayed answers to commands and actions ---------------------------------------
  const issuedResponseUrls = new Map<string, string>(); // url → channel id
  const newResponseUrl = (channelId: string): string => {
    const url = `${baseUrl}/response/${crypto.randomBytes(8).toString('hex')}`;
    issuedResponseUrls.set(url, channelId);
    return url;
  };
  const handleResponseUrl = (url: string, raw: string, reply: (status: number, body: unknown) => void): void => {
    const channelId = issuedResponseUrls.get(url);
    if (channelId === undefined) return reply(404, 'no_such_url');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply(400, 'invalid_payload');
    }
    delayed.push({ responseUrl: url, body, at: Date.now() });
    if (isRecord(body)) checkRendered('response_url', { text: body.text, blocks: body.blocks });
    // `response_type: in_channel` makes the answer a visible message in the channel.
    const channel = channelsById.get(channelId);
    if (channel && isRecord(body) && body.response_type === 'in_channel') {
      channel.messages.push({
        ts: nextTs(),
        channel: channel.id,
        text: str(body.text) ?? '',
        botId,
        user: botUserId,
        ...(Array.isArray(body.blocks) ? { blocks: body.blocks as unknown[] } : {}),
      });
    }
    reply(200, { ok: true });
  };

  // --- Slack → Parley ------------------------------------------------------------------------------------------
  const sign = (rawBody: string, timestamp: number, secret = signingSecret): string =>
    `v0=${crypto.createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;

  const sendSigned = async (
    path: string,
    rawBody: string,
    contentType: string,
    opts: SendOptions = {},
    extraHeaders: Record<string, string> = {},
  ): Promise<InboundResult> => {
    if (!parleyUrl) throw new Error('Slack emulator: call setParleyUrl(baseUrl) before sending requests to Parley');
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    let signature = sign(rawBody, timestamp, opts.signingSecret ?? signingSecret);
    if (opts.badSignature) signature = sign(`${rawBody}tampered`, timestamp, opts.signingSecret ?? signingSecret);
    const headers: Record<string, string> = {
      'content-type': contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      accept: 'application/json,*/*',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
      ...extraHeaders,
    };
    const started = performance.now();
    const res = await post(`${parleyUrl}${path}`, headers, rawBody);
    const elapsedMs = performance.now() - started;
    sent.push({ path, headers, rawBody, status: res.status, elapsedMs });
    let body: unknown = res.text;
    if ((res.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(res.text);
      } catch {
        body = res.text;
      }
    }
    return { status: res.status, headers: res.headers, body, elapsedMs };
  };

  const triggerId = (): string =>
    `${Date.now()}${crypto.randomInt(1000, 9999)}.${teamId.replace(/\D/g, '') || '1'}.${crypto.randomBytes(16).toString('hex')}`;

  const sendEvent: SlackEmulator['sendEvent'] = async (event, opts = {}) => {
    const eventId = opts.eventId ?? randomId('Ev', 10);
    const eventTime = Math.floor(Date.now() / 1000);
    const team = opts.teamId ?? teamId;
    const payload = {
      token: verificationToken,
      team_id: team,
      context_team_id: team,
      context_enterprise_id: null,
      api_app_id: apiAppId,
      event: { event_ts: `${eventTime}.000000`, ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: eventTime,
      authorizations: [
        { enterprise_id: null, team_id: team, user_id: botUserId, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${Buffer.from(eventId).toString('base64')}`,
    };
    // Slack's retries carry the attempt number (1..3) and why it retried (http_timeout, http_error, …).
    const extra: Record<string, string> = {};
    if (opts.retryNum !== undefined) {
      extra['x-slack-retry-num'] = String(opts.retryNum);
      extra['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
    }
    const result = await sendSigned('/slack/events', JSON.stringify(payload), 'application/json', opts, extra);
    return { ...result, eventId };
  };

  /** Slack delivers events only for channels the app is in. */
  const deliverable = (channel: Channel): boolean => parleyUrl !== undefined && channel.members.includes(botUserId);

  const pendingDeliveries = new Set<Promise<unknown>>();
  /** `message.channels` or `message.groups`, each with its history scope. */
  const messagesSubscribed = (channel: Channel): boolean =>
    subscribedTo(channel.isPrivate ? 'message.groups' : 'message.channels', channelScope(channel.isPrivate, 'history'));

  function deliverMessageEvent(channel: Channel, message: EmulatedMessage): void {
    if (!deliverable(channel) || !messagesSubscribed(channel)) return;
    const p = sendEvent({
      type: 'message',
      channel: channel.id,
      ...messageJson(message, true),
      event_ts: message.ts,
      channel_type: channel.isPrivate ? 'group' : 'channel',
    }).catch(() => undefined);
    pendingDeliveries.add(p);
    void p.finally(() => pendingDeliveries.delete(p));
  }

  /** A message's change as Slack announces it: a hidden `message_changed` with the new and the previous message. */
  function changeEvent(
    channel: Channel,
    message: EmulatedMessage,
    previous: Record<string, unknown>,
    ts: string,
  ): Record<string, unknown> {
    return {
      type: 'message',
      subtype: 'message_changed',
      hidden: true,
      channel: channel.id,
      ts,
      message: messageJson(message, true),
      previous_message: previous,
      event_ts: ts,
      channel_type: channel.isPrivate ? 'group' : 'channel',
    };
  }

  /** `message_changed` for the bot's own chat.update, delivered in the background like its posts. */
  function deliverChange(
    channel: Channel,
    message: EmulatedMessage,
    previous: Record<string, unknown>,
    ts: string,
  ): void {
    if (!deliverable(channel) || !messagesSubscribed(channel)) return;
    const p = sendEvent(changeEvent(channel, message, previous, ts)).catch(() => undefined);
    pendingDeliveries.add(p);
    void p.finally(() => pendingDeliveries.delete(p));
  }

  /** The channel message the person clicked in: the newest one holding an element with this action_id. */
  const findActionElement = (
    message: EmulatedMessage | undefined,
    actionId: string,
  ): { blockId?: string; element: Record<string, unknown> } | undefined => {
    for (const block of message?.blocks ?? []) {
      if (!isRecord(block)) continue;
      const candidates = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory];
      for (const element of candidates) {
        if (isRecord(element) && element.action_id === actionId)
          return { element, ...(typeof block.block_id === 'string' ? { blockId: block.block_id } : {}) };
      }
    }
    return undefined;
  };

  const requireMessage = (channel: Channel, ts: string): EmulatedMessage => {
    const message = findMessage(channel, ts);
    if (!message) throw new Error(`Slack emulator: no message ${ts} in ${channel.id}`);
    return message;
  };

  const requireChannel = (channelId: string): Channel => {
    const channel = channelsById.get(channelId);
    if (!channel) throw new Error(`Slack emulator: no channel ${channelId}`);
    return channel;
  };
  const requireUser = (userId: string): EmulatedUser => {
    const user = users.get(userId);
    if (!user) throw new Error(`Slack emulator: no user ${userId} (addUser first)`);
    return user;
  };

  const emulator: SlackEmulator = {
    apiUrl: `${baseUrl}/api/`,
    url: baseUrl,
    teamId,
    teamDomain,
    apiAppId,
    botUserId,
    botId,
    botToken,
    signingSecret,
    verificationToken,
    specViolations,
    markupViolations,
    spec,
    calls,
    sent,

    addUser(input) {
      const id = input.id ?? randomId('U', 10);
      if (users.has(id)) throw new Error(`Slack emulator: user ${id} exists`);
      const user = addUserRecord({
        id,
        name: input.name,
        realName: input.realName,
        email: input.email,
        image: input.image ?? `https://secure.gravatar.com/avatar/${id}.png`,
        isBot: false,
      });
      // Everyone in a workspace is in #general.
      joinChannel(general, id);
      return user;
    },
    user: (id) => users.get(id),
    addUserGroup(input) {
      const id = input.id ?? randomId('S', 10);
      if (userGroups.has(id)) throw new Error(`Slack emulator: user group ${id} exists`);
      for (const user of input.users) requireUser(user);
      userGroups.set(id, { id, handle: input.handle, users: [...input.users] });
      return id;
    },
    setUserGroupMembers(groupId, members) {
      const group = userGroups.get(groupId);
      if (!group) throw new Error(`Slack emulator: no user group ${groupId}`);
      for (const user of members) requireUser(user);
      group.users = [...members];
    },
    revokeToken(token = botToken) {
      tokens.set(token, 'revoked');
    },
    addToken(token) {
      tokens.set(token, 'active');
    },
    failNext(method, answer, times = 1) {
      const queue = faults.get(method) ?? [];
      queue.push({ answer, remaining: times });
      faults.set(method, queue);
    },
    setRateLimit(method, limit) {
      if (limit) limits.set(method, limit);
      else limits.delete(method);
      for (const key of windows.keys()) if (key === method || key.startsWith(`${method}:`)) windows.delete(key);
    },

    channels: () => [...channelsById.values()].map(publicChannel),
    channel(id) {
      const c = channelsById.get(id);
      return c ? publicChannel(c) : undefined;
    },
    channelByName(name) {
      const c = [...channelsById.values()].find((ch) => ch.name === name.replace(/^#/, ''));
      return c ? publicChannel(c) : undefined;
    },
    files: () => slackFiles.list(),
    addUserFile: (user, name, bytes, mimetype) => slackFiles.addUserFile(user, name, bytes, mimetype),
    messages(channelId, opts = {}) {
      const channel = channelsById.get(channelId);
      if (!channel) return [];
      return channel.messages
        .filter(
          (m) => opts.includeSystem || !m.subtype || m.subtype === 'bot_message' || m.subtype === 'thread_broadcast',
        )
        .filter((m) => opts.includeThreadReplies || inHistory(m))
        .map(copyMessage);
    },
    message(channelId, ts) {
      const channel = channelsById.get(channelId);
      const message = channel ? findMessage(channel, ts) : undefined;
      return message ? copyMessage(message) : undefined;
    },
    messageVersions: (channelId, ts) => (versions.get(`${channelId} ${ts}`) ?? []).map((v) => ({ ...v })),
    homeView(userId) {
      const view = homeViews.get(userId);
      return view ? { ...view } : undefined;
    },
    ephemerals: () => ephemeralList.map((e) => ({ ...e })),
    responses: (responseUrl) => delayed.filter((d) => responseUrl === undefined || d.responseUrl === responseUrl),
    callCount: (method) => calls.filter((c) => c.method === method).length,

    async userPostsInChannel(channelId, userId, text, opts = {}) {
      const channel = requireChannel(channelId);
      requireUser(userId);
      if (!channel.members.includes(userId)) joinChannel(channel, userId);
      // People reply in a thread from its parent: a reply's ts would mean the same thread.
      const threadTs = opts.threadTs ? (findMessage(channel, opts.threadTs)?.threadTs ?? opts.threadTs) : undefined;
      const message: EmulatedMessage = {
        ts: nextTs(),
        channel: channel.id,
        text,
        user: userId,
        // Slack clients send rich_text blocks along with the text.
        blocks: [
          {
            type: 'rich_text',
            block_id: randomId('', 5).toLowerCase(),
            elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }],
          },
        ],
        clientMsgId: crypto.randomUUID(),
        ...(threadTs ? { threadTs } : {}),
        // "Also send to #channel": the reply is a thread_broadcast, in the channel's history too.
        ...(threadTs && opts.broadcast ? { subtype: 'thread_broadcast' } : {}),
        // A message with files is a file_share (docs.slack.dev/reference/events/message/file_share).
        ...(opts.fileIds?.length
          ? { fileIds: [...opts.fileIds], ...(opts.broadcast ? {} : { subtype: 'file_share' }) }
          : {}),
      };
      for (const id of opts.fileIds ?? []) {
        const file = slackFiles.get(id);
        if (!file) throw new Error(`Slack emulator: no file ${id} (addUserFile first)`);
        file.channel = channel.id;
        if (threadTs) file.threadTs = threadTs;
      }
      channel.messages.push(message);
      recordVersion(message, userId, message.ts);
      if (!deliverable(channel) || !messagesSubscribed(channel)) return { ts: message.ts };
      // A reply's event carries thread_ts and parent_user_id (a broadcast also its `root`), like history.
      const delivery = await sendEvent({
        type: 'message',
        channel: channel.id,
        ...messageJson(message, true),
        event_ts: message.ts,
        channel_type: channel.isPrivate ? 'group' : 'channel',
      });
      return { ts: message.ts, delivery };
    },

    async userEditsMessage(channelId, ts, newText) {
      const channel = requireChannel(channelId);
      const message = requireMessage(channel, ts);
      const author = message.user;
      if (!author || message.botId || !users.has(author))
        throw new Error(`Slack emulator: ${ts} is not a person's message: only its author edits it`);
      const previous = messageJson(message, true);
      const editTs = nextTs();
      message.text = newText;
      message.blocks = [
        {
          type: 'rich_text',
          block_id: randomId('', 5).toLowerCase(),
          elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: newText }] }],
        },
      ];
      message.edited = { user: author, ts: editTs };
      recordVersion(message, author, editTs);
      if (!deliverable(channel) || !messagesSubscribed(channel)) return undefined;
      return sendEvent(changeEvent(channel, message, previous, editTs));
    },

    async userDeletesMessage(channelId, ts) {
      const channel = requireChannel(channelId);
      const message = requireMessage(channel, ts);
      const previous = messageJson(message, true);
      const eventTs = nextTs();
      const isParent = (!message.threadTs || message.threadTs === message.ts) && threadReplies(channel, ts).length > 0;
      let event: Record<string, unknown>;
      if (isParent) {
        // A parent with replies stays, as a tombstone: the thread lives on (Slack's "This message was deleted.").
        const tombstone: EmulatedMessage = {
          ts: message.ts,
          channel: channel.id,
          text: 'This message was deleted.',
          user: 'USLACKBOT',
          subtype: 'tombstone',
        };
        channel.messages.splice(channel.messages.indexOf(message), 1, tombstone);
        event = changeEvent(channel, tombstone, previous, eventTs);
      } else {
        channel.messages.splice(channel.messages.indexOf(message), 1);
        // docs.slack.dev/reference/events/message/message_deleted; a reply's previous_message keeps its thread_ts.
        event = {
          type: 'message',
          subtype: 'message_deleted',
          hidden: true,
          channel: channel.id,
          ts: eventTs,
          deleted_ts: ts,
          previous_message: previous,
          event_ts: eventTs,
          channel_type: channel.isPrivate ? 'group' : 'channel',
        };
      }
      if (!deliverable(channel) || !messagesSubscribed(channel)) return undefined;
      return sendEvent(event);
    },

    async userReacts(channelId, ts, userId, name) {
      const channel = requireChannel(channelId);
      requireUser(userId);
      const message = requireMessage(channel, ts);
      if (!REACTION_NAME.test(name)) throw new Error(`Slack emulator: ${name} is not an emoji name (no colons)`);
      if (!addReaction(message, userId, name)) throw new Error(`Slack emulator: ${userId} already reacted :${name}:`);
      return deliverReaction('reaction_added', channel, message, userId, name);
    },

    async userRemovesReaction(channelId, ts, userId, name) {
      const channel = requireChannel(channelId);
      requireUser(userId);
      const message = requireMessage(channel, ts);
      if (!removeReaction(message, userId, name)) throw new Error(`Slack emulator: ${userId} has no :${name}: there`);
      return deliverReaction('reaction_removed', channel, message, userId, name);
    },

    async openAppHome(userId, opts = {}) {
      requireUser(userId);
      let channel = appHomeChannels.get(userId);
      if (!channel) {
        channel = randomId('D', 10);
        appHomeChannels.set(userId, channel);
      }
      if (!parleyUrl || (subscribed && !subscribed.has('app_home_opened'))) return undefined;
      const tab = opts.tab ?? 'home';
      const view = tab === 'home' ? homeViews.get(userId) : undefined;
      // docs.slack.dev/reference/events/app_home_opened: `view` only on the Home tab, once one was published.
      return sendEvent({
        type: 'app_home_opened',
        user: userId,
        channel,
        tab,
        ...(view ? { view } : {}),
        event_ts: nextTs(),
      });
    },

    async archiveChannelAsUser(channelId, userId) {
      const channel = requireChannel(channelId);
      requireUser(userId);
      channel.archived = true;
      // A private channel's archive is `group_archive` (scope groups:read), a public one's `channel_archive`.
      const type = channel.isPrivate ? 'group_archive' : 'channel_archive';
      const notice = addSystemMessage(channel, type, userId, `<@${userId}> archived the channel`);
      if (!deliverable(channel) || !subscribedTo(type, channelScope(channel.isPrivate, 'read'))) return undefined;
      return sendEvent({ type, channel: channel.id, user: userId, event_ts: notice.ts });
    },

    async unarchiveChannelAsUser(channelId, userId) {
      const channel = requireChannel(channelId);
      requireUser(userId);
      channel.archived = false;
      const type = channel.isPrivate ? 'group_unarchive' : 'channel_unarchive';
      const notice = addSystemMessage(channel, type, userId, `<@${userId}> un-archived the channel`);
      if (!deliverable(channel) || !subscribedTo(type, channelScope(channel.isPrivate, 'read'))) return undefined;
      return sendEvent({ type, channel: channel.id, user: userId, event_ts: notice.ts });
    },

    setParleyUrl(url) {
      parleyUrl = url.replace(/\/+$/, '');
    },

    async sendSlashCommand(cmd, opts = {}) {
      const channel = channelsById.get(cmd.channelId);
      const user = users.get(cmd.userId);
      const responseUrl = newResponseUrl(cmd.channelId);
      const trigger = triggerId();
      // Field order and names as Slack sends them (application/x-www-form-urlencoded).
      const form = new URLSearchParams({
        token: verificationToken,
        team_id: cmd.teamId ?? teamId,
        team_domain: teamDomain,
        channel_id: cmd.channelId,
        channel_name: channel?.name ?? 'privategroup',
        user_id: cmd.userId,
        user_name: user?.name ?? cmd.userId.toLowerCase(),
        command: cmd.command ?? '/sk',
        text: cmd.text,
        api_app_id: cmd.apiAppId ?? apiAppId,
        is_enterprise_install: 'false',
        response_url: responseUrl,
        trigger_id: trigger,
      });
      const result = await sendSigned('/slack/commands', form.toString(), 'application/x-www-form-urlencoded', opts);
      // The answer is shown in the channel (or to the agent) as mrkdwn, like a message.
      if (isRecord(result.body))
        checkRendered(`${cmd.command ?? '/sk'} answer`, { text: result.body.text, blocks: result.body.blocks });
      return { ...result, responseUrl, triggerId: trigger };
    },

    sendEvent,

    async sendUrlVerification(opts = {}) {
      const challenge = crypto.randomBytes(24).toString('base64url');
      const body = JSON.stringify({ token: verificationToken, challenge, type: 'url_verification' });
      const result = await sendSigned('/slack/events', body, 'application/json', opts);
      return { ...result, challenge };
    },

    async sendBlockAction(action, opts = {}) {
      const team = action.teamId ?? teamId;
      const channel = channelsById.get(action.channelId);
      const user = users.get(action.userId);
      const responseUrl = newResponseUrl(action.channelId);
      const actionTs = nextTs();
      // The message clicked: the one named, else the newest holding a button with this action_id (what a person
      // can click), else the bot's newest post, else the newest message.
      const all = channel?.messages ?? [];
      const clicked = action.messageTs
        ? all.find((m) => m.ts === action.messageTs)
        : ([...all].reverse().find((m) => findActionElement(m, action.actionId)) ??
          [...all].reverse().find((m) => m.botId === botId) ??
          all[all.length - 1]);
      const messageTs = action.messageTs ?? clicked?.ts ?? actionTs;
      const found = findActionElement(clicked, action.actionId);
      const threadTs = clicked?.threadTs && clicked.threadTs !== clicked.ts ? clicked.threadTs : undefined;
      const payload = {
        type: 'block_actions',
        user: { id: action.userId, username: user?.name ?? action.userId, name: user?.name ?? '', team_id: team },
        api_app_id: apiAppId,
        token: verificationToken,
        // docs.slack.dev/reference/interaction-payloads/block_actions-payload: the container names the message
        // (and its thread), `message` is the whole message as it was when clicked.
        container: {
          type: 'message',
          message_ts: messageTs,
          channel_id: action.channelId,
          is_ephemeral: false,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        },
        trigger_id: triggerId(),
        team: { id: team, domain: teamDomain },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: action.channelId, name: channel?.name ?? 'privategroup' },
        ...(clicked ? { message: messageJson(clicked, false) } : {}),
        state: { values: {} },
        response_url: responseUrl,
        actions: [
          {
            action_id: action.actionId,
            block_id: action.blockId ?? found?.blockId ?? randomId('', 5).toLowerCase(),
            ...(isRecord(found?.element.text) ? { text: found.element.text } : {}),
            value: action.value,
            ...(typeof found?.element.style === 'string' ? { style: found.element.style } : {}),
            type: typeof found?.element.type === 'string' ? found.element.type : 'button',
            action_ts: actionTs,
          },
        ],
      };
      // Interactivity payloads arrive as a form with one `payload` field holding JSON.
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const result = await sendSigned('/slack/interactions', body, 'application/x-www-form-urlencoded', opts);
      if (isRecord(result.body))
        checkRendered('interaction answer', { text: result.body.text, blocks: result.body.blocks });
      return { ...result, responseUrl };
    },

    async sendMessageShortcut(shortcut, opts = {}) {
      const channel = requireChannel(shortcut.channelId);
      const message = requireMessage(channel, shortcut.messageTs);
      const user = requireUser(shortcut.userId);
      const team = shortcut.teamId ?? teamId;
      const responseUrl = newResponseUrl(channel.id);
      const trigger = triggerId();
      // docs.slack.dev/reference/interaction-payloads/shortcuts-interaction-payload: a message shortcut carries the
      // whole message (files, thread_ts…), its channel, and a response_url (global shortcuts have neither).
      const payload = {
        type: 'message_action',
        token: verificationToken,
        action_ts: nextTs(),
        team: { id: team, domain: teamDomain },
        user: { id: user.id, username: user.name, name: user.name, team_id: team },
        channel: { id: channel.id, name: channel.name },
        is_enterprise_install: false,
        enterprise: null,
        callback_id: shortcut.callbackId,
        trigger_id: trigger,
        response_url: responseUrl,
        message_ts: message.ts,
        message: messageJson(message, false),
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const result = await sendSigned('/slack/interactions', body, 'application/x-www-form-urlencoded', opts);
      if (isRecord(result.body))
        checkRendered('interaction answer', { text: result.body.text, blocks: result.body.blocks });
      return { ...result, responseUrl, triggerId: trigger };
    },

    sign,
    ...(oauth ? { oauth } : {}),
    async uninstall() {
      // Slack sends both when an app is uninstalled: the bot's tokens are revoked, then the app is gone.
      oauth?.revokeAll();
      for (const [t, state] of tokens) if (state === 'active') tokens.set(t, 'revoked');
      const revoked = await sendEvent({ type: 'tokens_revoked', tokens: { oauth: [], bot: [botUserId] } });
      const uninstalled = await sendEvent({ type: 'app_uninstalled' });
      return [revoked, uninstalled];
    },

    async close() {
      // Let background event deliveries finish, but never hang on a Parley that does not answer.
      await Promise.race([Promise.allSettled([...pendingDeliveries]), sleep(1000)]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function copyMessage(m: EmulatedMessage): EmulatedMessage {
    const copy: EmulatedMessage = { ...m };
    if (m.reactions) copy.reactions = m.reactions.map((r) => ({ ...r, users: [...r.users] }));
    return copy;
  }

  /** reaction_added / reaction_removed (scope reactions:read), from channels the bot is in. */
  async function deliverReaction(
    type: 'reaction_added' | 'reaction_removed',
    channel: Channel,
    message: EmulatedMessage,
    userId: string,
    name: string,
  ): Promise<EventResult | undefined> {
    if (!deliverable(channel) || !subscribedTo(type, 'reactions:read')) return undefined;
    // item_user is the message's author; messages no user wrote (a bot post under a custom name) have none.
    const itemUser = message.user;
    return sendEvent({
      type,
      user: userId,
      reaction: name,
      ...(itemUser ? { item_user: itemUser } : {}),
      item: { type: 'message', channel: channel.id, ts: message.ts },
      event_ts: nextTs(),
    });
  }

  function publicChannel(c: Channel): EmulatedChannel {
    return {
      id: c.id,
      name: c.name,
      isPrivate: c.isPrivate,
      archived: c.archived,
      members: [...c.members],
      creator: c.creator,
      created: c.created,
      isGeneral: c.isGeneral,
    };
  }

  return emulator;
}
