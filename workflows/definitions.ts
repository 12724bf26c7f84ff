/**
 * Every signal, query, search attribute and payload type of Parley's workflows, shared by the workflows,
 * the API and the integrations. Workflow-safe: imports only Temporal's workflow and common packages.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const CONVERSATION_WORKFLOW_TYPE = 'conversation';
export const INBOX_WORKFLOW_TYPE = 'inbox';

// ── Search attributes (registered by the dev-server start, by compose, and checked at start) ──────────
export const ParleyApp = defineSearchAttributeKey('ParleyApp', SearchAttributeType.KEYWORD);
export const ParleyUser = defineSearchAttributeKey('ParleyUser', SearchAttributeType.KEYWORD);
export const ParleyStatus = defineSearchAttributeKey('ParleyStatus', SearchAttributeType.KEYWORD);
export const SlackChannel = defineSearchAttributeKey('SlackChannel', SearchAttributeType.KEYWORD);
export const ZendeskTicket = defineSearchAttributeKey('ZendeskTicket', SearchAttributeType.KEYWORD);
export const HelpScoutConversation = defineSearchAttributeKey('HelpScoutConversation', SearchAttributeType.KEYWORD);
/** The conversation's mail thread id (in its reply tokens and Message-IDs): how the inbox finds it. */
export const EmailThread = defineSearchAttributeKey('EmailThread', SearchAttributeType.KEYWORD);
export const ParleyIntegrations = defineSearchAttributeKey('ParleyIntegrations', SearchAttributeType.KEYWORD_LIST);

/** Name → Temporal type, as `temporal operator search-attribute create` and the dev server's flag want them. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'KeywordList'> = {
  ParleyApp: 'Keyword',
  ParleyUser: 'Keyword',
  ParleyStatus: 'Keyword',
  SlackChannel: 'Keyword',
  ZendeskTicket: 'Keyword',
  HelpScoutConversation: 'Keyword',
  EmailThread: 'Keyword',
  ParleyIntegrations: 'KeywordList',
};

// ── Payloads ──────────────────────────────────────────────────────────────────────────────────────────
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

export interface ConversationMessage {
  id: string;
  role: 'user' | 'agent';
  text: string;
  /** ISO 8601. */
  at: string;
  metadata?: Record<string, JsonValue>;
  /** For agent replies: the system it came from (`slack`, `zendesk`, `helpscout`, `email`, `test`). */
  source?: string;
  agent?: AgentInfo;
}

/** How an outbox paces its sends; each integration has defaults, config may override. */
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
}

export interface AgentReplySignal {
  id: string;
  source: string;
  agent: AgentInfo;
  text: string;
  at: string;
}

export interface ArchiveSignal {
  source: string;
}

export interface ProfileUpdateSignal {
  profile: UserProfile;
}

export interface ResumeOutboxSignal {
  /** One outbox (`slack`, `webhook:https://…`), or every paused one when absent. */
  outbox?: string;
}

export type OutboxItemKind = 'message:user' | 'message:agent' | 'conversation:archived';

/** One thing an outbox must send; carries a copy of the message so it survives the window. */
export interface OutboxItem {
  /** Stable across retries and continue-as-new: the webhook event id, the integration's dedupe key. */
  eventId: string;
  kind: OutboxItemKind;
  message?: ConversationMessage;
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
  /** `test`, `slack`, … or `webhook:<url>`. */
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
}

export interface ConversationState {
  appId: string;
  userId: string;
  profile: UserProfile;
  status: 'active' | 'archived';
  createdAt: string;
  updatedAt: string;
  /** The last 100 messages, oldest first. */
  messages: ConversationMessage[];
  /** The last 1,000 inbound ids (user messages and agent replies), for dedupe. */
  seenIds: string[];
  /** Names of the integrations enabled as of the last user message. */
  integrations: string[];
  outboxes: Record<string, OutboxState>;
  /** Per-integration references (Slack channel, Zendesk ticket, …), written by the integrations' activities. */
  refs: Record<string, string>;
  /** Counts every user message accepted, across continue-as-new. */
  totalMessages: number;
}

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
}

export interface OutboxSendResult {
  /** References to remember (e.g. `slackChannel`), merged into the conversation's `refs`. */
  refs?: Record<string, string>;
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

/** The activity that sends for each kind of outbox (the part of its key before `:`). */
export const SENDER_ACTIVITIES = {
  test: 'sendTestIntegrationBatch',
  webhook: 'deliverClientWebhooks',
  slack: 'postSlackMessages',
  helpscout: 'postHelpScoutThreads',
  zendesk: 'commentOnZendeskTicket',
  email: 'sendEmailNotifications',
} as const satisfies Record<string, keyof Activities>;
export type OutboxKind = keyof typeof SENDER_ACTIVITIES;

// ── The inbox watcher ─────────────────────────────────────────────────────────────────────────────────
/** Where an app's inbox watcher is in its mailbox; carried by heartbeats within a session, by the workflow across. */
export interface InboxCursor {
  uidValidity?: string;
  lastUid: number;
  relayed: number;
  ignored: number;
}

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
export const profileUpdateSignal = defineSignal<[ProfileUpdateSignal]>('profileUpdate');
export const resumeOutboxSignal = defineSignal<[ResumeOutboxSignal]>('resumeOutbox');
export const conversationQuery = defineQuery<ConversationState>('conversation');
export const inboxQuery = defineQuery<InboxState>('inbox');

export const WINDOW_SIZE = 100;
export const SEEN_IDS = 1000;

export function displayName(profile: UserProfile): string | undefined {
  const name = [profile.givenName, profile.surname].filter(Boolean).join(' ').trim();
  return name || profile.email || undefined;
}
