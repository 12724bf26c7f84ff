/**
 * A local Zendesk Support (Ticketing API v2) for end-to-end tests: a real HTTP server that answers the REST API the
 * way `{subdomain}.zendesk.com` does, and that plays Zendesk's side of trigger-driven webhooks (signed POSTs to
 * Parley) when an agent comments in the Zendesk UI.
 *
 * Shapes checked against developer.zendesk.com and support.zendesk.com:
 * - Auth: Basic `{email}/token:{api_token}`; a failure answers 401 `{"error":"Couldn't authenticate you"}`.
 * - Errors: `{error:'RecordNotFound', description:'Not found'}` (404), `{error:'RecordInvalid', description:'Record
 *   validation errors', details:{field:[{description, error}]}}` (422); a closed ticket refuses updates with
 *   `details.status[0].description = 'Status: closed prevents ticket update'`.
 * - Rate limits (api-reference/introduction/rate-limits): 429 + `Retry-After` seconds, `X-Rate-Limit` /
 *   `X-Rate-Limit-Remaining` on every answer. The Update Ticket endpoint also has a limit of 30 updates per ticket
 *   per 10 minutes per user; that 429 answers with a plain-text body (not JSON). I could not find the exact text of
 *   that body in Zendesk's docs, so it defaults to `Too Many Requests` and is configurable.
 * - Idempotency (ticketing/introduction#idempotency): `Idempotency-Key` on `POST /api/v2/tickets`; a repeat with the
 *   same body replays the stored answer with `x-idempotency-lookup: hit` (first time: `miss`); the same key with a
 *   different body answers 400 `{error:'IdempotentRequestError', description:...}`. Keys expire after 2 hours.
 * - Ticket comments (ticket_comments): `{id, type:'Comment', author_id, body, html_body, plain_body, public,
 *   attachments, audit_id, via, metadata, created_at}`, listed oldest first.
 * - Uploads (ticket-attachments#upload-files): `POST /api/v2/uploads?filename=…[&token=…]`, the raw bytes with the
 *   file's Content-Type → 201 `{upload:{token, expires_at, attachments, attachment}}`; an earlier `token` adds the
 *   file to that upload. A comment's `uploads: [token]` attaches them (a token attaches once); the comment's
 *   `attachments` list `{id, file_name, content_url, content_type, size, …}`, and `content_url`
 *   (`/attachments/token/<t>/?name=…`) serves the bytes to the API's credentials (the account setting "Require
 *   authentication to download"). Zendesk's limit is 50 MB a file; the 413 body for a larger one is not documented,
 *   the one here is mine. An unknown or used token in `uploads` is ignored (and listed in `warnings`). Comments made through the API carry
 *   `via.channel = 'api'` (via id 5, "Web Service"); comments made by agents in the UI carry `'web'` (via id 0).
 * - Users (users#create-or-update-user): `create_or_update` "updates an existing user identified by e-mail address or
 *   external ID" (external ids "not case sensitive"), else creates one (201); a user found by email takes the
 *   `external_id`, name and role sent, whoever it is; on update an email is added as a secondary identity, and an
 *   email another user has answers 422 `Email: … is already being used by another user`. `notes` and `details`
 *   are kept and shown (agents see them beside the ticket).
 * - Follow-ups: `via_followup_source_id` (POST only) must name a closed ticket; the new ticket's `via.source` is
 *   `{rel:'follow_up', from:{ticket_id, subject}}` and the source ticket lists it in `followup_ids`.
 * - Webhooks (api-reference/webhooks): ids are 26-char ULID-like strings; create → 201 `{webhook}`; list →
 *   `{webhooks, meta:{has_more, after_cursor, before_cursor}, links}` with `filter[name_contains]`; PATCH/DELETE →
 *   204; `GET /signing_secret` → `{signing_secret:{secret, algorithm:'SHA256'}}`. Deliveries carry
 *   `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)),
 *   `X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601, seconds), `x-zendesk-webhook-id`,
 *   `x-zendesk-webhook-invocation-id` and `x-zendesk-account-id` (documentation/webhooks/verifying).
 * - Triggers (conditions-reference, actions-reference): `{conditions:{all, any}, actions:[{field, value}]}`;
 *   `notification_webhook` takes `[webhookId, body]`, `notification_user` takes `[recipient, subject, body]`.
 *   Standard triggers are pre-created with the names from "About the standard Support triggers".
 *
 * - Deleting (ticketing/tickets/tickets#delete-ticket, ticketing/users/users#delete-user, …/deleted_users,
 *   …/deleted_tickets): `DELETE /api/v2/tickets/{id}` → 204 (soft: the ticket is gone from the API);
 *   `DELETE /api/v2/deleted_tickets/{id}` permanently deletes a soft-deleted ticket → 200 `{job_status}` (queued);
 *   `DELETE /api/v2/users/{id}` → 200 `{user}` with `active: false`, refused for the requester of a ticket that is
 *   not closed ("You can't delete an end user who's the requester on a ticket that isn't closed", support article
 *   "Deleting end users"; the 422 body's wording is mine, Zendesk's exact text is not documented) and for the account
 *   owner (403); `DELETE /api/v2/deleted_users/{id}` permanently deletes a deleted user → 200 `{deleted_user}` (name
 *   "Permanently Deleted User", email null); either permanent step answers 404 for what was not soft-deleted first.
 *   Deleted users are matched by no search or create_or_update; `GET /api/v2/users/{id}/tickets/requested` lists a
 *   user's live tickets.
 *
 * Trigger evaluation (see SUPPORTED_CONDITIONS). Triggers run after every ticket create/update (API or UI) on the
 * live ticket, in `position` order; like Zendesk, the pass repeats while actions changed the ticket, and each trigger
 * fires at most once per update. Unsupported conditions never match, and are listed in `emulator.warnings`, so a test
 * never passes because the emulator silently ignored a condition.
 * - `update_type` is `Create` | `Change`
 * - `comment_is_public` is/is_not `true` | `false` | `requester_can_see_comment` | `not_relevant`
 * - `ticket_is_public` is `public` | `private`
 * - `current_tags` includes / not_includes (space-separated; "includes" = at least one, "not_includes" = none)
 * - `current_via_id` is / is_not (0 = web, 4 = email, 5 = API "web service")
 * - `role` is / is_not `agent` | `admin` | `end_user` (the current user: API user for API calls, the agent in the UI;
 *   `agent` also matches admins)
 * - `status` is / is_not / less_than / greater_than (new < open < pending < hold < solved < closed)
 * - `requester_id` is / is_not `current_user` or an id
 * - `comment_author` (emulator extension, not a Zendesk field) is / is_not `agent` | `end_user`: the latest
 *   comment's author role
 * Actions: `notification_webhook`, `notification_user` (recipients `requester_id` and `requester_and_ccs` are
 * recorded in `requesterEmails`; others ignored), `current_tags` (add), `remove_tags`, `set_tags`, `status`.
 * Email suppression modelled from "About business rule action suppression": no requester email for a private
 * comment, nor to the author of the comment that caused the update.
 *
 * Placeholders rendered in webhook bodies and email texts (see PLACEHOLDERS): values are JSON-escaped inside JSON
 * webhook bodies, as Zendesk does for `request_format: 'json'`. Unknown placeholders render as empty strings and are
 * listed in `emulator.warnings`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, readRawBody } from './http-util';

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

export interface RateLimit {
  max: number;
  windowMs: number;
}

export interface TicketUpdateLimit extends RateLimit {
  /** Plain-text body of the 429. Default `Too Many Requests`. */
  message?: string;
}

export interface ZendeskEmulatorOptions {
  email?: string;
  apiToken?: string;
  /** Account-wide limit on authenticated API calls. Default: none. */
  accountLimit?: RateLimit;
  /** Updates per ticket per user (Zendesk: 30 per 10 minutes). Default: none. */
  ticketUpdateLimit?: TicketUpdateLimit;
  /** Pre-create the standard triggers (default true). */
  standardTriggers?: boolean;
  /** How long a webhook delivery may take before it counts as failed (status 0). Default 5000 ms. */
  webhookTimeoutMs?: number;
  /** Lifetime of idempotency keys (Zendesk: 2 hours). */
  idempotencyTtlMs?: number;
  /** Largest file `POST /api/v2/uploads` takes (Zendesk: 50 MB). */
  maxUploadBytes?: number;
}

export type UserRole = 'end-user' | 'agent' | 'admin';
export type TicketStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';

export interface EmulatedUser {
  id: number;
  name: string;
  email: string | null;
  external_id: string | null;
  /** Emails added to the user after its primary one (Zendesk's email identities). */
  secondaryEmails: string[];
  role: UserRole;
  signature: string | null;
  photoUrl: string | null;
  notes: string;
  details: string;
  created_at: string;
  updated_at: string;
  /** Deleted (`soft`: among the deleted users, `active: false`) or permanently deleted (its personal data gone). */
  deleted?: 'soft' | 'permanent';
}

export interface Via {
  channel: string;
  source: { from: Record<string, unknown>; to: Record<string, unknown>; rel: string | null };
}

export interface EmulatedAttachment {
  id: number;
  file_name: string;
  content_type: string;
  size: number;
  content_url: string;
  bytes: Buffer;
}

export interface EmulatedComment {
  id: number;
  type: 'Comment';
  author_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: boolean;
  audit_id: number;
  via: Via;
  created_at: string;
  attachments: EmulatedAttachment[];
}

export interface EmulatedTicket {
  id: number;
  subject: string;
  status: TicketStatus;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  external_id: string | null;
  tags: string[];
  via: Via;
  followup_ids: number[];
  deleted: boolean;
  comments: EmulatedComment[];
  created_at: string;
  updated_at: string;
}

export interface WebhookAuthentication {
  type: 'basic_auth' | 'bearer_token' | 'api_key';
  add_position: 'header';
  data?: Record<string, string>;
}

export interface EmulatedWebhook {
  id: string;
  name: string;
  description?: string;
  endpoint: string;
  http_method: string;
  request_format: string;
  status: 'active' | 'inactive';
  subscriptions: string[];
  authentication?: WebhookAuthentication;
  secret: string;
  created_at: string;
  updated_at: string;
}

export interface Condition {
  field: string;
  operator: string;
  value: unknown;
}

export interface TriggerAction {
  field: string;
  value: unknown;
}

export interface EmulatedTrigger {
  id: number;
  title: string;
  active: boolean;
  position: number;
  description: string | null;
  default: boolean;
  category_id: string;
  conditions: { all: Condition[]; any: Condition[] };
  actions: TriggerAction[];
  created_at: string;
  updated_at: string;
}

export interface RecordedCall {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** HTTP status answered (0 while in flight). */
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface FaultAnswer {
  status: number;
  /** JSON body (default a Zendesk-style error), or a string sent as text/plain. */
  body?: unknown;
  /** Seconds for `Retry-After` on 429/503 answers (default 1). */
  retryAfter?: number;
  /** Only for this HTTP method. */
  method?: string;
  /** Carry out the request first, then answer with the fault: it happened, but the client never learns it. */
  afterEffect?: boolean;
}

export interface Delivery {
  webhookId: string;
  invocationId: string;
  triggerId?: number;
  ticketId?: number;
  url: string;
  /** HTTP status the receiver answered; 0 when the request failed or timed out. */
  status: number;
  responseBody: string;
  /** The exact bytes sent. */
  rawBody: string;
  headers: Record<string, string>;
  at: number;
}

export interface RequesterEmail {
  to: string | null;
  userId: number;
  ticketId: number;
  triggerId: number;
  triggerTitle: string;
  subject: string;
  body: string;
  at: number;
}

export interface NewAgent {
  name: string;
  email: string;
  /** What an SSO or a sync set (JWT SSO logs agents in by it). */
  externalId?: string;
  signature?: string;
  photoUrl?: string;
  role?: 'agent' | 'admin';
  /** When the agent joined (ISO 8601; default now): a team's agents usually predate anything Parley does. */
  createdAt?: string;
}

export interface AgentCommentOptions {
  /** Default true. */
  public?: boolean;
  /** Submit the comment with this status (default: `open` when the ticket is `new`, else unchanged). */
  status?: TicketStatus;
  /** Sign webhook deliveries with a wrong secret. */
  badSignature?: boolean;
  /**
   * Text that follows the agent's signature in the comment: what an agent types below the signature the composer
   * shows, or a footer (`--` and a disclaimer) added after it.
   */
  footer?: string;
  /** Files the agent attaches in the composer (uploaded and attached as the API's uploads are). */
  attachments?: { name: string; contentType: string; bytes: Buffer }[];
}

export interface AgentCommentResult {
  comment: EmulatedComment;
  /** Titles of the triggers that fired. */
  fired: string[];
  deliveries: Delivery[];
}

export interface ZendeskEmulator {
  /** `http://127.0.0.1:<port>`: what a client uses as `https://{subdomain}.zendesk.com`. */
  url: string;
  email: string;
  apiToken: string;
  /** The user behind the API credentials (an admin). */
  apiUser: EmulatedUser;
  calls: RecordedCall[];
  callCount(method: string, pathPattern: string | RegExp): number;
  deliveries: Delivery[];
  requesterEmails: RequesterEmail[];
  /** Every file uploaded, attached to a comment or not. */
  uploads(): { token: string; attachments: EmulatedAttachment[]; attached: boolean }[];
  /** Unsupported trigger conditions and unknown placeholders met while evaluating triggers. */
  warnings: string[];

  users(): EmulatedUser[];
  user(id: number): EmulatedUser | undefined;
  addAgent(agent: NewAgent): EmulatedUser;
  tickets(): EmulatedTicket[];
  ticket(id: number): EmulatedTicket | undefined;
  deleteTicket(id: number): void;
  setStatus(id: number, status: TicketStatus): void;
  webhooks(): EmulatedWebhook[];
  triggers(): EmulatedTrigger[];
  trigger(title: string): EmulatedTrigger | undefined;

  /** An agent comments in the Zendesk UI (`via: web`), then triggers run; resolves after webhook deliveries. */
  agentComment(
    ticketId: number,
    agentId: number,
    body: string,
    opts?: AgentCommentOptions,
  ): Promise<AgentCommentResult>;
  /**
   * Re-send the last webhook delivery byte for byte (same headers, same invocation id); with `resign`, signed again
   * at the time of sending, as Zendesk's retries of a failed delivery are (same body, same invocation id).
   */
  redeliver(opts?: { resign?: boolean }): Promise<Delivery>;
  /** Wait for webhook deliveries caused by API calls. */
  settle(): Promise<void>;

  /** Answer the next `times` requests whose path matches with `answer` (before auth and rate limits). */
  failNext(pathPattern: string | RegExp, answer: FaultAnswer, times?: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------------------

export const SUPPORTED_CONDITIONS: readonly string[] = [
  'update_type',
  'comment_is_public',
  'ticket_is_public',
  'current_tags',
  'current_via_id',
  'role',
  'status',
  'requester_id',
  'comment_author',
];

/** Placeholders the emulator renders (Zendesk's names; `photo_url` ones are emulator extensions). */
export const PLACEHOLDERS: readonly string[] = [
  'ticket.id',
  'ticket.external_id',
  'ticket.title',
  'ticket.status',
  'ticket.tags',
  'ticket.url',
  'ticket.via',
  'ticket.account',
  'ticket.requester.id',
  'ticket.requester.name',
  'ticket.requester.email',
  'ticket.requester.external_id',
  'ticket.latest_comment',
  'ticket.latest_comment_html',
  'ticket.latest_public_comment',
  'ticket.latest_public_comment_html',
  'ticket.latest_comment.id',
  'ticket.latest_comment.value',
  'ticket.latest_comment.is_public',
  'ticket.latest_comment.created_at',
  'ticket.latest_comment.author.id',
  'ticket.latest_comment.author.name',
  'ticket.latest_comment.author.email',
  'ticket.latest_comment.author.photo_url',
  'current_user.id',
  'current_user.name',
  'current_user.email',
  'current_user.external_id',
  'current_user.photo_url',
];

const STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const VIA_IDS: Record<string, number> = { web: 0, email: 4, api: 5 };
const ACCOUNT_ID = 9_001_001;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Bytes sent as they are (an attachment's download), with their own Content-Type in `headers`. */
  bytes?: Buffer;
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

const notFound = (): ApiError => new ApiError(404, { error: 'RecordNotFound', description: 'Not found' });
const invalid = (details: Record<string, { description: string; error: string }[]>): ApiError =>
  new ApiError(422, { error: 'RecordInvalid', description: 'Record validation errors', details });
const badRequest = (description: string): ApiError => new ApiError(400, { error: 'InvalidParameter', description });

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

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function stripHtml(s: string): string {
  return s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p[^>]*>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/** The HTML Zendesk stores for a plain-text comment. */
function toHtml(text: string): string {
  const paragraphs = text
    .split(/\n{2,}/)
    .map((p) => `<p dir="auto">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
  return `<div class="zd-comment" dir="auto">${paragraphs}</div>`;
}

/** Stable JSON (sorted keys) for comparing idempotent request bodies. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function ulid(): string {
  const bytes = crypto.randomBytes(26);
  let out = '01';
  for (let i = 0; i < 24; i++) out += CROCKFORD[(bytes[i] ?? 0) % 32];
  return out;
}

function tagList(v: unknown): string[] {
  const raw = Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : (str(v) ?? '').split(/\s+/);
  return raw.map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
}

function truthy(v: unknown): boolean | undefined {
  if (v === true || v === 'true' || v === 'requester_can_see_comment' || v === 'public') return true;
  if (v === false || v === 'false' || v === 'not_relevant' || v === 'private') return false;
  return undefined;
}

function normRole(v: unknown): string {
  return String(v).replace('-', '_');
}

function viaOf(channel: string, source: Partial<Via['source']> = {}): Via {
  return { channel, source: { from: source.from ?? {}, to: source.to ?? {}, rel: source.rel ?? null } };
}

// ---------------------------------------------------------------------------------------------------------------
// Standard triggers (support.zendesk.com "About the standard Support triggers"; shapes as the Triggers API shows
// them). Conditions are expressed with the subset the emulator evaluates.
// ---------------------------------------------------------------------------------------------------------------

function standardTriggers(): Omit<EmulatedTrigger, 'id' | 'position' | 'created_at' | 'updated_at'>[] {
  const base = { active: true, default: true, description: null, category_id: '1' };
  return [
    {
      ...base,
      title: 'Notify requester and CCs of received request',
      conditions: {
        all: [
          { field: 'update_type', operator: 'is', value: 'Create' },
          { field: 'status', operator: 'is_not', value: 'solved' },
          { field: 'ticket_is_public', operator: 'is', value: 'public' },
          { field: 'role', operator: 'is', value: 'end_user' },
        ],
        any: [],
      },
      actions: [
        {
          field: 'notification_user',
          value: [
            'requester_and_ccs',
            '[{{ticket.account}}] Re: {{ticket.title}}',
            'Your request ({{ticket.id}}) has been received and is being reviewed by our support staff.\n\n' +
              'To add additional comments, reply to this email.\n\n{{ticket.latest_public_comment}}',
          ],
        },
      ],
    },
    {
      ...base,
      title: 'Notify requester of new proactive ticket',
      conditions: {
        all: [
          { field: 'update_type', operator: 'is', value: 'Create' },
          { field: 'role', operator: 'is', value: 'agent' },
          { field: 'requester_id', operator: 'is_not', value: 'current_user' },
          { field: 'comment_is_public', operator: 'is', value: 'true' },
        ],
        any: [],
      },
      actions: [
        {
          field: 'notification_user',
          value: [
            'requester_id',
            '{{ticket.title}}',
            'This email is a service from {{ticket.account}}.\n\n{{ticket.latest_public_comment}}',
          ],
        },
      ],
    },
    {
      ...base,
      title: 'Notify requester and CCs of comment update',
      conditions: {
        all: [
          { field: 'update_type', operator: 'is', value: 'Change' },
          { field: 'comment_is_public', operator: 'is', value: 'true' },
        ],
        any: [],
      },
      actions: [
        {
          field: 'notification_user',
          value: [
            'requester_and_ccs',
            '[{{ticket.account}}] Re: {{ticket.title}}',
            'Your request ({{ticket.id}}) has been updated.\n\n{{ticket.latest_public_comment}}',
          ],
        },
      ],
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------------------------

interface Idem {
  body: string;
  reply: Reply;
  at: number;
}

/** What a trigger pass sees about the update that caused it. */
interface UpdateContext {
  type: 'Create' | 'Change';
  viaId: number;
  currentUser: EmulatedUser;
  comment?: EmulatedComment;
  badSignature?: boolean;
}

export async function startZendeskEmulator(options: ZendeskEmulatorOptions = {}): Promise<ZendeskEmulator> {
  const email = options.email ?? 'parley-bot@example.com';
  const apiToken = options.apiToken ?? crypto.randomBytes(20).toString('hex');
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 5000;
  const idempotencyTtlMs = options.idempotencyTtlMs ?? 2 * 3600_000;

  const users = new Map<number, EmulatedUser>();
  const tickets = new Map<number, EmulatedTicket>();
  const webhooks = new Map<string, EmulatedWebhook>();
  const triggers = new Map<number, EmulatedTrigger>();
  const idempotency = new Map<string, Idem>();
  const calls: RecordedCall[] = [];
  const deliveries: Delivery[] = [];
  const requesterEmails: RequesterEmail[] = [];
  const warnings: string[] = [];
  const faults = createFaultQueue<FaultAnswer>();
  const pending = new Set<Promise<unknown>>();
  const accountHits: number[] = [];
  const ticketHits = new Map<string, number[]>();
  const uploads = new Map<string, { token: string; attachments: EmulatedAttachment[]; attached: boolean }>();
  const maxUploadBytes = options.maxUploadBytes ?? 50 * 1024 * 1024;
  let nextAttachmentId = 700_000_001;
  let nextUserId = 360_000_001;
  let nextTicketId = 1;
  let nextCommentId = 900_000_001;
  let nextAuditId = 800_000_001;
  let nextTriggerId = 500_000_001;
  let baseUrl = '';

  const addUser = (u: Omit<EmulatedUser, 'id' | 'created_at' | 'updated_at'>): EmulatedUser => {
    const user: EmulatedUser = { id: nextUserId++, ...u, created_at: nowIso(), updated_at: nowIso() };
    users.set(user.id, user);
    return user;
  };

  const apiUser = addUser({
    name: 'Parley Bot',
    email,
    external_id: null,
    secondaryEmails: [],
    role: 'admin',
    signature: null,
    photoUrl: null,
    notes: '',
    details: '',
  });

  const addTrigger = (t: Omit<EmulatedTrigger, 'id' | 'position' | 'created_at' | 'updated_at'>): EmulatedTrigger => {
    const trigger: EmulatedTrigger = {
      id: nextTriggerId++,
      position: triggers.size + 1,
      ...t,
      created_at: nowIso(),
      updated_at: nowIso(),
    };
    triggers.set(trigger.id, trigger);
    return trigger;
  };
  if (options.standardTriggers !== false) standardTriggers().forEach(addTrigger);

  // --- JSON shapes -----------------------------------------------------------------------------------------

  const userJson = (u: EmulatedUser): Record<string, unknown> => ({
    id: u.id,
    url: `${baseUrl}/api/v2/users/${u.id}.json`,
    name: u.name,
    email: u.email,
    created_at: u.created_at,
    updated_at: u.updated_at,
    time_zone: 'UTC',
    iana_time_zone: 'Etc/UTC',
    phone: null,
    photo: u.photoUrl ? { content_url: u.photoUrl, content_type: 'image/png' } : null,
    locale: 'en-US',
    role: u.role,
    verified: u.role !== 'end-user',
    external_id: u.external_id,
    tags: [],
    active: u.deleted === undefined,
    shared: false,
    suspended: false,
    signature: u.signature,
    details: u.details,
    notes: u.notes,
    user_fields: {},
  });

  const attachmentJson = (a: EmulatedAttachment): Record<string, unknown> => ({
    url: `${baseUrl}/api/v2/attachments/${a.id}.json`,
    id: a.id,
    file_name: a.file_name,
    content_url: a.content_url,
    mapped_content_url: a.content_url,
    content_type: a.content_type,
    size: a.size,
    width: null,
    height: null,
    inline: false,
    deleted: false,
    malware_access_override: false,
    malware_scan_result: 'malware_not_found',
    thumbnails: [],
  });

  const commentJson = (c: EmulatedComment): Record<string, unknown> => ({
    id: c.id,
    type: c.type,
    author_id: c.author_id,
    body: c.body,
    html_body: c.html_body,
    plain_body: c.plain_body,
    public: c.public,
    attachments: c.attachments.map(attachmentJson),
    audit_id: c.audit_id,
    via: c.via,
    created_at: c.created_at,
    metadata: { system: {}, custom: {} },
  });

  const ticketJson = (t: EmulatedTicket): Record<string, unknown> => ({
    url: `${baseUrl}/api/v2/tickets/${t.id}.json`,
    id: t.id,
    external_id: t.external_id,
    via: t.via,
    created_at: t.created_at,
    updated_at: t.updated_at,
    type: null,
    subject: t.subject,
    raw_subject: t.subject,
    description: t.comments[0]?.body ?? '',
    priority: null,
    status: t.status,
    recipient: null,
    requester_id: t.requester_id,
    submitter_id: t.submitter_id,
    assignee_id: t.assignee_id,
    organization_id: null,
    group_id: null,
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    has_incidents: false,
    is_public: t.comments.some((c) => c.public),
    due_at: null,
    tags: t.tags,
    custom_fields: [],
    satisfaction_rating: null,
    sharing_agreement_ids: [],
    followup_ids: t.followup_ids,
    allow_channelback: false,
    allow_attachments: true,
  });

  const webhookJson = (h: EmulatedWebhook): Record<string, unknown> => ({
    id: h.id,
    name: h.name,
    description: h.description,
    status: h.status,
    subscriptions: h.subscriptions,
    endpoint: h.endpoint,
    http_method: h.http_method,
    request_format: h.request_format,
    ...(h.authentication
      ? { authentication: { type: h.authentication.type, add_position: h.authentication.add_position } }
      : {}),
    created_at: h.created_at,
    created_by: String(apiUser.id),
    updated_at: h.updated_at,
    updated_by: String(apiUser.id),
  });

  const triggerJson = (t: EmulatedTrigger): Record<string, unknown> => ({
    url: `${baseUrl}/api/v2/triggers/${t.id}.json`,
    id: t.id,
    title: t.title,
    raw_title: t.title,
    active: t.active,
    position: t.position,
    description: t.description,
    default: t.default,
    category_id: t.category_id,
    conditions: t.conditions,
    actions: t.actions,
    created_at: t.created_at,
    updated_at: t.updated_at,
  });

  /** The Deleted Users API's shape of a (soft or permanently) deleted user. */
  const deletedUserJson = (u: EmulatedUser): Record<string, unknown> => ({
    id: u.id,
    url: `${baseUrl}/api/v2/deleted_users/${u.id}.json`,
    name: u.name,
    email: u.email,
    created_at: u.created_at,
    updated_at: u.updated_at,
    time_zone: 'UTC',
    phone: null,
    shared_phone_number: null,
    photo: null,
    locale_id: 1,
    locale: 'en-US',
    organization_id: null,
    role: u.role,
    active: false,
  });

  const list = (key: string, items: unknown[]): Record<string, unknown> => ({
    [key]: items,
    next_page: null,
    previous_page: null,
    count: items.length,
  });

  // --- Tickets and comments --------------------------------------------------------------------------------

  const liveTicket = (id: number): EmulatedTicket => {
    const t = tickets.get(id);
    if (!t || t.deleted) throw notFound();
    return t;
  };

  const addComment = (
    t: EmulatedTicket,
    c: { author: EmulatedUser; body?: string; html?: string; public: boolean; channel: string; uploads?: string[] },
  ): EmulatedComment => {
    const attachments: EmulatedAttachment[] = [];
    for (const token of c.uploads ?? []) {
      const upload = uploads.get(token);
      if (!upload || upload.attached) {
        warnings.push(`comment uploads: token ${token} is ${upload ? 'already attached' : 'unknown'}`);
        continue;
      }
      upload.attached = true;
      attachments.push(...upload.attachments);
    }
    const html = c.html ?? toHtml(c.body ?? '');
    const plain = c.body ?? stripHtml(html);
    const comment: EmulatedComment = {
      id: nextCommentId++,
      type: 'Comment',
      author_id: c.author.id,
      body: plain,
      html_body: html,
      plain_body: plain,
      public: c.public,
      audit_id: nextAuditId++,
      via: viaOf(c.channel, c.channel === 'web' ? { rel: null } : {}),
      created_at: nowIso(),
      attachments,
    };
    t.comments.push(comment);
    t.updated_at = comment.created_at;
    return comment;
  };

  const parseComment = (
    raw: unknown,
  ): { body?: string; html?: string; public: boolean; authorId?: number; uploads?: string[] } => {
    if (!isRecord(raw)) return { public: true };
    const body = str(raw.body);
    const html = str(raw.html_body);
    if (raw.uploads !== undefined && (!Array.isArray(raw.uploads) || raw.uploads.some((u) => typeof u !== 'string')))
      throw invalid({ uploads: [{ description: 'Uploads: must be a list of tokens', error: 'InvalidValue' }] });
    return {
      ...(Array.isArray(raw.uploads) ? { uploads: raw.uploads as string[] } : {}),
      ...(body !== undefined && body.trim() !== '' ? { body } : {}),
      ...(html !== undefined && html.trim() !== '' ? { html } : {}),
      public: raw.public !== false,
      ...(num(raw.author_id) !== undefined ? { authorId: num(raw.author_id) } : {}),
    };
  };

  const resolveAuthor = (id: number | undefined, field: string): EmulatedUser => {
    if (id === undefined) return apiUser;
    const u = users.get(id);
    if (!u) throw invalid({ [field]: [{ description: `${field}: is invalid`, error: 'InvalidValue' }] });
    return u;
  };

  const createTicket = (body: Record<string, unknown>): Reply => {
    const raw = body.ticket;
    if (!isRecord(raw)) throw badRequest('Parameter ticket is required');
    const comment = parseComment(raw.comment);
    if (comment.body === undefined && comment.html === undefined)
      throw invalid({ base: [{ description: 'Description: cannot be blank', error: 'BlankValue' }] });
    const requesterId = num(raw.requester_id);
    let requester = apiUser;
    if (requesterId !== undefined) {
      const r = users.get(requesterId);
      if (!r) throw invalid({ requester: [{ description: 'Requester: is invalid', error: 'InvalidValue' }] });
      requester = r;
    }
    const author = resolveAuthor(comment.authorId ?? requester.id, 'author_id');
    let via = viaOf('api');
    let source: EmulatedTicket | undefined;
    const followup = raw.via_followup_source_id;
    if (followup !== undefined) {
      source = tickets.get(num(followup) ?? -1);
      if (!source || source.deleted || source.status !== 'closed')
        throw invalid({
          via_followup_source_id: [
            { description: 'Via followup source: must be a closed ticket', error: 'InvalidValue' },
          ],
        });
      via = viaOf('api', { rel: 'follow_up', from: { ticket_id: source.id, subject: source.subject } });
    }
    const status = str(raw.status);
    if (status !== undefined && !STATUSES.includes(status as TicketStatus))
      throw invalid({ status: [{ description: `Status: ${status} is not valid`, error: 'InvalidValue' }] });
    const comm = comment.body ?? stripHtml(comment.html ?? '');
    const t: EmulatedTicket = {
      id: nextTicketId++,
      subject: str(raw.subject) ?? comm.slice(0, 80),
      status: (status as TicketStatus | undefined) ?? 'new',
      requester_id: requester.id,
      submitter_id: author.id,
      assignee_id: num(raw.assignee_id) ?? null,
      external_id: str(raw.external_id) ?? null,
      tags: [...new Set(tagList(raw.tags))],
      via,
      followup_ids: [],
      deleted: false,
      comments: [],
      created_at: nowIso(),
      updated_at: nowIso(),
    };
    if (t.status === 'new' && t.assignee_id !== null) t.status = 'open';
    tickets.set(t.id, t);
    if (source) source.followup_ids.push(t.id);
    const c = addComment(t, {
      author,
      body: comment.body,
      html: comment.html,
      public: comment.public,
      channel: 'api',
      uploads: comment.uploads,
    });
    emitTriggers(t, { type: 'Create', viaId: VIA_IDS.api ?? 5, currentUser: apiUser, comment: c });
    return {
      status: 201,
      body: { ticket: ticketJson(t), audit: { id: c.audit_id, ticket_id: t.id, author_id: apiUser.id } },
      headers: { Location: `${baseUrl}/api/v2/tickets/${t.id}.json` },
    };
  };

  const updateTicket = (t: EmulatedTicket, body: Record<string, unknown>): Reply => {
    const raw = body.ticket;
    if (!isRecord(raw)) throw badRequest('Parameter ticket is required');
    if (t.status === 'closed')
      throw invalid({
        status: [{ description: 'Status: closed prevents ticket update', error: 'InvalidValue' }],
      });
    const status = str(raw.status);
    if (status !== undefined && !STATUSES.includes(status as TicketStatus))
      throw invalid({ status: [{ description: `Status: ${status} is not valid`, error: 'InvalidValue' }] });
    let comment: EmulatedComment | undefined;
    if (raw.comment !== undefined) {
      const parsed = parseComment(raw.comment);
      if (parsed.body === undefined && parsed.html === undefined)
        throw invalid({ comment: [{ description: 'Comment: cannot be blank', error: 'BlankValue' }] });
      const author = resolveAuthor(parsed.authorId, 'author_id');
      comment = addComment(t, {
        author,
        body: parsed.body,
        html: parsed.html,
        public: parsed.public,
        channel: 'api',
        uploads: parsed.uploads,
      });
      // An end user's comment reopens a pending or solved ticket.
      if (author.role === 'end-user' && (t.status === 'solved' || t.status === 'pending') && status === undefined)
        t.status = 'open';
    }
    if (status !== undefined) t.status = status as TicketStatus;
    if (raw.tags !== undefined) t.tags = [...new Set(tagList(raw.tags))];
    if (raw.additional_tags !== undefined) t.tags = [...new Set([...t.tags, ...tagList(raw.additional_tags)])];
    if (raw.external_id !== undefined) t.external_id = str(raw.external_id) ?? null;
    if (raw.subject !== undefined) t.subject = str(raw.subject) ?? t.subject;
    t.updated_at = nowIso();
    emitTriggers(t, { type: 'Change', viaId: VIA_IDS.api ?? 5, currentUser: apiUser, comment });
    return {
      status: 200,
      body: { ticket: ticketJson(t), audit: { id: comment?.audit_id ?? nextAuditId++, ticket_id: t.id } },
    };
  };

  // --- Deleting --------------------------------------------------------------------------------------------

  const jobStatus = (): Record<string, unknown> => {
    const id = crypto.randomBytes(16).toString('hex');
    return {
      id,
      url: `${baseUrl}/api/v2/job_statuses/${id}.json`,
      total: 1,
      progress: 0,
      status: 'queued',
      message: null,
      results: null,
    };
  };

  const deleteUser = (u: EmulatedUser): Reply => {
    if (u.deleted) throw notFound();
    if (u.id === apiUser.id)
      throw new ApiError(403, {
        error: 'Forbidden',
        description:
          'You do not have access to this page. Please contact the account owner of this help desk for further help.',
      });
    const open = [...tickets.values()].filter((t) => !t.deleted && t.requester_id === u.id && t.status !== 'closed');
    if (open.length > 0)
      throw invalid({
        base: [
          {
            description: `User is the requester of tickets that are not closed (${open.map((t) => `#${t.id}`).join(', ')})`,
            error: 'RequesterHasOpenTickets',
          },
        ],
      });
    u.deleted = 'soft';
    u.updated_at = nowIso();
    return { status: 200, body: { user: userJson(u) } };
  };

  // --- Triggers --------------------------------------------------------------------------------------------

  const matches = (c: Condition, t: EmulatedTicket, ctx: UpdateContext): boolean => {
    const op = c.operator;
    const is = (ok: boolean): boolean => (op === 'is_not' ? !ok : ok);
    switch (c.field) {
      case 'update_type':
        return is(String(c.value) === ctx.type);
      case 'comment_is_public': {
        const want = truthy(c.value);
        const pub = ctx.comment?.public ?? false;
        if (c.value === 'not_relevant') return is(ctx.comment === undefined || !pub);
        return want === undefined ? false : is(pub === want);
      }
      case 'ticket_is_public': {
        const want = truthy(c.value);
        return want === undefined ? false : is(t.comments.some((x) => x.public) === want);
      }
      case 'current_tags': {
        const wanted = tagList(c.value);
        const any = wanted.some((w) => t.tags.includes(w));
        if (op === 'includes') return any;
        if (op === 'not_includes') return !any;
        break;
      }
      case 'current_via_id':
        if (op === 'is' || op === 'is_not') return is(num(c.value) === ctx.viaId);
        break;
      case 'role': {
        const want = normRole(c.value);
        const role = normRole(ctx.currentUser.role);
        const ok = want === 'agent' ? role === 'agent' || role === 'admin' : role === want;
        if (op === 'is' || op === 'is_not') return is(ok);
        break;
      }
      case 'comment_author': {
        if (!ctx.comment) return false;
        const author = users.get(ctx.comment.author_id);
        const role = normRole(author?.role);
        const want = normRole(c.value);
        const ok = want === 'agent' ? role === 'agent' || role === 'admin' : role === want;
        if (op === 'is' || op === 'is_not') return is(ok);
        break;
      }
      case 'status': {
        const want = STATUSES.indexOf(String(c.value) as TicketStatus);
        const have = STATUSES.indexOf(t.status);
        if (want < 0) break;
        if (op === 'is' || op === 'is_not') return is(have === want);
        if (op === 'less_than') return have < want;
        if (op === 'greater_than') return have > want;
        break;
      }
      case 'requester_id': {
        const id = c.value === 'current_user' ? ctx.currentUser.id : num(c.value);
        if (op === 'is' || op === 'is_not') return is(t.requester_id === id);
        break;
      }
      default:
        break;
    }
    warnings.push(`unsupported trigger condition ${JSON.stringify(c)}`);
    return false;
  };

  const fires = (tr: EmulatedTrigger, t: EmulatedTicket, ctx: UpdateContext): boolean =>
    tr.active &&
    tr.conditions.all.every((c) => matches(c, t, ctx)) &&
    (tr.conditions.any.length === 0 || tr.conditions.any.some((c) => matches(c, t, ctx)));

  const render = (template: string, t: EmulatedTicket, ctx: UpdateContext, json: boolean): string => {
    const latest = t.comments[t.comments.length - 1];
    const latestPublic = [...t.comments].reverse().find((c) => c.public);
    const author = latest ? users.get(latest.author_id) : undefined;
    const requester = users.get(t.requester_id);
    const values: Record<string, string> = {
      'ticket.id': String(t.id),
      'ticket.external_id': t.external_id ?? '',
      'ticket.title': t.subject,
      'ticket.status': t.status.charAt(0).toUpperCase() + t.status.slice(1),
      'ticket.tags': t.tags.join(' '),
      'ticket.url': `${baseUrl.replace(/^https?:\/\//, '')}/agent/tickets/${t.id}`,
      'ticket.via': t.via.channel === 'api' ? 'Web Service' : 'Web Form',
      'ticket.account': 'Emulated Zendesk',
      'ticket.requester.id': String(t.requester_id),
      'ticket.requester.name': requester?.name ?? '',
      'ticket.requester.email': requester?.email ?? '',
      'ticket.requester.external_id': requester?.external_id ?? '',
      'ticket.latest_comment': latest?.plain_body ?? '',
      'ticket.latest_comment_html': latest?.html_body ?? '',
      'ticket.latest_public_comment': latestPublic?.plain_body ?? '',
      'ticket.latest_public_comment_html': latestPublic?.html_body ?? '',
      'ticket.latest_comment.id': latest ? String(latest.id) : '',
      'ticket.latest_comment.value': latest?.plain_body ?? '',
      'ticket.latest_comment.is_public': latest ? String(latest.public) : '',
      'ticket.latest_comment.created_at': latest?.created_at ?? '',
      'ticket.latest_comment.author.id': author ? String(author.id) : '',
      'ticket.latest_comment.author.name': author?.name ?? '',
      'ticket.latest_comment.author.email': author?.email ?? '',
      'ticket.latest_comment.author.photo_url': author?.photoUrl ?? '',
      'current_user.id': String(ctx.currentUser.id),
      'current_user.name': ctx.currentUser.name,
      'current_user.email': ctx.currentUser.email ?? '',
      'current_user.external_id': ctx.currentUser.external_id ?? '',
      'current_user.photo_url': ctx.currentUser.photoUrl ?? '',
    };
    return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, key: string) => {
      const v = values[key];
      if (v === undefined) {
        warnings.push(`unknown placeholder {{${key}}}`);
        return '';
      }
      return json ? JSON.stringify(v).slice(1, -1) : v;
    });
  };

  const deliver = async (
    hook: { id: string; endpoint: string; http_method: string },
    rawBody: string,
    headers: Record<string, string>,
    meta: { triggerId?: number; ticketId?: number },
  ): Promise<Delivery> => {
    let status = 0;
    let responseBody: string;
    try {
      const res = await fetch(hook.endpoint, {
        method: hook.http_method,
        headers,
        ...(hook.http_method === 'GET' || hook.http_method === 'DELETE' ? {} : { body: rawBody }),
        signal: AbortSignal.timeout(webhookTimeoutMs),
      });
      status = res.status;
      responseBody = await res.text();
    } catch (err) {
      responseBody = String(err);
    }
    const delivery: Delivery = {
      webhookId: hook.id,
      invocationId: headers['x-zendesk-webhook-invocation-id'] ?? '',
      ...meta,
      url: hook.endpoint,
      status,
      responseBody,
      rawBody,
      headers,
      at: Date.now(),
    };
    deliveries.push(delivery);
    return delivery;
  };

  const sendWebhook = (
    hook: EmulatedWebhook,
    rawBody: string,
    meta: { triggerId?: number; ticketId?: number },
    badSignature = false,
  ): Promise<Delivery> => {
    const timestamp = nowIso();
    const secret = badSignature ? `${hook.secret}-wrong` : hook.secret;
    const signature = crypto
      .createHmac('sha256', secret)
      .update(timestamp + rawBody)
      .digest('base64');
    const headers: Record<string, string> = {
      'Content-Type': hook.request_format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
      'User-Agent': 'Zendesk Webhook',
      'X-Zendesk-Webhook-Signature': signature,
      'X-Zendesk-Webhook-Signature-Timestamp': timestamp,
      'x-zendesk-webhook-id': hook.id,
      'x-zendesk-webhook-invocation-id': String(crypto.randomInt(1e9, 1e10)),
      'x-zendesk-account-id': String(ACCOUNT_ID),
    };
    const auth = hook.authentication;
    if (auth?.data) {
      if (auth.type === 'bearer_token') headers.Authorization = `Bearer ${auth.data.token ?? ''}`;
      if (auth.type === 'basic_auth')
        headers.Authorization = `Basic ${Buffer.from(`${auth.data.username ?? ''}:${auth.data.password ?? ''}`).toString('base64')}`;
      if (auth.type === 'api_key' && auth.data.name) headers[auth.data.name] = auth.data.value ?? '';
    }
    return deliver(hook, rawBody, headers, meta);
  };

  /** Runs triggers on an update; returns fired titles and the webhook deliveries (in flight). */
  const runTriggers = (t: EmulatedTicket, ctx: UpdateContext): { fired: string[]; sends: Promise<Delivery>[] } => {
    const fired: string[] = [];
    const sends: Promise<Delivery>[] = [];
    if (t.status === 'closed' && ctx.type === 'Change' && ctx.comment === undefined) return { fired, sends };
    const done = new Set<number>();
    const ordered = [...triggers.values()].sort((a, b) => a.position - b.position);
    let changed = true;
    while (changed) {
      changed = false;
      for (const tr of ordered) {
        if (done.has(tr.id) || !fires(tr, t, ctx)) continue;
        done.add(tr.id);
        fired.push(tr.title);
        for (const action of tr.actions) {
          const value = action.value;
          const arr = Array.isArray(value) ? value : [value];
          switch (action.field) {
            case 'notification_webhook': {
              const hook = webhooks.get(String(arr[0]));
              if (!hook || hook.status !== 'active') break;
              const template = typeof arr[1] === 'string' ? arr[1] : '';
              const rawBody = render(template, t, ctx, hook.request_format === 'json');
              sends.push(sendWebhook(hook, rawBody, { triggerId: tr.id, ticketId: t.id }, ctx.badSignature));
              break;
            }
            case 'notification_user': {
              const recipient = String(arr[0]);
              if (recipient !== 'requester_id' && recipient !== 'requester_and_ccs') break;
              if (!ctx.comment?.public && ctx.type === 'Change') break;
              if (ctx.comment?.author_id === t.requester_id) break;
              const requester = users.get(t.requester_id);
              if (!requester) break;
              requesterEmails.push({
                to: requester.email,
                userId: requester.id,
                ticketId: t.id,
                triggerId: tr.id,
                triggerTitle: tr.title,
                subject: render(String(arr[1] ?? ''), t, ctx, false),
                body: render(String(arr[2] ?? ''), t, ctx, false),
                at: Date.now(),
              });
              break;
            }
            case 'current_tags':
            case 'set_tags':
            case 'remove_tags': {
              const tags = tagList(value);
              const before = t.tags.join(' ');
              if (action.field === 'current_tags') t.tags = [...new Set([...t.tags, ...tags])];
              else if (action.field === 'set_tags') t.tags = [...new Set(tags)];
              else t.tags = t.tags.filter((x) => !tags.includes(x));
              if (t.tags.join(' ') !== before) changed = true;
              break;
            }
            case 'status':
              if (STATUSES.includes(String(value) as TicketStatus) && t.status !== value) {
                t.status = value as TicketStatus;
                changed = true;
              }
              break;
            default:
              warnings.push(`unsupported trigger action ${JSON.stringify(action)}`);
          }
        }
      }
    }
    return { fired, sends };
  };

  /** Fire-and-forget, for updates made through the API (awaited by `settle()` and `close()`). */
  function emitTriggers(t: EmulatedTicket, ctx: UpdateContext): void {
    for (const p of runTriggers(t, ctx).sends) {
      const q = p.finally(() => pending.delete(q));
      pending.add(q);
    }
  }

  // --- Users -----------------------------------------------------------------------------------------------

  const emailsOf = (u: EmulatedUser): string[] => [...(u.email ? [u.email] : []), ...u.secondaryEmails];
  const liveUsers = (): EmulatedUser[] => [...users.values()].filter((u) => u.deleted === undefined);
  const userByEmail = (mail: string): EmulatedUser | undefined =>
    liveUsers().find((u) => emailsOf(u).some((e) => e.toLowerCase() === mail));
  // "External ID values are not case sensitive" (using-external-id-with-profiles; Create Or Update User).
  const userByExternalId = (ext: string): EmulatedUser | undefined =>
    liveUsers().find((u) => u.external_id?.toLowerCase() === ext.toLowerCase());

  /**
   * Create Or Update User: "updates an existing user identified by e-mail address or external ID", else creates
   * one. A user found by external id takes the case of the one sent; on update an email is added as a secondary
   * identity (the primary one is "writeable on create only"), and an email another user has is refused with 422
   * "Email: … is already being used by another user". A user found by email gets the external id sent, and the
   * name, role, notes and details, whoever it is.
   */
  const createOrUpdateUser = (body: Record<string, unknown>): Reply => {
    const raw = body.user;
    if (!isRecord(raw)) throw badRequest('Parameter user is required');
    const externalId =
      typeof raw.external_id === 'string' || typeof raw.external_id === 'number' ? String(raw.external_id) : undefined;
    const mail = str(raw.email)?.toLowerCase();
    // A deleted user is matched by nothing: someone coming back gets a new profile (userByEmail/ByExternalId).
    let user = externalId === undefined ? undefined : userByExternalId(externalId);
    if (!user && mail !== undefined) user = userByEmail(mail);
    const role = str(raw.role);
    if (role !== undefined && !['end-user', 'agent', 'admin'].includes(role))
      throw invalid({ role: [{ description: `Role: ${role} is not valid`, error: 'InvalidValue' }] });
    if (mail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(mail))
      throw invalid({ email: [{ description: `Email: ${mail} is not properly formatted`, error: 'InvalidFormat' }] });
    const notes = str(raw.notes);
    const details = str(raw.details);
    if (user) {
      const holder = mail === undefined ? undefined : userByEmail(mail);
      if (holder && holder.id !== user.id)
        throw invalid({
          email: [{ description: `Email: ${mail} is already being used by another user`, error: 'DuplicateValue' }],
        });
      const name = str(raw.name);
      if (name !== undefined && name.trim() !== '') user.name = name;
      if (mail !== undefined && !holder) {
        if (user.email === null) user.email = mail;
        else user.secondaryEmails.push(mail);
      }
      if (externalId !== undefined) user.external_id = externalId;
      if (role !== undefined) user.role = role as UserRole;
      if (notes !== undefined) user.notes = notes;
      if (details !== undefined) user.details = details;
      user.updated_at = nowIso();
      return { status: 200, body: { user: userJson(user) } };
    }
    const name = str(raw.name);
    if (name === undefined || name.trim() === '')
      throw invalid({
        name: [{ description: 'Name:  is too short (minimum is 1 character)', error: 'BlankValue' }],
      });
    user = addUser({
      name,
      email: mail ?? null,
      external_id: externalId ?? null,
      secondaryEmails: [],
      role: (role as UserRole | undefined) ?? 'end-user',
      signature: null,
      photoUrl: null,
      notes: notes ?? '',
      details: details ?? '',
    });
    return { status: 201, body: { user: userJson(user) } };
  };

  // --- Webhooks --------------------------------------------------------------------------------------------

  const webhookError = (title: string, detail: string, pointer: string): ApiError =>
    new ApiError(400, { errors: [{ code: 'InvalidValue', title, detail, source: { pointer } }] });

  const validateWebhook = (raw: Record<string, unknown>, existing?: EmulatedWebhook): EmulatedWebhook => {
    const merged = { ...(existing ? webhookJson(existing) : {}), ...raw };
    const name = str(merged.name);
    if (!name) throw webhookError('Invalid value', 'Name cannot be blank', '/webhook/name');
    const endpoint = str(merged.endpoint);
    let ok: boolean;
    try {
      ok = endpoint !== undefined && ['http:', 'https:'].includes(new URL(endpoint).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw webhookError('Invalid value', 'Endpoint is not a valid URL', '/webhook/endpoint');
    const method = str(merged.http_method) ?? 'POST';
    if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
      throw webhookError('Invalid value', 'Invalid http_method', '/webhook/http_method');
    const format = str(merged.request_format) ?? 'json';
    if (!['json', 'xml', 'form_encoded'].includes(format))
      throw webhookError('Invalid value', 'Invalid request_format', '/webhook/request_format');
    const status = str(merged.status) ?? 'active';
    if (status !== 'active' && status !== 'inactive')
      throw webhookError('Invalid value', 'Invalid status', '/webhook/status');
    const subs = merged.subscriptions;
    if (!Array.isArray(subs) || subs.length === 0 || subs.some((s) => typeof s !== 'string'))
      throw webhookError('Invalid value', 'Subscriptions cannot be blank', '/webhook/subscriptions');
    let authentication: WebhookAuthentication | undefined = existing?.authentication;
    if (raw.authentication !== undefined) {
      const a = raw.authentication;
      if (a === null) authentication = undefined;
      else if (!isRecord(a) || !['basic_auth', 'bearer_token', 'api_key'].includes(String(a.type)))
        throw webhookError('Invalid value', 'Invalid authentication type', '/webhook/authentication/type');
      else
        authentication = {
          type: a.type as WebhookAuthentication['type'],
          add_position: 'header',
          ...(isRecord(a.data)
            ? { data: Object.fromEntries(Object.entries(a.data).map(([k, v]) => [k, String(v)])) }
            : {}),
        };
    }
    return {
      id: existing?.id ?? ulid(),
      name,
      ...(str(merged.description) !== undefined ? { description: str(merged.description) } : {}),
      endpoint: endpoint as string,
      http_method: method,
      request_format: format,
      status,
      subscriptions: subs as string[],
      ...(authentication ? { authentication } : {}),
      secret: existing?.secret ?? crypto.randomBytes(32).toString('base64url'),
      created_at: existing?.created_at ?? nowIso(),
      updated_at: nowIso(),
    };
  };

  // --- Triggers API ----------------------------------------------------------------------------------------

  const parseConditions = (raw: unknown): Condition[] => {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw invalid({ conditions: [{ description: 'Conditions: invalid', error: 'Invalid' }] });
    return raw.map((c: unknown) => {
      if (!isRecord(c) || typeof c.field !== 'string')
        throw invalid({ conditions: [{ description: 'Conditions: invalid condition', error: 'Invalid' }] });
      return { field: c.field, operator: str(c.operator) ?? 'is', value: c.value ?? null };
    });
  };

  const validateTrigger = (raw: unknown, existing?: EmulatedTrigger): EmulatedTrigger => {
    if (!isRecord(raw)) throw badRequest('Parameter trigger is required');
    const title = raw.title === undefined ? existing?.title : str(raw.title);
    if (!title) throw invalid({ title: [{ description: 'Title: cannot be blank', error: 'BlankValue' }] });
    const conds = isRecord(raw.conditions) ? raw.conditions : raw;
    const all = raw.conditions === undefined && raw.all === undefined ? existing?.conditions.all : undefined;
    const conditions = {
      all: all ?? parseConditions(conds.all),
      any:
        raw.conditions === undefined && raw.any === undefined
          ? (existing?.conditions.any ?? [])
          : parseConditions(conds.any),
    };
    if (conditions.all.length === 0 && conditions.any.length === 0)
      throw invalid({ conditions: [{ description: 'Conditions: cannot be blank', error: 'BlankValue' }] });
    let actions = existing?.actions;
    if (raw.actions !== undefined) {
      if (!Array.isArray(raw.actions) || raw.actions.some((a) => !isRecord(a) || typeof a.field !== 'string'))
        throw invalid({ actions: [{ description: 'Actions: invalid', error: 'Invalid' }] });
      actions = (raw.actions as Record<string, unknown>[]).map((a) => ({ field: String(a.field), value: a.value }));
    }
    if (!actions || actions.length === 0)
      throw invalid({ actions: [{ description: 'Actions: cannot be blank', error: 'BlankValue' }] });
    return {
      id: existing?.id ?? nextTriggerId++,
      title,
      active: typeof raw.active === 'boolean' ? raw.active : (existing?.active ?? true),
      position: num(raw.position) ?? existing?.position ?? triggers.size + 1,
      description: raw.description === undefined ? (existing?.description ?? null) : (str(raw.description) ?? null),
      default: existing?.default ?? false,
      category_id: str(raw.category_id) ?? existing?.category_id ?? '1',
      conditions,
      actions,
      created_at: existing?.created_at ?? nowIso(),
      updated_at: nowIso(),
    };
  };

  // --- Uploads ---------------------------------------------------------------------------------------------

  const upload = (query: URLSearchParams, headers: http.IncomingHttpHeaders, bytes: Buffer): Reply => {
    const name = query.get('filename');
    if (!name) throw badRequest('Parameter filename is required');
    if (bytes.length > maxUploadBytes)
      throw new ApiError(413, { error: 'RequestEntityTooLarge', description: 'File size exceeds the upload limit' });
    const token = query.get('token');
    let entry = token ? uploads.get(token) : undefined;
    if (token && (!entry || entry.attached)) throw notFound();
    if (!entry) {
      entry = { token: crypto.randomBytes(12).toString('base64url'), attachments: [], attached: false };
      uploads.set(entry.token, entry);
    }
    const contentToken = crypto.randomBytes(16).toString('base64url');
    const attachment: EmulatedAttachment = {
      id: nextAttachmentId++,
      file_name: name,
      content_type: (headers['content-type'] ?? 'application/octet-stream').split(';')[0]?.trim() ?? '',
      size: bytes.length,
      content_url: `${baseUrl}/attachments/token/${contentToken}/?name=${encodeURIComponent(name)}`,
      bytes,
    };
    entry.attachments.push(attachment);
    return {
      status: 201,
      body: {
        upload: {
          token: entry.token,
          expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          attachments: entry.attachments.map(attachmentJson),
          attachment: attachmentJson(attachment),
        },
      },
    };
  };

  const download = (path: string): Reply => {
    const all = [...uploads.values()].flatMap((u) => u.attachments);
    const found = all.find((a) => new URL(a.content_url).pathname === path.replace(/\/?$/, '/'));
    if (!found) throw notFound();
    return {
      status: 200,
      bytes: found.bytes,
      headers: {
        'Content-Type': found.content_type,
        'Content-Disposition': `attachment; filename="${found.file_name.replace(/["\\]/g, '_')}"`,
      },
    };
  };

  // --- Router ----------------------------------------------------------------------------------------------

  const route = (method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): Reply => {
    const p = path.replace(/\.json$/, '');
    let m: RegExpExecArray | null;

    if (p === '/api/v2/users/create_or_update' && method === 'POST') return createOrUpdateUser(body);
    if (p === '/api/v2/users/me' && method === 'GET') return { status: 200, body: { user: userJson(apiUser) } };
    if (p === '/api/v2/users/search' && method === 'GET') {
      const ext = query.get('external_id');
      const q = query.get('query');
      let found: EmulatedUser[] = [];
      const live = [...users.values()].filter((u) => u.deleted === undefined);
      if (ext !== null) found = live.filter((u) => u.external_id?.toLowerCase() === ext.toLowerCase());
      else if (q !== null)
        found = live.filter(
          (u) => u.email?.toLowerCase() === q.replace(/^email:/, '').toLowerCase() || u.name.includes(q),
        );
      return { status: 200, body: list('users', found.map(userJson)) };
    }
    if ((m = /^\/api\/v2\/users\/(\d+)$/.exec(p))) {
      const u = users.get(Number(m[1]));
      if (!u || u.deleted === 'permanent') throw notFound();
      if (method === 'GET') return { status: 200, body: { user: userJson(u) } };
      if (method === 'DELETE') return deleteUser(u);
    }
    if ((m = /^\/api\/v2\/users\/(\d+)\/tickets\/requested$/.exec(p)) && method === 'GET') {
      const id = Number(m[1]);
      const items = [...tickets.values()].filter((t) => !t.deleted && t.requester_id === id);
      return { status: 200, body: list('tickets', items.map(ticketJson)) };
    }
    if ((m = /^\/api\/v2\/deleted_users\/(\d+)$/.exec(p))) {
      const u = users.get(Number(m[1]));
      // Only users deleted but not yet permanently are here.
      if (!u || u.deleted !== 'soft') throw notFound();
      if (method === 'GET') return { status: 200, body: { deleted_user: deletedUserJson(u) } };
      if (method === 'DELETE') {
        Object.assign(u, {
          name: 'Permanently Deleted User',
          email: null,
          external_id: null,
          // Permanent deletion scrubs the profile: notes and details too ("Permanently deleting a user").
          notes: '',
          details: '',
          secondaryEmails: [],
          signature: null,
          photoUrl: null,
          deleted: 'permanent',
          updated_at: nowIso(),
        });
        return { status: 200, body: { deleted_user: deletedUserJson(u) } };
      }
    }
    if ((m = /^\/api\/v2\/deleted_tickets\/(\d+)$/.exec(p)) && method === 'DELETE') {
      const t = tickets.get(Number(m[1]));
      if (!t || !t.deleted) throw notFound();
      // Permanently: the ticket and its comments are gone (Zendesk does it in a job; the answer is its status).
      tickets.delete(t.id);
      return { status: 200, body: { job_status: jobStatus() } };
    }

    if (p === '/api/v2/tickets') {
      if (method === 'POST') return createTicket(body);
      if (method === 'GET') {
        const ext = query.get('external_id');
        const items = [...tickets.values()].filter((t) => !t.deleted && (ext === null || t.external_id === ext));
        return { status: 200, body: list('tickets', items.map(ticketJson)) };
      }
    }
    if ((m = /^\/api\/v2\/tickets\/(\d+)$/.exec(p))) {
      const t = liveTicket(Number(m[1]));
      if (method === 'GET') return { status: 200, body: { ticket: ticketJson(t) } };
      if (method === 'PUT') return updateTicket(t, body);
      if (method === 'DELETE') {
        t.deleted = true;
        t.updated_at = nowIso();
        return { status: 204 };
      }
    }
    if ((m = /^\/api\/v2\/tickets\/(\d+)\/comments$/.exec(p)) && method === 'GET') {
      const t = liveTicket(Number(m[1]));
      const items = query.get('sort_order') === 'desc' ? [...t.comments].reverse() : t.comments;
      return { status: 200, body: list('comments', items.map(commentJson)) };
    }

    if (p === '/api/v2/webhooks') {
      if (method === 'POST') {
        if (!isRecord(body.webhook)) throw webhookError('Invalid value', 'webhook is required', '/webhook');
        const hook = validateWebhook(body.webhook);
        webhooks.set(hook.id, hook);
        return { status: 201, body: { webhook: webhookJson(hook) } };
      }
      if (method === 'GET') {
        const needle = query.get('filter[name_contains]')?.toLowerCase();
        const items = [...webhooks.values()].filter((h) => !needle || h.name.toLowerCase().includes(needle));
        return {
          status: 200,
          body: {
            webhooks: items.map(webhookJson),
            meta: { has_more: false, after_cursor: null, before_cursor: null },
            links: { next: null, prev: null },
          },
        };
      }
    }
    if ((m = /^\/api\/v2\/webhooks\/([^/]+)(\/signing_secret)?$/.exec(p))) {
      const hook = webhooks.get(m[1] ?? '');
      const missing = new ApiError(404, {
        errors: [{ code: 'WebhookNotFound', title: 'Webhook not found', detail: 'Webhook not found' }],
      });
      if (!hook) throw missing;
      if (m[2]) {
        if (method === 'GET')
          return { status: 200, body: { signing_secret: { secret: hook.secret, algorithm: 'SHA256' } } };
        if (method === 'POST') {
          hook.secret = crypto.randomBytes(32).toString('base64url');
          return { status: 200, body: { signing_secret: { secret: hook.secret, algorithm: 'SHA256' } } };
        }
      } else {
        if (method === 'GET') return { status: 200, body: { webhook: webhookJson(hook) } };
        if (method === 'PATCH' || method === 'PUT') {
          const raw = isRecord(body.webhook) ? body.webhook : {};
          webhooks.set(hook.id, validateWebhook(raw, hook));
          return { status: 204 };
        }
        if (method === 'DELETE') {
          webhooks.delete(hook.id);
          return { status: 204 };
        }
      }
    }

    if (p === '/api/v2/triggers' || p === '/api/v2/triggers/active') {
      if (method === 'GET') {
        const items = [...triggers.values()]
          .filter((t) => p.endsWith('/triggers') || t.active)
          .filter((t) => query.get('active') === null || String(t.active) === query.get('active'))
          .sort((a, b) => a.position - b.position);
        return { status: 200, body: list('triggers', items.map(triggerJson)) };
      }
      if (method === 'POST' && p === '/api/v2/triggers') {
        const t = validateTrigger(body.trigger);
        triggers.set(t.id, t);
        return { status: 201, body: { trigger: triggerJson(t) } };
      }
    }
    if ((m = /^\/api\/v2\/triggers\/(\d+)$/.exec(p))) {
      const t = triggers.get(Number(m[1]));
      if (!t) throw notFound();
      if (method === 'GET') return { status: 200, body: { trigger: triggerJson(t) } };
      if (method === 'PUT') {
        const updated = validateTrigger(body.trigger, t);
        triggers.set(t.id, updated);
        return { status: 200, body: { trigger: triggerJson(updated) } };
      }
      if (method === 'DELETE') {
        triggers.delete(t.id);
        return { status: 204 };
      }
    }

    throw new ApiError(404, { error: 'InvalidEndpoint', description: 'Not found' });
  };

  // --- Auth, limits, idempotency ---------------------------------------------------------------------------

  const authenticate = (req: http.IncomingMessage): EmulatedUser => {
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const i = decoded.indexOf(':');
    const who = decoded.slice(0, i);
    const secret = decoded.slice(i + 1);
    if (i < 0 || who.toLowerCase() !== `${email.toLowerCase()}/token` || secret !== apiToken)
      throw new ApiError(
        401,
        { error: "Couldn't authenticate you" },
        { 'WWW-Authenticate': 'Basic realm="Web Password"' },
      );
    return apiUser;
  };

  const slide = (hits: number[], windowMs: number, now: number): void => {
    while (hits.length > 0 && (hits[0] ?? 0) <= now - windowMs) hits.shift();
  };

  const retryAfter = (hits: number[], windowMs: number, now: number): string =>
    String(Math.max(1, Math.ceil(((hits[0] ?? now) + windowMs - now) / 1000)));

  const rateHeaders = (): Record<string, string> => {
    const limit = options.accountLimit;
    if (!limit) return {};
    slide(accountHits, limit.windowMs, Date.now());
    const remaining = String(Math.max(0, limit.max - accountHits.length));
    return {
      'X-Rate-Limit': String(limit.max),
      'X-Rate-Limit-Remaining': remaining,
      'ratelimit-limit': String(limit.max),
      'ratelimit-remaining': remaining,
    };
  };

  const consumeAccount = (): void => {
    const limit = options.accountLimit;
    if (!limit) return;
    const now = Date.now();
    slide(accountHits, limit.windowMs, now);
    if (accountHits.length >= limit.max)
      throw new ApiError(
        429,
        { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' },
        { 'Retry-After': retryAfter(accountHits, limit.windowMs, now) },
      );
    accountHits.push(now);
  };

  const consumeTicketUpdate = (method: string, path: string, user: EmulatedUser): Reply | undefined => {
    const limit = options.ticketUpdateLimit;
    const m = /^\/api\/v2\/tickets\/(\d+)(\.json)?$/.exec(path);
    if (!limit || method !== 'PUT' || !m) return undefined;
    const key = `${user.id}:${m[1]}`;
    const hits = ticketHits.get(key) ?? [];
    ticketHits.set(key, hits);
    const now = Date.now();
    slide(hits, limit.windowMs, now);
    if (hits.length >= limit.max)
      return {
        status: 429,
        body: limit.message ?? 'Too Many Requests',
        headers: { 'Retry-After': retryAfter(hits, limit.windowMs, now) },
      };
    hits.push(now);
    return undefined;
  };

  const withIdempotency = (req: http.IncomingMessage, body: Record<string, unknown>, run: () => Reply): Reply => {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return run();
    const now = Date.now();
    for (const [k, v] of idempotency) if (v.at <= now - idempotencyTtlMs) idempotency.delete(k);
    const canon = canonical(body);
    const stored = idempotency.get(key);
    if (stored) {
      if (stored.body !== canon)
        throw new ApiError(400, {
          error: 'IdempotentRequestError',
          description: "Request parameters don't match original request with same idempotency key",
        });
      return { ...stored.reply, headers: { ...stored.reply.headers, 'x-idempotency-lookup': 'hit' } };
    }
    const reply = run();
    if (reply.status < 300) idempotency.set(key, { body: canon, reply, at: now });
    return { ...reply, headers: { ...reply.headers, 'x-idempotency-lookup': 'miss' } };
  };

  // --- HTTP server -----------------------------------------------------------------------------------------

  const dispatch = (
    req: http.IncomingMessage,
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
    bytes: Buffer,
  ): Reply => {
    const user = authenticate(req);
    consumeAccount();
    if (method === 'POST' && /^\/api\/v2\/uploads(\.json)?$/.test(path)) return upload(query, req.headers, bytes);
    if (method === 'GET' && path.startsWith('/attachments/token/')) return download(path);
    const limited = consumeTicketUpdate(method, path, user);
    if (limited) return limited;
    if (method === 'POST' && /^\/api\/v2\/tickets(\.json)?$/.test(path))
      return withIdempotency(req, body, () => route(method, path, query, body));
    return route(method, path, query, body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const call: RecordedCall = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      body: undefined,
      headers: req.headers,
      at: Date.now(),
    };
    calls.push(call);
    const send = (r: Reply): void => {
      call.status = r.status;
      const headers: Record<string, string> = { ...rateHeaders(), ...r.headers };
      if (r.bytes) res.writeHead(r.status, headers).end(r.bytes);
      else if (r.body === undefined || r.status === 204) res.writeHead(r.status, headers).end();
      else if (typeof r.body === 'string')
        res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(r.body);
      else
        res
          .writeHead(r.status, { 'Content-Type': 'application/json; charset=utf-8', ...headers })
          .end(JSON.stringify(r.body));
    };
    try {
      const bytes = await readRawBody(req);
      // An upload's body is the file itself, never JSON.
      const isUpload = /^\/api\/v2\/uploads(\.json)?$/.test(path);
      const raw = isUpload ? '' : bytes.toString('utf8');
      let body: Record<string, unknown> = {};
      if (raw !== '') {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (!isRecord(parsed)) throw new Error('not an object');
          body = parsed;
        } catch {
          call.body = raw;
          throw new ApiError(400, { error: 'Unprocessable Entity', description: 'Server could not parse JSON' });
        }
      }
      call.body = isUpload ? `<${bytes.length} bytes>` : raw === '' ? undefined : body;

      const fault = faults.take(method, path);
      if (fault?.afterEffect) {
        try {
          dispatch(req, method, path, url.searchParams, body, bytes);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
      }
      if (fault) {
        const headers: Record<string, string> = {};
        if (fault.status === 429 || fault.status === 503) headers['Retry-After'] = String(fault.retryAfter ?? 1);
        const defaultBody =
          fault.status === 429
            ? { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' }
            : { error: http.STATUS_CODES[fault.status] ?? 'Error', description: 'Injected fault' };
        return send({ status: fault.status, body: fault.body ?? defaultBody, headers });
      }
      return send(dispatch(req, method, path, url.searchParams, body, bytes));
    } catch (err) {
      if (err instanceof ApiError) return send({ status: err.status, body: err.body, headers: err.headers });
      return send({ status: 500, body: { error: 'InternalError', description: String(err) } });
    }
  };

  const server = http.createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  const settle = async (): Promise<void> => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  return {
    url: baseUrl,
    email,
    apiToken,
    apiUser,
    calls,
    callCount(method, pattern) {
      return calls.filter(
        (c) =>
          c.method === method.toUpperCase() &&
          (typeof pattern === 'string' ? c.path.includes(pattern) : pattern.test(c.path)),
      ).length;
    },
    deliveries,
    requesterEmails,
    uploads: () => [...uploads.values()],
    warnings,

    users: () => [...users.values()],
    user: (id) => users.get(id),
    addAgent(agent) {
      const user = addUser({
        name: agent.name,
        email: agent.email.toLowerCase(),
        external_id: agent.externalId ?? null,
        secondaryEmails: [],
        role: agent.role ?? 'agent',
        signature: agent.signature ?? null,
        photoUrl: agent.photoUrl ?? null,
        notes: '',
        details: '',
      });
      if (agent.createdAt) user.created_at = agent.createdAt;
      return user;
    },
    tickets: () => [...tickets.values()],
    ticket: (id) => tickets.get(id),
    deleteTicket(id) {
      const t = tickets.get(id);
      if (!t) throw new Error(`Zendesk emulator: no ticket ${id}`);
      t.deleted = true;
    },
    setStatus(id, status) {
      const t = tickets.get(id);
      if (!t) throw new Error(`Zendesk emulator: no ticket ${id}`);
      t.status = status;
      t.updated_at = nowIso();
    },
    webhooks: () => [...webhooks.values()],
    triggers: () => [...triggers.values()].sort((a, b) => a.position - b.position),
    trigger: (title) => [...triggers.values()].find((t) => t.title === title),

    async agentComment(ticketId, agentId, text, opts = {}) {
      const t = tickets.get(ticketId);
      if (!t || t.deleted) throw new Error(`Zendesk emulator: no ticket ${ticketId}`);
      if (t.status === 'closed') throw new Error(`Zendesk emulator: ticket ${ticketId} is closed`);
      const agent = users.get(agentId);
      if (!agent || agent.role === 'end-user') throw new Error(`Zendesk emulator: ${agentId} is not an agent`);
      const isPublic = opts.public !== false;
      // Zendesk appends the agent's signature to their public comments made in the agent workspace.
      const signature = agent.signature
        ?.replace(/\{\{\s*agent\.name\s*\}\}/g, agent.name)
        .replace(/\{\{\s*agent\.email\s*\}\}/g, agent.email ?? '');
      const signed = isPublic && signature ? `${text}\n\n${signature}` : text;
      const body = opts.footer ? `${signed}\n\n${opts.footer}` : signed;
      let uploadTokens: string[] | undefined;
      if (opts.attachments?.length) {
        const token = crypto.randomBytes(12).toString('base64url');
        uploads.set(token, { token, attachments: [], attached: false });
        for (const f of opts.attachments)
          upload(new URLSearchParams({ filename: f.name, token }), { 'content-type': f.contentType }, f.bytes);
        uploadTokens = [token];
      }
      const comment = addComment(t, { author: agent, body, public: isPublic, channel: 'web', uploads: uploadTokens });
      if (opts.status) t.status = opts.status;
      else if (t.status === 'new') t.status = 'open';
      if (t.assignee_id === null) t.assignee_id = agent.id;
      const { fired, sends } = runTriggers(t, {
        type: 'Change',
        viaId: VIA_IDS.web ?? 0,
        currentUser: agent,
        comment,
        badSignature: opts.badSignature,
      });
      return { comment, fired, deliveries: await Promise.all(sends) };
    },

    async redeliver(opts = {}) {
      const last = deliveries[deliveries.length - 1];
      if (!last) throw new Error('Zendesk emulator: nothing to redeliver');
      const hook = webhooks.get(last.webhookId);
      const headers = { ...last.headers };
      if (opts.resign && hook) {
        const timestamp = nowIso();
        headers['X-Zendesk-Webhook-Signature-Timestamp'] = timestamp;
        headers['X-Zendesk-Webhook-Signature'] = crypto
          .createHmac('sha256', hook.secret)
          .update(timestamp + last.rawBody)
          .digest('base64');
      }
      return deliver(
        { id: last.webhookId, endpoint: last.url, http_method: hook?.http_method ?? 'POST' },
        last.rawBody,
        headers,
        { triggerId: last.triggerId, ticketId: last.ticketId },
      );
    },
    settle,

    failNext(pattern, answer, times = 1) {
      faults.push(pattern, answer, times);
    },
    clearFaults() {
      faults.clear();
    },
    async close() {
      await settle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
