/**
 * The workflows' contract with the API and the worker: workflow types, search attributes, signals, queries, and the
 * workflows' input and state. Workflow-safe: imports only Temporal's workflow and common packages and the domain
 * module (common/conversation.ts), which holds the message, profile and outbox types.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AgentReply,
  Assignment,
  Attachment,
  Control,
  ConversationMessage,
  ConversationSummary,
  InboxCursor,
  IntegrationTarget,
  JsonValue,
  OutboxState,
  Postback,
  RoutingFacts,
  UserProfile,
} from '../common/conversation';
import type { BacklogLimits, BacklogState } from '../common/backlog';
import type { ErasureReport } from '../common/erasure';
import type { SlackInstallationRecord, SlackInstallationState } from '../common/slack-installation';

export const CONVERSATION_WORKFLOW_TYPE = 'conversation';
export const INBOX_WORKFLOW_TYPE = 'inbox';

// ── Search attributes (registered by the dev-server start, by compose, and checked at start) ──────────
export const ParleyApp = defineSearchAttributeKey('ParleyApp', SearchAttributeType.KEYWORD);
export const ParleyUser = defineSearchAttributeKey('ParleyUser', SearchAttributeType.KEYWORD);
export const ParleyStatus = defineSearchAttributeKey('ParleyStatus', SearchAttributeType.KEYWORD);
export const SlackChannel = defineSearchAttributeKey('SlackChannel', SearchAttributeType.KEYWORD);
/** Threads mode: the conversation's thread as `<channel id>:<parent ts>` (how a thread reply finds it). */
export const SlackThread = defineSearchAttributeKey('SlackThread', SearchAttributeType.KEYWORD);
export const ZendeskTicket = defineSearchAttributeKey('ZendeskTicket', SearchAttributeType.KEYWORD);
export const HelpScoutConversation = defineSearchAttributeKey('HelpScoutConversation', SearchAttributeType.KEYWORD);
/** The conversation's mail thread id (in its reply tokens and Message-IDs): how the inbox finds it. */
export const EmailThread = defineSearchAttributeKey('EmailThread', SearchAttributeType.KEYWORD);
export const ParleyIntegrations = defineSearchAttributeKey('ParleyIntegrations', SearchAttributeType.KEYWORD_LIST);
/** Who handles the conversation (a Slack user id or an agent's name), set by claim/assign; absent when unassigned. */
export const ParleyAssignee = defineSearchAttributeKey('ParleyAssignee', SearchAttributeType.KEYWORD);
/** `bot` or `team`: who is in control of the conversation (human takeover). */
export const ParleyControl = defineSearchAttributeKey('ParleyControl', SearchAttributeType.KEYWORD);

/** Name → Temporal type, as `temporal operator search-attribute create` and the dev server's flag want them. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'KeywordList'> = {
  ParleyApp: 'Keyword',
  ParleyUser: 'Keyword',
  ParleyStatus: 'Keyword',
  SlackChannel: 'Keyword',
  SlackThread: 'Keyword',
  ZendeskTicket: 'Keyword',
  HelpScoutConversation: 'Keyword',
  EmailThread: 'Keyword',
  ParleyAssignee: 'Keyword',
  ParleyControl: 'Keyword',
  ParleyIntegrations: 'KeywordList',
};

// ── Signal payloads (the domain types they carry are in common/conversation.ts) ───────────────────────
export interface UserMessageSignal {
  /** The client's idempotency key, else one the API made; a repeated id is ignored. */
  id: string;
  text: string;
  at: string;
  metadata?: Record<string, JsonValue>;
  /** The app's enabled integrations at the time of the message: config changes apply from the next one. */
  integrations: IntegrationTarget[];
  /** The app's client webhook URLs at the time of the message. */
  webhooks: string[];
  /** The app's `limits.conversationBacklog` at the time of the message (absent from older API replicas). */
  backlog?: BacklogLimits;
  /** Files the message carries, as the store describes them (never their bytes). */
  attachments?: Attachment[];
  /** A tap on an agent's button (`text` then holds its label). */
  postback?: Postback;
  /** `bot`: the app posts its bot's answer (kept, never relayed). Absent: the user's message. */
  role?: 'user' | 'bot';
  /** On a bot message: the bot hands the conversation to the team, this message included. */
  handoff?: { reason?: string };
  /** The app's default control (`apps[].control.default`) at the time of the message. */
  controlDefault?: Control;
  /** The app's `offline` settings at the time of the message, when it has them. */
  offline?: OfflineSettings;
}

/** What the workflow needs of `apps[].offline`. */
export interface OfflineSettings {
  emailAfterMs: number;
  emailsVerified: boolean;
}

/** `POST …/handoff`, a bot message's `handoff: true` (inside userMessage), Slack's Hand back to bot and `/sk !bot`. */
export interface HandoffSignal {
  to: Control;
  reason?: string;
  /** `api`, `slack`, … */
  source: string;
  /** The agent who did it, when one did. */
  by?: string;
}

/** `POST …/messages/{id}/receipt`: how an agent's reply reached the user. */
export interface ReceiptSignal {
  messageId: string;
  status: 'delivered' | 'read' | 'failed';
  at: string;
}

/** The user answered a fallback mail (the inbox, by a signed user token). */
export interface UserMailReplySignal {
  /** `email:<Message-ID>`: a re-read mail is dropped. */
  id: string;
  /** The sender's address: only the address Parley mailed is taken. */
  from: string;
  text: string;
  at: string;
}

/** Mail to an address must stop: it bounced, or the user unsubscribed. */
export interface MailStopSignal {
  address: string;
  reason: 'bounced' | 'unsubscribed';
}

/** Who is in control, and since when (absent in conversations started before control existed: the team). */
export interface ControlState {
  current: Control;
  /** The app's default, as of the last message: archive returns control to it. */
  default: Control;
  since: string;
  reason?: string;
}

/** An agent reply not known to be delivered yet. */
export interface PendingReceipt {
  messageId: string;
  /** Epoch ms (workflow time): mailed when still pending then. */
  dueAt: number;
  status: 'sent' | 'undelivered' | 'failed';
}

/** The receipts part of the state: replies waiting for a receipt, and the fallback mail's own facts. */
export interface ReceiptsState {
  offline?: OfflineSettings;
  /** At most 50, oldest first. */
  pending: PendingReceipt[];
  /** How each reply went, the last 100 (`delivered`, `read`, `emailed`, `failed`, …), for `GET …/messages`. */
  statuses: { messageId: string; status: string; at: string }[];
  /** Addresses no mail goes to any more (at most 20). */
  stopped: { address: string; reason: MailStopSignal['reason']; at: string }[];
  /** Fallback mails sent, and the last one's Message-ID (the next answers it, so they thread). */
  mailed: number;
  lastMessageId?: string;
  /** Where the last fallback mail went: the user's answers by mail are taken from this address only. */
  mailedTo?: string;
}

/** An agent's reply, from Slack, Zendesk, Help Scout or email. */
export type AgentReplySignal = AgentReply;

/**
 * An agent edited a reply Parley relayed (Slack threads mode: `message_changed` of a thread reply). `id` is the
 * reply's (`slack:<channel>:<ts>`); `eventId` the edit's, so a retried event changes nothing twice.
 */
export interface AgentReplyEditedSignal {
  id: string;
  eventId: string;
  text: string;
  at: string;
}

/** An agent deleted a reply Parley relayed (Slack threads mode: `message_deleted` of a thread reply). */
export interface AgentReplyDeletedSignal {
  id: string;
  eventId: string;
  at: string;
}

export interface ArchiveSignal {
  source: string;
}

export interface ProfileUpdateSignal {
  profile: UserProfile;
}

/**
 * Claim, assign, unassign or resolve, from the team (a Slack button, `/sk !claim`, `/sk !assign @ana`, `/sk
 * !resolve`). `assignee` is who handles it after a claim or an assign; `by` who did it.
 */
export interface AssignSignal {
  action: 'claim' | 'assign' | 'unassign' | 'resolve';
  assignee?: { id: string; name: string; source: string };
  by?: { id: string; name: string };
  /** Where it came from (`slack`), so an archive that follows a resolve is not mirrored back there. */
  source: string;
}

/** The app set the conversation's department (`PUT …/conversation`); `null` clears it. */
export interface RouteSignal {
  department: string | null;
}

export interface ResumeOutboxSignal {
  /** One outbox (`slack`, `webhook:https://…`), or every paused one when absent. */
  outbox?: string;
}

/**
 * A message as the conversation keeps it: with its place in the conversation (`seq`), given when it is stored, by
 * which the outboxes' queues refer to it, so it is kept once (issue 15). Internal: the API and the send activities
 * get the message without it.
 */
export interface StoredMessage extends ConversationMessage {
  seq?: number;
}

export interface ConversationState {
  appId: string;
  userId: string;
  profile: UserProfile;
  status: 'active' | 'archived';
  createdAt: string;
  updatedAt: string;
  /** The last 100 messages (at most WINDOW_BYTES of them), oldest first. */
  messages: StoredMessage[];
  /** The last 1,000 inbound ids (user messages and agent replies), for dedupe. */
  seenIds: string[];
  /** Names of the integrations enabled as of the last user message. */
  integrations: string[];
  outboxes: Record<string, OutboxState>;
  /** Per-integration references (Slack channel, Zendesk ticket, …), written by the integrations' activities. */
  refs: Record<string, string>;
  /** Counts every user message accepted, across continue-as-new. */
  totalMessages: number;
  /** Set once the user's erasure began (`eraseUser`); the run then ends, its history deleted by the API. */
  erasure?: ErasureState;
  // ── Bounds (issue 15, workflows/bounds.ts); absent in state of older runs, filled in on start ──
  /** The seq the next stored message gets. */
  nextSeq?: number;
  /** Messages that left the window but are still queued in an outbox: each message is kept once. */
  held?: StoredMessage[];
  heldBytes?: number;
  windowBytes?: number;
  /** The limits of the app's backlog, as the last user message brought them. */
  backlogLimits?: BacklogLimits;
  backlog?: BacklogState;
  /** Who is in control (workflows/control.ts); absent: the team, as before control existed. */
  control?: ControlState;
  /** Delivery receipts and fallback mail (workflows/receipts.ts); absent until the app has `offline`. */
  receipts?: ReceiptsState;
  /** Who handles it (workflows/assignment.ts); absent until someone claims, assigns or resolves. */
  assignment?: Assignment;
  /** What Slack routes are decided on (workflows/assignment.ts); absent until a user message carries metadata. */
  routing?: RoutingFacts;
}

// ── Erasing a user ────────────────────────────────────────────────────────────────────────────────────
export interface EraseUserRequest {
  /** The app's client webhook URLs now: each hears `user:erased`, with those the conversation already had. */
  webhooks: string[];
}

/** What the app sends for the user while the erasure runs, carried into the fresh conversation after it. */
export interface CarriedAfterErasure {
  messages: UserMessageSignal[];
  profile?: UserProfile;
}

export interface ErasureState {
  requestedAt: string;
  /** Set when the erasure is done: the update's answer and the run's result. */
  report?: ErasureReport;
  carried: CarriedAfterErasure;
  /** Signals dropped while erasing: agent replies and archives (their conversation is going), messages beyond 100. */
  dropped: number;
}

/** At most this many messages arriving during an erasure are carried into the fresh conversation. */
export const CARRIED_AFTER_ERASURE = 100;

/**
 * Temporal suggests continue-as-new at 4,096 events (`limit.historyCount.suggestContinueAsNew`), but a run can only
 * continue once its sends in flight have finished, and signals keep arriving meanwhile: under a flood of 400
 * messages a second into one conversation a run ended at 4,271 events when it waited for the suggestion, and at 4,540
 * when it started draining at 3,000. Draining from 2,048 leaves half the room. The API puts this limit in every
 * conversation's input (runs carry it on), so conversations started by an older Parley replay unchanged.
 */
export const CONTINUE_AS_NEW_AT_EVENTS = 2_048;

export interface ConversationInput {
  appId: string;
  userId: string;
  /** Display name of the app, for the workflow's summary and memo. */
  appName?: string;
  /** Carried over by continue-as-new. */
  state?: ConversationState;
  /** Drain and continue-as-new at this history length (the API sets CONTINUE_AS_NEW_AT_EVENTS; tests lower it). */
  continueAsNewAfterEvents?: number;
  /** A fresh conversation after an erasure: what arrived for the user while it ran, handled as if signalled now. */
  afterErasure?: CarriedAfterErasure;
}

// ── The inbox watcher ─────────────────────────────────────────────────────────────────────────────────
export interface InboxInput {
  appId: string;
  cursor?: InboxCursor;
}

export interface InboxState {
  appId: string;
  cursor: InboxCursor;
  /** IMAP sessions completed by this run. */
  sessions: number;
}

// ── Signals and queries ───────────────────────────────────────────────────────────────────────────────
export const userMessageSignal = defineSignal<[UserMessageSignal]>('userMessage');
export const agentReplySignal = defineSignal<[AgentReplySignal]>('agentReply');
export const archiveSignal = defineSignal<[ArchiveSignal]>('archive');
export const agentReplyEditedSignal = defineSignal<[AgentReplyEditedSignal]>('agentReplyEdited');
export const agentReplyDeletedSignal = defineSignal<[AgentReplyDeletedSignal]>('agentReplyDeleted');
export const profileUpdateSignal = defineSignal<[ProfileUpdateSignal]>('profileUpdate');
export const resumeOutboxSignal = defineSignal<[ResumeOutboxSignal]>('resumeOutbox');
export const conversationQuery = defineQuery<ConversationState>('conversation');
/**
 * A conversation at a glance (common/conversation.ts `conversationSummary`): what lists (the Slack Home tab) show of
 * it, small and bounded, where `conversationQuery` would return the whole state. A query adds no history.
 */
export const conversationSummaryQuery = defineQuery<ConversationSummary>('conversationSummary');
export const handoffSignal = defineSignal<[HandoffSignal]>('handoff');
export const receiptSignal = defineSignal<[ReceiptSignal]>('receipt');
export const userMailReplySignal = defineSignal<[UserMailReplySignal]>('userMailReply');
export const mailStopSignal = defineSignal<[MailStopSignal]>('mailStop');
export const assignSignal = defineSignal<[AssignSignal]>('assign');
export const routeSignal = defineSignal<[RouteSignal]>('route');
export const inboxQuery = defineQuery<InboxState>('inbox');
/**
 * Erases the user's data (workflows/erase.ts) and answers what was erased and what remains; the run then completes
 * (or continues as a fresh conversation with what arrived meanwhile). Repeated, it answers the same report.
 */
export const eraseUserUpdate = defineUpdate<ErasureReport, [EraseUserRequest]>('eraseUser');

export const WINDOW_SIZE = 100;
export const SEEN_IDS = 1000;

// ── Slack installations (workflows/slack-installation.ts; types in common/slack-installation.ts) ───────
export interface SlackInstallationInput {
  key: string;
  /** Carried over by continue-as-new. */
  state?: SlackInstallationState;
}

/** What Slack told Parley about the installation (Events API), or that another workspace replaced it. */
export interface SlackInstallationEventSignal {
  kind: 'app_uninstalled' | 'tokens_revoked' | 'replaced';
  at: string;
}

/** The installation (secrets sealed): for the API's routing and check, and the activities' token cache. */
export const slackInstallationQuery = defineQuery<SlackInstallationState>('slackInstallation');
/** An OAuth install or reinstall: the new tokens (sealed); refused when the workspace belongs to another app. */
export const installSlackUpdate = defineUpdate<SlackInstallationState, [SlackInstallationRecord]>('installSlack');
export const slackInstallationEventSignal = defineSignal<[SlackInstallationEventSignal]>('slackInstallationEvent');
