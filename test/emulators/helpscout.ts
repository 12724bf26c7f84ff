/**
 * A local Help Scout (Mailbox API 2.0) for end-to-end tests: a real HTTP server that answers the REST API the way
 * api.helpscout.net does, and that plays Help Scout's side of the webhooks (signed POSTs to Parley) when an agent
 * answers.
 *
 * Shapes checked against developer.helpscout.com (mailbox-api):
 * - OAuth2 client credentials: `POST /v2/oauth2/token` → `{token_type:'bearer', access_token, expires_in}`.
 * - Create endpoints answer `201 Created` with an empty body and `Resource-ID` + `Location` headers.
 * - Errors are "unified": `{logRef, message, _embedded:{errors:[{path, message, rejectedValue?, source, _links}]},
 *   _links}` (overview/errors).
 * - Rate limiting (overview/rate-limiting): 429, `X-RateLimit-Limit-Minute`, `X-RateLimit-Remaining-Minute`,
 *   `X-RateLimit-Retry-After`; write requests (POST, PUT, DELETE, PATCH) count as 2 requests.
 * - Webhooks (endpoints/webhooks/create): `url`, `events` (the list in WEBHOOK_EVENTS), `secret` ("40 characters or
 *   less"), optional `notification`, `label`, `payloadVersion` ('V2', the only option), `mailboxIds`. Deliveries
 *   carry `X-HelpScout-Event` and `X-HelpScout-Signature` = base64(HMAC-SHA1(secret, raw body)); the body of the
 *   convo.* events is the v2 Conversation object with `_embedded.threads`.
 * - Attachments (endpoints/conversations/threads/customer, …/conversations/create, …/attachments/get-data): a
 *   thread given to create-thread or create-conversation may carry `attachments: [{fileName, mimeType, data}]`
 *   (`data` base64, all three required); the thread shows them in `_embedded.attachments` (`id, filename, mimeType,
 *   size, width, height, _links.data, _links.web`); `GET /v2/conversations/{id}/attachments/{attachmentId}/data` →
 *   `{data}` (base64). Help Scout takes at most 10 MB a file (its attachment docs); the 400 for more is worded here.
 * - Conversation lists default to `status=active` (pass `status=all` to see everything), 25 per page.
 * - Deleting: `DELETE /v2/conversations/{id}` → 204 (endpoints/conversations/delete); `DELETE
 *   /v2/customers/{id}?async=true` → 202, the customer and their conversations hard-deleted
 *   (endpoints/customers/delete-async).
 *
 * Emails to customers (`emulator.customerEmails`): Help Scout's reply endpoint "sends an actual email to the
 * customer" unless `imported` (or `draft`) is set. What I could NOT confirm in Help Scout's docs is the behaviour
 * per conversation type: nothing found states whether replies on `phone` conversations (which log a call) or on
 * `chat` conversations are emailed. So this emulator models the conservative guess: `email` → emailed; `chat` →
 * emailed when the customer has an email address (Help Scout follows up chats by email once the chat has ended);
 * `phone` → not emailed. Notes are never emailed. Auto-replies: only with `autoReply: true` on create, a mailbox
 * whose auto-reply is on, at least one `customer` thread, not `imported` (v1/v2 create docs), and not for phone.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, readBody } from './http-util';

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

export interface RateLimit {
  /** Request units allowed within any sliding window of `windowMs` (writes count twice, as at Help Scout). */
  max: number;
  windowMs: number;
}

export interface NewMailbox {
  id?: number;
  name: string;
  email?: string;
  /** Is the mailbox's auto-reply turned on? Default false. */
  autoReply?: boolean;
  autoReplyText?: string;
}

export interface HelpScoutEmulatorOptions {
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of access tokens, in seconds (Help Scout: 2 days; default here 7200). */
  tokenTtlSeconds?: number;
  /** Pre-created mailboxes; default one named `Support`. */
  mailboxes?: NewMailbox[];
  /** Per-token limit. Default 400 per minute; `false` turns rate limiting off. */
  rateLimit?: RateLimit | false;
  /** How long a webhook delivery may take before it counts as failed (status 0). Default 5000 ms. */
  webhookTimeoutMs?: number;
  /** Largest attachment a thread takes (Help Scout: 10 MB). */
  maxAttachmentBytes?: number;
}

export interface EmulatedMailbox {
  id: number;
  name: string;
  slug: string;
  email: string;
  autoReply: boolean;
  autoReplyText: string;
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface EmulatedCustomer {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
  createdAt: string;
}

export interface EmulatedUser {
  id: number;
  first: string;
  last: string;
  email: string;
  photoUrl?: string;
}

export interface NewUser {
  first: string;
  last: string;
  email: string;
  photoUrl?: string;
}

export type ConversationType = 'email' | 'chat' | 'phone';
export type ConversationStatus = 'active' | 'pending' | 'closed' | 'spam';
export type ThreadType = 'customer' | 'chat' | 'phone' | 'note' | 'reply' | 'lineitem';

export interface EmulatedAttachment {
  id: number;
  filename: string;
  mimeType: string;
  size: number;
  bytes: Buffer;
}

export interface EmulatedThread {
  id: number;
  type: ThreadType;
  /** The conversation status this thread set (`nochange` when it did not change it). */
  status: ConversationStatus | 'nochange';
  state: 'published' | 'draft';
  action?: { type: string; text: string };
  body: string;
  /** The text as given to the emulator (before any HTML wrapping). */
  text: string;
  sourceType: string;
  sourceVia: 'customer' | 'user';
  customerId: number;
  createdBy: { kind: 'customer'; id: number } | { kind: 'user'; id: number };
  imported: boolean;
  createdAt: string;
  attachments?: EmulatedAttachment[];
}

export interface EmulatedConversation {
  id: number;
  number: number;
  type: ConversationType;
  folderId: number;
  status: ConversationStatus;
  state: 'published' | 'deleted';
  subject: string;
  mailboxId: number;
  customerId: number;
  createdBy: { kind: 'customer' | 'user'; id: number };
  createdAt: string;
  closedBy: number;
  closedAt?: string;
  userUpdatedAt: string;
  tags: string[];
  imported: boolean;
  /** Oldest first (the API answers newest first). */
  threads: EmulatedThread[];
}

export interface EmulatedWebhook {
  id: number;
  url: string;
  events: string[];
  secret: string;
  mailboxIds?: number[];
  payloadVersion: 'V2';
  label?: string;
  notification: boolean;
  state: 'enabled' | 'disabled';
}

export interface RecordedCall {
  method: string;
  /** Path without the query string, e.g. `/v2/conversations/12/threads`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** HTTP status answered (0 while in flight). */
  status: number;
  /** Epoch ms when the call arrived. */
  at: number;
}

export interface FaultAnswer {
  status: number;
  body?: unknown;
  /** Seconds for `X-RateLimit-Retry-After` (429 answers; default 1). */
  retryAfter?: number;
  /** Only for this HTTP method. */
  method?: string;
  /** Carry out the request first, then answer with the fault: it happened, but the client never learns it. */
  afterEffect?: boolean;
}

export interface CustomerEmail {
  to: string;
  conversationId: number;
  /** The reply thread that was emailed (absent for auto-replies). */
  threadId?: number;
  text: string;
  kind: 'reply' | 'autoReply';
}

export interface Delivery {
  webhookId: number;
  event: string;
  url: string;
  /** HTTP status Parley answered; 0 when the request failed or timed out. */
  status: number;
  body: string;
  /** The exact bytes sent. */
  rawBody: string;
  headers: Record<string, string>;
  at: number;
}

export interface WebhookOptions {
  /** Sign with a wrong secret. */
  badSignature?: boolean;
}

export interface AgentActionOptions extends WebhookOptions {
  /** `text` is HTML already; otherwise it is escaped and wrapped like Help Scout's editor does. */
  html?: boolean;
  /** Reply and change the status (e.g. "Send and close"). */
  status?: ConversationStatus;
  /** Files the agent attaches to the thread. */
  attachments?: { name: string; mimeType: string; bytes: Buffer }[];
}

export interface AgentActionResult {
  threadId: number;
  deliveries: Delivery[];
}

export interface HelpScoutEmulator {
  /** `http://127.0.0.1:<port>/v2/` */
  apiUrl: string;
  /** `http://127.0.0.1:<port>/v2/oauth2/token` */
  tokenUrl: string;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Every request, in arrival order. */
  calls: RecordedCall[];
  /** Number of access tokens granted. */
  readonly tokenGrants: number;
  /** Emails Help Scout would have sent to customers. */
  customerEmails: CustomerEmail[];
  /** Every webhook delivery attempt (agent actions, API-triggered events, redeliveries). */
  deliveries: Delivery[];

  mailboxes(): EmulatedMailbox[];
  addMailbox(mailbox: NewMailbox): EmulatedMailbox;
  deleteMailbox(id: number): void;
  setAutoReply(mailboxId: number, on: boolean, text?: string): void;

  addUser(user: NewUser): EmulatedUser;
  users(): EmulatedUser[];
  /** The user behind the API credentials (author of API notes/replies without `user`). */
  apiUser: EmulatedUser;

  customers(): EmulatedCustomer[];
  conversations(): EmulatedConversation[];
  conversation(id: number): EmulatedConversation | undefined;
  webhooks(): EmulatedWebhook[];

  /** Make every token issued so far expired. */
  expireTokens(): void;
  /** Answer the next `times` requests whose path matches with `answer` (before auth and rate limits). */
  failNext(pathPattern: string | RegExp, answer: FaultAnswer, times?: number): void;
  clearFaults(): void;

  /** An agent replies in Help Scout's UI: reply thread, customer email (per type), convo.agent.reply.created. */
  agentReply(
    conversationId: number,
    userId: number,
    text: string,
    opts?: AgentActionOptions,
  ): Promise<AgentActionResult>;
  /** An agent adds a note: note thread, convo.note.created. */
  agentNote(
    conversationId: number,
    userId: number,
    text: string,
    opts?: AgentActionOptions,
  ): Promise<AgentActionResult>;
  /** The customer writes in by email: customer thread (reopens), convo.customer.reply.created. */
  customerReply(conversationId: number, text: string, opts?: WebhookOptions): Promise<AgentActionResult>;
  /** Re-send the last delivery byte for byte, as Help Scout's retries do. */
  redeliver(): Promise<Delivery>;
  /** Wait for webhook deliveries triggered by API calls. */
  settle(): Promise<void>;

  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------------------

/** developer.helpscout.com/mailbox-api/endpoints/webhooks/create — the accepted `events`. */
export const WEBHOOK_EVENTS: readonly string[] = [
  'beacon.chat.created',
  'beacon.chat.customer.replied',
  'convo.agent.reply.created',
  'convo.assigned',
  'convo.created',
  'convo.custom-fields',
  'convo.customer.reply.created',
  'convo.deleted',
  'convo.merged',
  'convo.moved',
  'convo.note.created',
  'convo.status',
  'convo.tags',
  'customer.created',
  'customer.deleted',
  'customer.updated',
  'message.survey.response.received',
  'satisfaction.ratings',
  'tag.created',
  'tag.deleted',
  'tag.updated',
];

const ERRORS_URL = 'http://developer.helpscout.net/mailbox-api/overview/errors';
const CONVERSATION_TYPES: readonly string[] = ['email', 'chat', 'phone'];
const CREATE_STATUSES: readonly string[] = ['active', 'closed', 'pending'];
const CREATE_THREAD_TYPES: readonly string[] = ['customer', 'chat', 'phone', 'note', 'reply'];
const LIST_STATUSES: readonly string[] = ['active', 'all', 'closed', 'open', 'pending', 'spam'];
const PAGE_SIZE = 25;
const SECRET_MAX = 40;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

interface FieldError {
  path: string;
  message: string;
  rejectedValue?: unknown;
  code?: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

function errorBody(message: string, errors: FieldError[] = []): Record<string, unknown> {
  const body: Record<string, unknown> = { logRef: crypto.randomUUID(), message };
  if (errors.length > 0) {
    body._embedded = {
      errors: errors.map((e) => ({
        path: e.path,
        message: e.message,
        ...(e.rejectedValue === undefined ? {} : { rejectedValue: e.rejectedValue }),
        source: 'JSON',
        _links: { about: { href: `${ERRORS_URL}#${e.code ?? 'Invalid'}` } },
      })),
    };
  }
  body._links = { about: { href: ERRORS_URL } };
  return body;
}

const badRequest = (errors: FieldError[]): ApiError => new ApiError(400, errorBody('Bad request', errors));
const notFound = (): ApiError => new ApiError(404, errorBody('Resource not found'));

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function stripHtml(s: string): string {
  return s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'mailbox'
  );
}

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sign(secret: string, rawBody: string): string {
  return crypto.createHmac('sha1', secret).update(rawBody, 'utf8').digest('base64');
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------------------------

interface Token {
  value: string;
  expiresAt: number;
  /** Sliding window of (time, weight) for the rate limit. */
  hits: { at: number; weight: number }[];
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startHelpScoutEmulator(options: HelpScoutEmulatorOptions = {}): Promise<HelpScoutEmulator> {
  const clientId = options.clientId ?? 'parley-app-id';
  const clientSecret = options.clientSecret ?? 'parley-app-secret';
  const tokenTtl = options.tokenTtlSeconds ?? 7200;
  const rateLimit: RateLimit | false =
    options.rateLimit === undefined ? { max: 400, windowMs: 60_000 } : options.rateLimit;
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 5000;

  let nextMailboxId = 1001;
  let nextCustomerId = 5001;
  let nextUserId = 2;
  let nextConversationId = 100_001;
  let nextConversationNumber = 1;
  let nextThreadId = 900_001;
  let nextAttachmentId = 7_000_001;
  const maxAttachmentBytes = options.maxAttachmentBytes ?? 10 * 1024 * 1024;
  let nextWebhookId = 1;
  let nextTagId = 1;
  let tokenGrants = 0;

  const mailboxes = new Map<number, EmulatedMailbox>();
  const customers = new Map<number, EmulatedCustomer>();
  const users = new Map<number, EmulatedUser>();
  const conversations = new Map<number, EmulatedConversation>();
  const webhooks = new Map<number, EmulatedWebhook>();
  const tagIds = new Map<string, number>();
  const tokens = new Map<string, Token>();
  const faults = createFaultQueue<FaultAnswer>();
  const calls: RecordedCall[] = [];
  const customerEmails: CustomerEmail[] = [];
  const deliveries: Delivery[] = [];
  const pending = new Set<Promise<unknown>>();

  const apiUser: EmulatedUser = { id: 1, first: 'API', last: 'User', email: 'api@parley.test' };
  users.set(apiUser.id, apiUser);

  const addMailbox = (m: NewMailbox): EmulatedMailbox => {
    const id = m.id ?? nextMailboxId++;
    if (m.id !== undefined && m.id >= nextMailboxId) nextMailboxId = m.id + 1;
    const slug = slugify(m.name);
    const at = nowIso();
    const mailbox: EmulatedMailbox = {
      id,
      name: m.name,
      slug,
      email: m.email ?? `${slug}@parley.helpscoutapp.com`,
      autoReply: m.autoReply ?? false,
      autoReplyText: m.autoReplyText ?? 'Thanks for reaching out! We will get back to you shortly.',
      deleted: false,
      createdAt: at,
      updatedAt: at,
    };
    mailboxes.set(id, mailbox);
    return mailbox;
  };
  for (const m of options.mailboxes ?? [{ name: 'Support' }]) addMailbox(m);

  const liveMailbox = (id: number): EmulatedMailbox | undefined => {
    const m = mailboxes.get(id);
    return m && !m.deleted ? m : undefined;
  };

  /** A conversation reachable through the API: exists, not deleted, in a live mailbox. */
  const reachable = (id: number): EmulatedConversation | undefined => {
    const c = conversations.get(id);
    if (!c || c.state === 'deleted' || !liveMailbox(c.mailboxId)) return undefined;
    return c;
  };

  const tagId = (tag: string): number => {
    let id = tagIds.get(tag);
    if (id === undefined) {
      id = nextTagId++;
      tagIds.set(tag, id);
    }
    return id;
  };

  const customerByEmail = (email: string): EmulatedCustomer | undefined =>
    [...customers.values()].find((c) => c.email.toLowerCase() === email.toLowerCase());

  /** `{id}` or `{email, firstName?, lastName?}` → customer (created on first use of an email). */
  const resolveCustomer = (v: unknown, path: string): EmulatedCustomer => {
    if (!isRecord(v)) throw badRequest([{ path, message: 'may not be null', code: 'NotNull' }]);
    const id = num(v.id);
    if (id !== undefined) {
      const c = customers.get(id);
      if (!c) throw badRequest([{ path: `${path}.id`, message: 'Invalid customer', rejectedValue: v.id }]);
      return c;
    }
    const email = str(v.email);
    if (email === undefined || email === '')
      throw badRequest([{ path, message: 'Customer must have an id or an email', code: 'NotEmpty' }]);
    if (!EMAIL_RE.test(email))
      throw badRequest([
        { path: `${path}.email`, message: 'not a well-formed email address', rejectedValue: email, code: 'Email' },
      ]);
    const existing = customerByEmail(email);
    if (existing) return existing;
    const c: EmulatedCustomer = {
      id: nextCustomerId++,
      email,
      firstName: str(v.firstName) ?? '',
      lastName: str(v.lastName) ?? '',
      createdAt: nowIso(),
    };
    customers.set(c.id, c);
    emit('customer.created', undefined, customerJson(c));
    return c;
  };

  const resolveUser = (v: unknown): EmulatedUser => {
    const id = num(v);
    if (id === undefined) return apiUser;
    const u = users.get(id);
    if (!u) throw badRequest([{ path: 'user', message: 'Invalid user', rejectedValue: v }]);
    return u;
  };

  // --- JSON views -------------------------------------------------------------------------------------------

  const personJson = (c: EmulatedCustomer): Record<string, unknown> => ({
    id: c.id,
    type: 'customer',
    first: c.firstName,
    last: c.lastName,
    email: c.email,
  });

  const userJson = (u: EmulatedUser): Record<string, unknown> => ({
    id: u.id,
    type: 'user',
    first: u.first,
    last: u.last,
    email: u.email,
    ...(u.photoUrl === undefined ? {} : { photoUrl: u.photoUrl }),
  });

  function customerJson(c: EmulatedCustomer): Record<string, unknown> {
    return {
      id: c.id,
      firstName: c.firstName,
      lastName: c.lastName,
      createdAt: c.createdAt,
      updatedAt: c.createdAt,
      _embedded: { emails: [{ id: c.id * 10, value: c.email, type: 'work' }] },
      _links: { self: { href: `${apiUrl}customers/${c.id}` } },
    };
  }

  const mailboxJson = (m: EmulatedMailbox): Record<string, unknown> => ({
    id: m.id,
    name: m.name,
    slug: m.slug,
    email: m.email,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    _links: { self: { href: `${apiUrl}mailboxes/${m.id}` } },
  });

  const threadJson = (conv: EmulatedConversation, t: EmulatedThread): Record<string, unknown> => {
    const customer = customers.get(t.customerId);
    const author =
      t.createdBy.kind === 'customer' ? customers.get(t.createdBy.id) : (users.get(t.createdBy.id) ?? apiUser);
    return {
      id: t.id,
      type: t.type,
      status: t.status,
      state: t.state,
      ...(t.action ? { action: { ...t.action, associatedEntities: {} } } : {}),
      body: t.body,
      source: { type: t.sourceType, via: t.sourceVia },
      customer: customer ? personJson(customer) : undefined,
      createdBy:
        t.createdBy.kind === 'customer' ? personJson(author as EmulatedCustomer) : userJson(author as EmulatedUser),
      assignedTo: undefined,
      savedReplyId: 0,
      to: t.type === 'reply' && customer ? [customer.email] : [],
      cc: [],
      bcc: [],
      createdAt: t.createdAt,
      _embedded: {
        attachments: (t.attachments ?? []).map((a) => ({
          id: a.id,
          filename: a.filename,
          mimeType: a.mimeType,
          width: 0,
          height: 0,
          size: a.size,
          _links: {
            data: { href: `${apiUrl}conversations/${conv.id}/attachments/${a.id}/data` },
            web: { href: `https://secure.helpscout.net/file/${a.id}/${encodeURIComponent(a.filename)}` },
          },
        })),
      },
      _links: {
        ...(t.createdBy.kind === 'customer'
          ? { createdByCustomer: { href: `${apiUrl}customers/${t.createdBy.id}` } }
          : { createdByUser: { href: `${apiUrl}users/${t.createdBy.id}` } }),
        customer: { href: `${apiUrl}customers/${t.customerId}` },
        conversation: { href: `${apiUrl}conversations/${conv.id}` },
      },
    };
  };

  const newestFirst = (conv: EmulatedConversation): EmulatedThread[] => [...conv.threads].sort((a, b) => b.id - a.id);

  const conversationJson = (conv: EmulatedConversation, embedThreads: boolean): Record<string, unknown> => {
    const customer = customers.get(conv.customerId);
    const latest = newestFirst(conv).find((t) => t.type !== 'note' && t.type !== 'lineitem');
    const creator =
      conv.createdBy.kind === 'customer' ? customers.get(conv.createdBy.id) : (users.get(conv.createdBy.id) ?? apiUser);
    const lastCustomer = newestFirst(conv).find((t) => t.createdBy.kind === 'customer');
    const json: Record<string, unknown> = {
      id: conv.id,
      number: conv.number,
      threads: conv.threads.length,
      type: conv.type,
      folderId: conv.folderId,
      status: conv.status,
      state: conv.state,
      subject: conv.subject,
      preview: latest ? stripHtml(latest.body).slice(0, 255) : '',
      mailboxId: conv.mailboxId,
      createdBy:
        conv.createdBy.kind === 'customer'
          ? personJson(creator as EmulatedCustomer)
          : userJson(creator as EmulatedUser),
      createdAt: conv.createdAt,
      closedBy: conv.closedBy,
      ...(conv.closedAt ? { closedAt: conv.closedAt } : {}),
      userUpdatedAt: conv.userUpdatedAt,
      customerWaitingSince: { time: lastCustomer?.createdAt ?? conv.createdAt, friendly: 'just now' },
      source: { type: 'api', via: conv.createdBy.kind },
      tags: conv.tags.map((tag) => ({ id: tagId(tag), color: '#none', tag })),
      cc: [],
      bcc: [],
      primaryCustomer: customer ? personJson(customer) : undefined,
      customer: customer ? personJson(customer) : undefined,
      customFields: [],
      _links: {
        self: { href: `${apiUrl}conversations/${conv.id}` },
        mailbox: { href: `${apiUrl}mailboxes/${conv.mailboxId}` },
        primaryCustomer: { href: `${apiUrl}customers/${conv.customerId}` },
        threads: { href: `${apiUrl}conversations/${conv.id}/threads` },
        web: { href: `https://secure.helpscout.net/conversation/${conv.id}/${conv.number}` },
      },
    };
    if (embedThreads) json._embedded = { threads: newestFirst(conv).map((t) => threadJson(conv, t)) };
    return json;
  };

  const page = (key: string, items: unknown[], pageNumber: number, selfPath: string): Record<string, unknown> => {
    const totalPages = Math.max(1, Math.ceil(items.length / PAGE_SIZE));
    const slice = items.slice((pageNumber - 1) * PAGE_SIZE, pageNumber * PAGE_SIZE);
    return {
      _embedded: { [key]: slice },
      _links: {
        self: { href: `${apiUrl}${selfPath}` },
        first: { href: `${apiUrl}${selfPath}` },
        ...(pageNumber < totalPages ? { next: { href: `${apiUrl}${selfPath}?page=${pageNumber + 1}` } } : {}),
      },
      page: { size: PAGE_SIZE, totalElements: items.length, totalPages, number: pageNumber },
    };
  };

  // --- Threads and emails ----------------------------------------------------------------------------------

  const addThread = (
    conv: EmulatedConversation,
    t: Omit<EmulatedThread, 'id' | 'createdAt' | 'state'>,
  ): EmulatedThread => {
    const thread: EmulatedThread = { ...t, id: nextThreadId++, state: 'published', createdAt: nowIso() };
    conv.threads.push(thread);
    if (thread.createdBy.kind === 'user') conv.userUpdatedAt = thread.createdAt;
    return thread;
  };

  const setStatus = (conv: EmulatedConversation, status: ConversationStatus, byUser: number): void => {
    conv.status = status;
    if (status === 'closed') {
      conv.closedBy = byUser;
      conv.closedAt = nowIso();
    } else {
      conv.closedBy = 0;
      conv.closedAt = undefined;
    }
    conv.folderId = folderFor(conv);
  };

  const folderFor = (conv: EmulatedConversation): number => conv.mailboxId * 100 + (conv.status === 'closed' ? 3 : 1);

  /** Help Scout emails the customer a reply thread; see the header comment for the per-type model. */
  const emailReply = (conv: EmulatedConversation, thread: EmulatedThread): void => {
    if (thread.imported || conv.type === 'phone') return;
    const customer = customers.get(conv.customerId);
    if (!customer || customer.email === '') return;
    customerEmails.push({
      to: customer.email,
      conversationId: conv.id,
      threadId: thread.id,
      text: thread.text,
      kind: 'reply',
    });
  };

  // --- Webhooks --------------------------------------------------------------------------------------------

  const deliver = async (
    hook: { id: number; url: string },
    event: string,
    rawBody: string,
    headers: Record<string, string>,
  ): Promise<Delivery> => {
    let status = 0;
    let body: string;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body: rawBody,
        signal: AbortSignal.timeout(webhookTimeoutMs),
      });
      status = res.status;
      body = await res.text();
    } catch (err) {
      body = String(err);
    }
    const delivery: Delivery = {
      webhookId: hook.id,
      event,
      url: hook.url,
      status,
      body,
      rawBody,
      headers,
      at: Date.now(),
    };
    deliveries.push(delivery);
    return delivery;
  };

  const subscribers = (event: string, mailboxId: number | undefined): EmulatedWebhook[] =>
    [...webhooks.values()].filter(
      (h) =>
        h.state === 'enabled' &&
        h.events.includes(event) &&
        (mailboxId === undefined || !h.mailboxIds || h.mailboxIds.length === 0 || h.mailboxIds.includes(mailboxId)),
    );

  const fire = async (
    event: string,
    mailboxId: number | undefined,
    payload: Record<string, unknown>,
    opts: WebhookOptions = {},
  ): Promise<Delivery[]> => {
    const hooks = subscribers(event, mailboxId);
    return Promise.all(
      hooks.map((hook) => {
        const self =
          isRecord(payload._links) && isRecord(payload._links.self) ? str(payload._links.self.href) : undefined;
        const rawBody = JSON.stringify(
          hook.notification ? { id: payload.id, _links: { self: { href: self } } } : payload,
        );
        const signature = sign(opts.badSignature ? `${hook.secret}-wrong` : hook.secret, rawBody);
        const headers = {
          'Content-Type': 'application/json',
          'X-HelpScout-Event': event,
          'X-HelpScout-Signature': signature,
          'User-Agent': 'HelpScout/Webhooks',
        };
        return deliver(hook, event, rawBody, headers);
      }),
    );
  };

  /** Fire-and-forget, for events caused by API calls (awaited by `settle()` and `close()`). */
  function emit(event: string, mailboxId: number | undefined, payload: Record<string, unknown>): void {
    if (subscribers(event, mailboxId).length === 0) return;
    const p = fire(event, mailboxId, payload).finally(() => pending.delete(p));
    pending.add(p);
  }

  // --- Rate limiting and auth ------------------------------------------------------------------------------

  const rateHeaders = (token: Token | undefined): Record<string, string> => {
    if (!rateLimit || !token) return {};
    const now = Date.now();
    token.hits = token.hits.filter((h) => h.at > now - rateLimit.windowMs);
    const used = token.hits.reduce((n, h) => n + h.weight, 0);
    return {
      'X-RateLimit-Limit-Minute': String(rateLimit.max),
      'X-RateLimit-Remaining-Minute': String(Math.max(0, rateLimit.max - used)),
    };
  };

  const authenticate = (req: http.IncomingMessage): Token => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const token = m?.[1] ? tokens.get(m[1]) : undefined;
    if (!token || token.expiresAt <= Date.now()) {
      throw new ApiError(401, errorBody(token ? 'Expired token' : 'Unauthorized'), {
        'WWW-Authenticate': `Bearer realm="api", error="invalid_token"`,
      });
    }
    return token;
  };

  const consumeRate = (token: Token, method: string): void => {
    if (!rateLimit) return;
    const now = Date.now();
    token.hits = token.hits.filter((h) => h.at > now - rateLimit.windowMs);
    const weight = method === 'GET' || method === 'HEAD' ? 1 : 2;
    const used = token.hits.reduce((n, h) => n + h.weight, 0);
    if (used + weight > rateLimit.max) {
      const oldest = token.hits[0]?.at ?? now;
      const retryAfter = Math.max(1, Math.ceil((oldest + rateLimit.windowMs - now) / 1000));
      throw new ApiError(429, errorBody('Too many requests'), {
        'X-RateLimit-Retry-After': String(retryAfter),
        ...rateHeaders(token),
      });
    }
    token.hits.push({ at: now, weight });
  };

  const grantToken = (body: Record<string, unknown>, req: http.IncomingMessage): Reply => {
    let id = str(body.client_id);
    let secret = str(body.client_secret);
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1] && id === undefined) {
      const [u, p] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      id = u;
      secret = p;
    }
    if (str(body.grant_type) !== 'client_credentials') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' },
      };
    }
    if (id !== clientId || secret !== clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Bad client credentials' } };
    }
    const value = crypto.randomBytes(16).toString('hex');
    tokens.set(value, { value, expiresAt: Date.now() + tokenTtl * 1000, hits: [] });
    tokenGrants++;
    return { status: 200, body: { token_type: 'bearer', access_token: value, expires_in: tokenTtl } };
  };

  // --- Endpoints -------------------------------------------------------------------------------------------

  const created = (path: string, id: number): Reply => ({
    status: 201,
    headers: { 'Resource-ID': String(id), Location: `${apiUrl}${path}/${id}` },
  });

  /** A thread's `attachments`, checked: each `{fileName, mimeType, data}`, the data base64 of at most 10 MB. */
  const parseAttachments = (raw: unknown, path: string): EmulatedAttachment[] => {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw badRequest([{ path, message: 'must be a list', code: 'Invalid' }]);
    const errors: FieldError[] = [];
    const out: EmulatedAttachment[] = [];
    raw.forEach((a: unknown, i) => {
      const at = `${path}[${i}]`;
      if (!isRecord(a)) {
        errors.push({ path: at, message: 'may not be null', code: 'NotNull' });
        return;
      }
      for (const field of ['fileName', 'mimeType', 'data'])
        if (typeof a[field] !== 'string' || a[field].trim() === '')
          errors.push({ path: `${at}.${field}`, message: 'may not be empty', code: 'NotEmpty' });
      if (typeof a.data !== 'string' || typeof a.fileName !== 'string' || typeof a.mimeType !== 'string') return;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.data) || a.data.length % 4 !== 0) {
        errors.push({ path: `${at}.data`, message: 'must be Base64 encoded', code: 'Invalid' });
        return;
      }
      const bytes = Buffer.from(a.data, 'base64');
      if (bytes.length > maxAttachmentBytes) {
        errors.push({ path: `${at}.data`, message: 'attachment is larger than 10 MB', code: 'Size' });
        return;
      }
      out.push({ id: 0, filename: a.fileName, mimeType: a.mimeType, size: bytes.length, bytes });
    });
    if (errors.length > 0) throw badRequest(errors);
    return out;
  };
  const withIds = (attachments: EmulatedAttachment[]): EmulatedAttachment[] =>
    attachments.map((a) => ({ ...a, id: nextAttachmentId++ }));

  const requireText = (body: Record<string, unknown>, path = 'text'): string => {
    const text = str(body[path]);
    if (text === undefined || text.trim() === '')
      throw badRequest([{ path, message: 'may not be empty', code: 'NotEmpty' }]);
    return text;
  };

  const createConversation = (body: Record<string, unknown>): Reply => {
    const errors: FieldError[] = [];
    const subject = str(body.subject);
    if (subject === undefined || subject.trim() === '')
      errors.push({ path: 'subject', message: 'may not be empty', code: 'NotEmpty' });
    const type = body.type === undefined ? 'email' : body.type;
    if (typeof type !== 'string' || !CONVERSATION_TYPES.includes(type))
      errors.push({
        path: 'type',
        message: "Expected one of these: 'email', 'chat', 'phone'",
        rejectedValue: type,
        code: 'EnumValue',
      });
    const status = body.status;
    if (typeof status !== 'string' || !CREATE_STATUSES.includes(status))
      errors.push({
        path: 'status',
        message: "Expected one of these: 'active', 'closed', 'pending'",
        rejectedValue: status,
        code: 'EnumValue',
      });
    const mailboxId = num(body.mailboxId);
    if (mailboxId === undefined) errors.push({ path: 'mailboxId', message: 'may not be null', code: 'NotNull' });
    else if (!liveMailbox(mailboxId))
      errors.push({ path: 'mailboxId', message: 'Invalid mailbox', rejectedValue: body.mailboxId, code: 'InvalidId' });
    if (!isRecord(body.customer)) errors.push({ path: 'customer', message: 'may not be null', code: 'NotNull' });
    const threads = body.threads;
    if (!Array.isArray(threads) || threads.length === 0)
      errors.push({ path: 'threads', message: 'may not be empty', code: 'NotEmpty' });
    else if (threads.length > 100)
      errors.push({ path: 'threads', message: 'size must be between 1 and 100', code: 'Size' });
    else
      threads.forEach((t: unknown, i) => {
        if (!isRecord(t)) {
          errors.push({ path: `threads[${i}]`, message: 'may not be null', code: 'NotNull' });
          return;
        }
        if (typeof t.type !== 'string' || !CREATE_THREAD_TYPES.includes(t.type))
          errors.push({
            path: `threads[${i}].type`,
            message: "Expected one of these: 'customer', 'chat', 'phone', 'note', 'reply'",
            rejectedValue: t.type,
            code: 'EnumValue',
          });
        if (typeof t.text !== 'string' || t.text.trim() === '')
          errors.push({ path: `threads[${i}].text`, message: 'may not be empty', code: 'NotEmpty' });
        try {
          parseAttachments(t.attachments, `threads[${i}].attachments`);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          const embedded = (err.body as { _embedded?: { errors?: { path: string; message: string }[] } })._embedded;
          for (const e of embedded?.errors ?? []) errors.push({ path: e.path, message: e.message, code: 'Invalid' });
        }
      });
    if (body.tags !== undefined && (!Array.isArray(body.tags) || body.tags.some((t) => typeof t !== 'string')))
      errors.push({ path: 'tags', message: 'must be a list of strings', code: 'Invalid' });
    if (errors.length > 0) throw badRequest(errors);

    const customer = resolveCustomer(body.customer, 'customer');
    const imported = body.imported === true;
    const conv: EmulatedConversation = {
      id: nextConversationId++,
      number: nextConversationNumber++,
      type: type as ConversationType,
      folderId: 0,
      status: status as ConversationStatus,
      state: 'published',
      subject: subject as string,
      mailboxId: mailboxId as number,
      customerId: customer.id,
      createdBy: { kind: 'customer', id: customer.id },
      createdAt: nowIso(),
      closedBy: 0,
      userUpdatedAt: nowIso(),
      tags: [...new Set((body.tags as string[] | undefined) ?? [])].map((t) => t.toLowerCase()),
      imported,
      threads: [],
    };
    if (conv.status === 'closed') conv.closedAt = conv.createdAt;
    conv.folderId = folderFor(conv);
    let hasCustomerThread = false;
    // Threads are given oldest first; each becomes newer than the previous one.
    for (const raw of threads as Record<string, unknown>[]) {
      const ttype = raw.type as ThreadType;
      const text = raw.text as string;
      const byCustomer = ttype === 'customer' || ttype === 'chat' || ttype === 'phone';
      const threadCustomer =
        byCustomer && isRecord(raw.customer) ? resolveCustomer(raw.customer, 'threads.customer') : customer;
      if (ttype === 'customer') hasCustomerThread = true;
      const user = byCustomer ? undefined : resolveUser(isRecord(raw.user) ? raw.user.id : raw.user);
      const thread = addThread(conv, {
        type: ttype,
        status: conv.status,
        body: text,
        text,
        sourceType: 'api',
        sourceVia: byCustomer ? 'customer' : 'user',
        customerId: threadCustomer.id,
        createdBy: user ? { kind: 'user', id: user.id } : { kind: 'customer', id: threadCustomer.id },
        imported,
        attachments: withIds(parseAttachments(raw.attachments, 'threads.attachments')),
      });
      if (ttype === 'reply' && raw.draft !== true) emailReply(conv, thread);
    }
    conversations.set(conv.id, conv);
    const mailbox = mailboxes.get(conv.mailboxId) as EmulatedMailbox;
    if (body.autoReply === true && mailbox.autoReply && !imported && hasCustomerThread && conv.type !== 'phone') {
      customerEmails.push({
        to: customer.email,
        conversationId: conv.id,
        text: mailbox.autoReplyText,
        kind: 'autoReply',
      });
    }
    emit('convo.created', conv.mailboxId, conversationJson(conv, true));
    return created('conversations', conv.id);
  };

  /**
   * endpoints/customers/delete-async: `DELETE /v2/customers/{id}?async=true` → 202; "hard-deletes the customer,
   * including any microsurvey responses they submitted and conversations they've participated in". Only the
   * asynchronous form is modelled (the deletion is done by the time the 202 goes out); `customer.deleted` follows.
   */
  const deleteCustomer = (c: EmulatedCustomer, query: URLSearchParams): Reply => {
    if (query.get('async') !== 'true')
      throw badRequest([{ path: 'async', message: 'only the asynchronous deletion is emulated', code: 'Invalid' }]);
    for (const conv of conversations.values())
      if (conv.customerId === c.id || conv.threads.some((t) => t.customerId === c.id)) conversations.delete(conv.id);
    customers.delete(c.id);
    emit('customer.deleted', undefined, { id: c.id });
    return { status: 202 };
  };

  const listConversations = (query: URLSearchParams): Reply => {
    let items = [...conversations.values()].filter((c) => c.state === 'published' && liveMailbox(c.mailboxId));
    const mailbox = query.get('mailbox') ?? query.get('mailboxId');
    if (mailbox !== null) {
      const ids = mailbox.split(',').map(Number);
      items = items.filter((c) => ids.includes(c.mailboxId));
    }
    const status = query.get('status') ?? 'active';
    if (!LIST_STATUSES.includes(status))
      throw badRequest([
        {
          path: 'status',
          message: `Expected one of these: ${LIST_STATUSES.map((s) => `'${s}'`).join(', ')}`,
          rejectedValue: status,
          code: 'EnumValue',
        },
      ]);
    if (status === 'open') items = items.filter((c) => c.status === 'active' || c.status === 'pending');
    else if (status !== 'all') items = items.filter((c) => c.status === status);
    const tag = query.get('tag');
    if (tag !== null) {
      const wanted = tag.split(',').map((t) => t.trim().toLowerCase());
      items = items.filter((c) => c.tags.some((t) => wanted.includes(t)));
    }
    const number = query.get('number');
    if (number !== null) items = items.filter((c) => String(c.number) === number);
    const q = query.get('query');
    if (q !== null) {
      const m = /^\(?\s*(email|customerEmail)\s*:\s*"?([^")]*)"?\s*\)?$/i.exec(q.trim());
      if (m?.[2] !== undefined) {
        const email = m[2].toLowerCase();
        items = items.filter((c) => customers.get(c.customerId)?.email.toLowerCase() === email);
      } else {
        const needle = q.replace(/[()"]/g, '').toLowerCase();
        items = items.filter(
          (c) =>
            c.subject.toLowerCase().includes(needle) || c.threads.some((t) => t.text.toLowerCase().includes(needle)),
        );
      }
    }
    const desc = (query.get('sortOrder') ?? 'desc') !== 'asc';
    items.sort((a, b) => (desc ? b.id - a.id : a.id - b.id));
    const embed = query.get('embed') === 'threads';
    const pageNumber = Math.max(1, num(query.get('page')) ?? 1);
    return {
      status: 200,
      body: page(
        'conversations',
        items.map((c) => conversationJson(c, embed)),
        pageNumber,
        'conversations',
      ),
    };
  };

  const addCustomerThread = (conv: EmulatedConversation, body: Record<string, unknown>, type: ThreadType): Reply => {
    const text = requireText(body);
    const attachments = parseAttachments(body.attachments, 'attachments');
    const customer =
      body.customer === undefined ? customers.get(conv.customerId) : resolveCustomer(body.customer, 'customer');
    if (!customer) throw badRequest([{ path: 'customer', message: 'may not be null', code: 'NotNull' }]);
    const imported = body.imported === true;
    const reopened = !imported && conv.status !== 'active';
    if (reopened) setStatus(conv, 'active', 0);
    const thread = addThread(conv, {
      type,
      status: reopened ? 'active' : 'nochange',
      body: text,
      text,
      sourceType: 'api',
      sourceVia: 'customer',
      customerId: customer.id,
      createdBy: { kind: 'customer', id: customer.id },
      imported,
      attachments: withIds(attachments),
    });
    if (type === 'customer') emit('convo.customer.reply.created', conv.mailboxId, conversationJson(conv, true));
    return created(`conversations/${conv.id}/threads`, thread.id);
  };

  const addUserThread = (conv: EmulatedConversation, body: Record<string, unknown>, type: 'note' | 'reply'): Reply => {
    const text = requireText(body);
    const user = resolveUser(body.user);
    if (type === 'reply') {
      if (!isRecord(body.customer))
        throw badRequest([{ path: 'customer', message: 'may not be null', code: 'NotNull' }]);
      resolveCustomer(body.customer, 'customer');
    }
    const imported = body.imported === true;
    const draft = type === 'reply' && body.draft === true;
    let status: EmulatedThread['status'] = 'nochange';
    if (typeof body.status === 'string' && CREATE_STATUSES.includes(body.status) && body.status !== conv.status) {
      setStatus(conv, body.status as ConversationStatus, user.id);
      status = conv.status;
    }
    const thread = addThread(conv, {
      type,
      status,
      body: text,
      text,
      sourceType: 'api',
      sourceVia: 'user',
      customerId: conv.customerId,
      createdBy: { kind: 'user', id: user.id },
      imported,
    });
    if (draft) thread.state = 'draft';
    if (type === 'reply' && !draft) {
      emailReply(conv, thread);
      emit('convo.agent.reply.created', conv.mailboxId, conversationJson(conv, true));
    }
    if (type === 'note') emit('convo.note.created', conv.mailboxId, conversationJson(conv, true));
    return created(`conversations/${conv.id}/threads`, thread.id);
  };

  const patchConversation = (conv: EmulatedConversation, body: Record<string, unknown>): Reply => {
    const op = str(body.op);
    const path = str(body.path);
    if (op !== 'replace' || (path !== '/status' && path !== '/subject'))
      throw badRequest([{ path: 'op', message: 'Unsupported operation', rejectedValue: `${op} ${path}` }]);
    if (path === '/subject') {
      const v = str(body.value);
      if (!v) throw badRequest([{ path: 'value', message: 'may not be empty', code: 'NotEmpty' }]);
      conv.subject = v;
      return { status: 204 };
    }
    const v = str(body.value);
    if (v === undefined || !['active', 'closed', 'pending', 'spam'].includes(v))
      throw badRequest([{ path: 'value', message: 'Invalid status', rejectedValue: body.value, code: 'EnumValue' }]);
    if (v !== conv.status) {
      setStatus(conv, v as ConversationStatus, apiUser.id);
      addThread(conv, {
        type: 'lineitem',
        status: conv.status,
        action: { type: 'changed-ticket-status', text: `marked as ${v}` },
        body: '',
        text: '',
        sourceType: 'api',
        sourceVia: 'user',
        customerId: conv.customerId,
        createdBy: { kind: 'user', id: apiUser.id },
        imported: false,
      });
      emit('convo.status', conv.mailboxId, conversationJson(conv, true));
    }
    return { status: 204 };
  };

  const validateWebhook = (body: Record<string, unknown>): Omit<EmulatedWebhook, 'id' | 'state'> => {
    const errors: FieldError[] = [];
    const url = str(body.url);
    let urlOk: boolean;
    try {
      urlOk = url !== undefined && ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      urlOk = false;
    }
    if (!urlOk) errors.push({ path: 'url', message: 'must be a valid URL', rejectedValue: body.url, code: 'URL' });
    const events = body.events;
    if (!Array.isArray(events) || events.length === 0)
      errors.push({ path: 'events', message: 'may not be empty', code: 'NotEmpty' });
    else
      events.forEach((e: unknown, i) => {
        if (typeof e !== 'string' || !WEBHOOK_EVENTS.includes(e))
          errors.push({
            path: `events[${i}]`,
            message: `Expected one of these: ${WEBHOOK_EVENTS.map((x) => `'${x}'`).join(', ')}`,
            rejectedValue: e,
            code: 'EnumValue',
          });
      });
    const secret = str(body.secret);
    if (secret === undefined || secret === '')
      errors.push({ path: 'secret', message: 'may not be empty', code: 'NotEmpty' });
    else if (secret.length > SECRET_MAX)
      errors.push({
        path: 'secret',
        message: `size must be between 1 and ${SECRET_MAX}`,
        rejectedValue: secret,
        code: 'Size',
      });
    if (body.payloadVersion !== undefined && body.payloadVersion !== 'V2')
      errors.push({
        path: 'payloadVersion',
        message: "Expected one of these: 'V2'",
        rejectedValue: body.payloadVersion,
        code: 'EnumValue',
      });
    let mailboxIds: number[] | undefined;
    if (body.mailboxIds !== undefined) {
      const ids = Array.isArray(body.mailboxIds) ? body.mailboxIds.map(num) : [undefined];
      if (ids.some((id) => id === undefined || !liveMailbox(id)))
        errors.push({
          path: 'mailboxIds',
          message: 'Invalid mailbox',
          rejectedValue: body.mailboxIds,
          code: 'InvalidId',
        });
      else mailboxIds = ids as number[];
    }
    if (errors.length > 0) throw badRequest(errors);
    return {
      url: url as string,
      events: [...new Set(events as string[])],
      secret: secret as string,
      mailboxIds,
      payloadVersion: 'V2',
      label: str(body.label),
      notification: body.notification === true,
    };
  };

  const webhookJson = (h: EmulatedWebhook): Record<string, unknown> => ({
    id: h.id,
    url: h.url,
    state: h.state,
    events: h.events,
    notification: h.notification,
    payloadVersion: h.payloadVersion,
    ...(h.label === undefined ? {} : { label: h.label }),
    ...(h.mailboxIds === undefined ? {} : { mailboxIds: h.mailboxIds }),
    _links: { self: { href: `${apiUrl}webhooks/${h.id}` } },
  });

  const route = (method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): Reply => {
    const seg = path.split('/').filter(Boolean); // ['v2', ...]
    if (seg[0] !== 'v2') throw notFound();
    const [, resource, idRaw, sub, ...rest] = seg;
    const id = idRaw === undefined ? undefined : num(idRaw);
    if (idRaw !== undefined && id === undefined && idRaw !== 'me') throw notFound();
    if (
      resource === 'conversations' &&
      id !== undefined &&
      sub === 'attachments' &&
      rest[1] === 'data' &&
      rest.length === 2
    ) {
      const conv = reachable(id);
      const attachment = conv?.threads.flatMap((t) => t.attachments ?? []).find((a) => a.id === num(rest[0]));
      if (!attachment) throw notFound();
      if (method !== 'GET') throw new ApiError(405, errorBody('Method not allowed'));
      return { status: 200, body: { data: attachment.bytes.toString('base64') } };
    }
    if (rest.length > 0) throw notFound();

    if (resource === 'mailboxes') {
      if (method !== 'GET' || sub !== undefined) throw new ApiError(405, errorBody('Method not allowed'));
      if (id === undefined) {
        const all = [...mailboxes.values()].filter((m) => !m.deleted).map(mailboxJson);
        return { status: 200, body: page('mailboxes', all, Math.max(1, num(query.get('page')) ?? 1), 'mailboxes') };
      }
      const m = liveMailbox(id);
      if (!m) throw notFound();
      return { status: 200, body: mailboxJson(m) };
    }

    if (resource === 'users') {
      if (method !== 'GET' || sub !== undefined) throw new ApiError(405, errorBody('Method not allowed'));
      if (idRaw === undefined) {
        const all = [...users.values()].map(userJson);
        return { status: 200, body: page('users', all, 1, 'users') };
      }
      const u = idRaw === 'me' ? apiUser : users.get(id as number);
      if (!u) throw notFound();
      return { status: 200, body: userJson(u) };
    }

    if (resource === 'customers') {
      if (id === undefined || sub !== undefined) throw notFound();
      const c = customers.get(id);
      if (!c) throw notFound();
      if (method === 'GET') return { status: 200, body: customerJson(c) };
      if (method === 'DELETE') return deleteCustomer(c, query);
      throw new ApiError(405, errorBody('Method not allowed'));
    }

    if (resource === 'conversations') {
      if (id === undefined) {
        if (method === 'POST') return createConversation(body);
        if (method === 'GET') return listConversations(query);
        throw new ApiError(405, errorBody('Method not allowed'));
      }
      const conv = reachable(id);
      if (!conv) throw notFound();
      if (sub === undefined) {
        if (method === 'GET') return { status: 200, body: conversationJson(conv, query.get('embed') === 'threads') };
        if (method === 'PATCH') return patchConversation(conv, body);
        if (method === 'DELETE') {
          conv.state = 'deleted';
          emit('convo.deleted', conv.mailboxId, { id: conv.id });
          return { status: 204 };
        }
        throw new ApiError(405, errorBody('Method not allowed'));
      }
      if (sub === 'threads' && method === 'GET') {
        const all = newestFirst(conv).map((t) => threadJson(conv, t));
        return {
          status: 200,
          body: page('threads', all, Math.max(1, num(query.get('page')) ?? 1), `conversations/${id}/threads`),
        };
      }
      if (method === 'POST') {
        if (sub === 'customer') return addCustomerThread(conv, body, 'customer');
        if (sub === 'chats') return addCustomerThread(conv, body, 'chat');
        if (sub === 'phones') return addCustomerThread(conv, body, 'phone');
        if (sub === 'notes') return addUserThread(conv, body, 'note');
        if (sub === 'reply') return addUserThread(conv, body, 'reply');
      }
      if (sub === 'tags' && method === 'PUT') {
        if (!Array.isArray(body.tags))
          throw badRequest([{ path: 'tags', message: 'may not be null', code: 'NotNull' }]);
        conv.tags = [
          ...new Set(body.tags.filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase())),
        ];
        emit('convo.tags', conv.mailboxId, conversationJson(conv, true));
        return { status: 204 };
      }
      throw notFound();
    }

    if (resource === 'webhooks') {
      if (sub !== undefined) throw notFound();
      if (id === undefined) {
        if (method === 'GET')
          return { status: 200, body: page('webhooks', [...webhooks.values()].map(webhookJson), 1, 'webhooks') };
        if (method === 'POST') {
          const hook: EmulatedWebhook = { id: nextWebhookId++, state: 'enabled', ...validateWebhook(body) };
          webhooks.set(hook.id, hook);
          return created('webhooks', hook.id);
        }
        throw new ApiError(405, errorBody('Method not allowed'));
      }
      const hook = webhooks.get(id);
      if (!hook) throw notFound();
      if (method === 'GET') return { status: 200, body: webhookJson(hook) };
      if (method === 'PUT') {
        webhooks.set(id, { id, state: hook.state, ...validateWebhook(body) });
        return { status: 204 };
      }
      if (method === 'DELETE') {
        webhooks.delete(id);
        return { status: 204 };
      }
      throw new ApiError(405, errorBody('Method not allowed'));
    }

    throw notFound();
  };

  // --- HTTP server -----------------------------------------------------------------------------------------

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const call: RecordedCall = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      status: 0,
      at: Date.now(),
    };
    calls.push(call);
    let token: Token | undefined;
    const send = (r: Reply): void => {
      call.status = r.status;
      const headers: Record<string, string> = { ...rateHeaders(token), ...r.headers };
      if (r.body === undefined || r.status === 204) {
        res.writeHead(r.status, headers).end();
      } else {
        res
          .writeHead(r.status, { 'Content-Type': 'application/hal+json;charset=UTF-8', ...headers })
          .end(JSON.stringify(r.body));
      }
    };
    try {
      const raw = await readBody(req);
      const type = req.headers['content-type'] ?? '';
      let body: Record<string, unknown>;
      if (raw === '') {
        body = {};
      } else {
        if (type.includes('application/x-www-form-urlencoded')) {
          body = Object.fromEntries(new URLSearchParams(raw));
        } else {
          try {
            const parsed: unknown = JSON.parse(raw);
            if (!isRecord(parsed)) throw new Error('not an object');
            body = parsed;
          } catch {
            call.body = raw;
            throw new ApiError(400, errorBody('Bad request', [{ path: '', message: 'Malformed JSON', code: 'JSON' }]));
          }
        }
      }
      call.body = raw === '' ? undefined : body;

      const fault = faults.take(method, path);
      if (fault?.afterEffect) {
        try {
          route(method, path, url.searchParams, body);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
      }
      if (fault) {
        const headers: Record<string, string> = {};
        if (fault.status === 429) headers['X-RateLimit-Retry-After'] = String(fault.retryAfter ?? 1);
        const defaultBody =
          fault.status === 429 ? errorBody('Too many requests') : errorBody(http.STATUS_CODES[fault.status] ?? 'Error');
        return send({ status: fault.status, body: fault.body ?? defaultBody, headers });
      }

      if (path === '/v2/oauth2/token') {
        if (method !== 'POST') throw new ApiError(405, errorBody('Method not allowed'));
        return send(grantToken(body, req));
      }
      token = authenticate(req);
      consumeRate(token, method);
      return send(route(method, path, url.searchParams, body));
    } catch (err) {
      if (err instanceof ApiError) return send({ status: err.status, body: err.body, headers: err.headers });
      return send({ status: 500, body: errorBody(`Internal error: ${String(err)}`) });
    }
  };

  const server = http.createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const apiUrl = `${baseUrl}/v2/`;

  // --- Agent side ------------------------------------------------------------------------------------------

  const agentConversation = (conversationId: number): EmulatedConversation => {
    const conv = reachable(conversationId);
    if (!conv) throw new Error(`Help Scout emulator: no reachable conversation ${conversationId}`);
    return conv;
  };
  const agent = (userId: number): EmulatedUser => {
    const u = users.get(userId);
    if (!u) throw new Error(`Help Scout emulator: no user ${userId}`);
    return u;
  };
  const agentBody = (text: string, html?: boolean): string =>
    html ? text : `<div>${escapeHtml(text).replace(/\r?\n/g, '<br>')}</div>`;

  const agentThread = async (
    type: 'reply' | 'note',
    conversationId: number,
    userId: number,
    text: string,
    opts: AgentActionOptions,
  ): Promise<AgentActionResult> => {
    const conv = agentConversation(conversationId);
    const user = agent(userId);
    let status: EmulatedThread['status'] = 'nochange';
    if (opts.status !== undefined && opts.status !== conv.status) {
      setStatus(conv, opts.status, user.id);
      status = conv.status;
    }
    const thread = addThread(conv, {
      type,
      status,
      body: agentBody(text, opts.html),
      text,
      sourceType: 'web',
      sourceVia: 'user',
      customerId: conv.customerId,
      createdBy: { kind: 'user', id: user.id },
      imported: false,
      attachments: (opts.attachments ?? []).map((f) => ({
        id: nextAttachmentId++,
        filename: f.name,
        mimeType: f.mimeType,
        size: f.bytes.length,
        bytes: f.bytes,
      })),
    });
    if (type === 'reply') emailReply(conv, thread);
    const event = type === 'reply' ? 'convo.agent.reply.created' : 'convo.note.created';
    const result = await fire(event, conv.mailboxId, conversationJson(conv, true), opts);
    return { threadId: thread.id, deliveries: result };
  };

  const emulator: HelpScoutEmulator = {
    apiUrl,
    tokenUrl: `${apiUrl}oauth2/token`,
    baseUrl,
    clientId,
    clientSecret,
    calls,
    get tokenGrants() {
      return tokenGrants;
    },
    customerEmails,
    deliveries,
    apiUser,

    mailboxes: () => [...mailboxes.values()],
    addMailbox,
    deleteMailbox(id) {
      const m = mailboxes.get(id);
      if (!m) throw new Error(`Help Scout emulator: no mailbox ${id}`);
      m.deleted = true;
    },
    setAutoReply(mailboxId, on, text) {
      const m = mailboxes.get(mailboxId);
      if (!m) throw new Error(`Help Scout emulator: no mailbox ${mailboxId}`);
      m.autoReply = on;
      if (text !== undefined) m.autoReplyText = text;
    },

    addUser(u) {
      const user: EmulatedUser = { id: nextUserId++, ...u };
      users.set(user.id, user);
      return user;
    },
    users: () => [...users.values()],
    customers: () => [...customers.values()],
    conversations: () => [...conversations.values()],
    conversation: (id) => conversations.get(id),
    webhooks: () => [...webhooks.values()],

    expireTokens() {
      const now = Date.now();
      for (const t of tokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
    },
    failNext(pattern, answer, times = 1) {
      faults.push(pattern, answer, times);
    },
    clearFaults() {
      faults.clear();
    },

    agentReply: (conversationId, userId, text, opts = {}) => agentThread('reply', conversationId, userId, text, opts),
    agentNote: (conversationId, userId, text, opts = {}) => agentThread('note', conversationId, userId, text, opts),
    async customerReply(conversationId, text, opts = {}) {
      const conv = agentConversation(conversationId);
      const reopened = conv.status !== 'active';
      if (reopened) setStatus(conv, 'active', 0);
      const thread = addThread(conv, {
        type: 'customer',
        status: reopened ? 'active' : 'nochange',
        body: agentBody(text),
        text,
        sourceType: 'email',
        sourceVia: 'customer',
        customerId: conv.customerId,
        createdBy: { kind: 'customer', id: conv.customerId },
        imported: false,
      });
      const result = await fire('convo.customer.reply.created', conv.mailboxId, conversationJson(conv, true), opts);
      return { threadId: thread.id, deliveries: result };
    },
    async redeliver() {
      const last = deliveries[deliveries.length - 1];
      if (!last) throw new Error('Help Scout emulator: nothing to redeliver');
      return deliver({ id: last.webhookId, url: last.url }, last.event, last.rawBody, last.headers);
    },
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },

    async close() {
      await Promise.race([Promise.allSettled([...pending]), sleep(1000)]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return emulator;
}
