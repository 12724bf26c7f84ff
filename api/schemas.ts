/**
 * The client API's shapes, in zod: request validation and the OpenAPI document (api/openapi.ts) come from the same
 * schemas. A `.meta({ id })` makes a schema a named component of the document.
 *
 * Shapes that mirror a domain type are checked against it at compile time (`mirrors<T>()`), so the API's answers and
 * the code that builds them cannot drift apart.
 */
import { z } from 'zod';
import type { ZendeskConnection, removeZendesk } from '../integrations/zendesk/connect';
import type { connectHelpScout } from '../integrations/helpscout/connect';
import type { ConversationState } from '../workflows/definitions';
import type {
  AgentInfo,
  Attachment,
  ConversationMessage,
  MessageAction,
  Postback,
  JsonValue,
  OutboxFault,
  OutboxStatus,
  UserProfile,
} from '../common/conversation';
import type { ErasureEntry, ErasureReport, ParleyErasure, WebhookNotice } from '../common/erasure';
import { appIdSchema, INTEGRATIONS } from '../common/config';
import { normalizeUserId } from '../common/ids';
import type { HistoryDeletion } from './erase';
import type { ReadinessCheck } from './health';
import type { IntegrationCheck, IntegrationState } from './integrations';

/** True when A and B have the same keys and each is assignable to the other. */
type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;

/** Returns the schema unchanged; `tsc` refuses it unless its output is exactly `T`. */
const mirrors =
  <T>() =>
  <S extends z.ZodType>(schema: S, ..._check: Same<z.output<S>, T> extends true ? [] : ['the schema does not match']) =>
    schema;

export const MAX_TEXT = 8000;

// ── Path parameters ───────────────────────────────────────────────────────────────────────────────────

/** The config's own rule for app ids, so the document's pattern is the one `parley.config.yaml` is held to. */
export const appIdParam = appIdSchema.meta({
  description: 'The app id as configured (`apps[].id`).',
  param: { id: 'AppId' },
});
export const userIdParam = z
  .string()
  // NFC first, so the limits hold for the id Parley keeps, and `é` and `e` + U+0301 are one user (common/ids.ts).
  .overwrite(normalizeUserId)
  .min(1)
  .max(256, 'at most 256 characters')
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
  .meta({
    description: "Your app's id for the end user, normalised to Unicode NFC (Parley answers with the normalised id).",
    param: { id: 'UserId' },
  });
export const integrationNameParam = z
  .enum(INTEGRATIONS)
  .meta({ description: 'One of the integrations the app has configured.', param: { id: 'IntegrationName' } });

// ── Shared pieces ─────────────────────────────────────────────────────────────────────────────────────

/** Any JSON value (what `z.json()` accepts), named so its recursion is a `$ref` to itself. */
export const jsonValue: z.ZodType<JsonValue> = z
  .lazy(() =>
    z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
  )
  .meta({ id: 'JsonValue' });

const jsonRecord = mirrors<Record<string, JsonValue>>()(
  z.record(z.string().max(200), jsonValue).meta({ id: 'JsonObject', description: 'Keys of at most 200 characters.' }),
);
const isoTime = z.string().describe('ISO 8601');

// ── Request bodies ────────────────────────────────────────────────────────────────────────────────────

/** The most attachments a message may name in its body (config's `storage.maxFilesPerMessage` may say fewer). */
export const MAX_ATTACHMENTS = 50;
export const MAX_PAYLOAD = 1000;

export const postbackSchema = mirrors<Postback>()(
  z
    .strictObject({
      payload: z.string().min(1).max(MAX_PAYLOAD, `at most ${MAX_PAYLOAD} characters`),
      text: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters'),
    })
    .meta({ id: 'Postback', description: "A tap on an agent's button: its payload and its label." }),
);

export const postMessageBody = z
  .strictObject({
    text: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(MAX_TEXT, `at most ${MAX_TEXT} characters`)
      .optional()
      .describe('Required unless the message carries attachments or a postback.'),
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", at most 128 characters')
      .optional()
      .describe('Idempotency key: a repeated id is accepted once and shown once.'),
    metadata: jsonRecord.optional(),
    attachments: z
      .array(z.strictObject({ fileId: z.string().regex(/^file_[A-Za-z0-9_-]{22}$/, 'a file id from POST …/files') }))
      .min(1)
      .max(MAX_ATTACHMENTS)
      .optional()
      .describe('Files uploaded with `POST /v1/apps/{appId}/files`, in order.'),
    postback: postbackSchema.optional(),
    role: z
      .enum(['user', 'bot'])
      .optional()
      .describe("`bot`: your bot's answer, kept in the conversation and never relayed to the team (default `user`)."),
    handoff: z
      .union([z.boolean(), z.strictObject({ reason: z.string().trim().min(1).max(500).optional() })])
      .optional()
      .describe('On a bot message: the bot hands the conversation to the team, with the exchange so far.'),
  })
  .refine((body) => body.text !== undefined || body.attachments !== undefined || body.postback !== undefined, {
    message: 'send text, attachments or a postback',
    path: ['text'],
  })
  .refine((body) => !body.handoff || body.role === 'bot', {
    message: '`handoff` is for bot messages (`role: "bot"`); a user message cannot hand over',
    path: ['handoff'],
  })
  .meta({ id: 'PostMessage' });

export const controlSchema = z.enum(['bot', 'team']).meta({ id: 'Control' });

export const handoffBody = z
  .strictObject({
    to: controlSchema.describe('`team`: the integrations hear of the conversation from now on; `bot`: your bot again.'),
    reason: z.string().trim().min(1).max(500).optional().describe('Shown to the team.'),
  })
  .meta({ id: 'Handoff' });

export const receiptBody = z
  .strictObject({
    status: z
      .enum(['delivered', 'read', 'failed'])
      .describe('`delivered` or `read`: no fallback mail; `failed`: you cannot deliver it, mail it now.'),
  })
  .meta({ id: 'Receipt' });

/** An agent reply's id as Parley gave it (`slack:…`, `zendesk:…`, `email:<…>`). */
export const messageIdParam = z
  .string()
  .min(1)
  .max(1000)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
  .meta({ description: "The message's `id`, as the webhook or `GET …/messages` gave it.", param: { id: 'MessageId' } });

/** A request body and, as the API shows it back, a response's `profile`. */
export const profileBody = mirrors<UserProfile>()(
  z
    .strictObject({
      givenName: z.string().trim().max(200).optional(),
      surname: z.string().trim().max(200).optional(),
      email: z.email().optional(),
      avatarUrl: z.url({ protocol: /^https?$/ }).optional(),
      properties: jsonRecord.optional(),
      device: jsonRecord.optional(),
    })
    .meta({ id: 'UserProfile' }),
);

export const resumeBody = z
  .strictObject({
    outbox: z
      .string()
      .min(1)
      .max(2100)
      .optional()
      .describe('An outbox key (`slack`, `webhook:<url>`, …); all when none.'),
  })
  .meta({ id: 'ResumeOutbox' });

// ── Responses ─────────────────────────────────────────────────────────────────────────────────────────

export const agentSchema = mirrors<AgentInfo>()(
  z.object({ name: z.string(), email: z.string().optional(), avatarUrl: z.string().optional() }).meta({ id: 'Agent' }),
);

export const attachmentSchema = mirrors<Attachment>()(
  z
    .object({
      id: z.string(),
      name: z.string(),
      mediaType: z.string().describe('Sniffed from the bytes, not taken from the client.'),
      size: z.int().describe('Bytes.'),
      url: z
        .string()
        .optional()
        .describe(
          'Parley-served, signed and expiring (`storage.urlTtlSeconds`); read the message again for a fresh one.',
        ),
    })
    .meta({ id: 'Attachment' }),
);

export const actionSchema = mirrors<MessageAction>()(
  z
    .object({
      type: z.enum(['postback', 'reply', 'link']),
      text: z.string().describe("The button's label."),
      payload: z.string().optional().describe('For `postback` and `reply`: send it back as `postback.payload`.'),
      uri: z.string().optional().describe('For `link`: an https URL to open.'),
    })
    .meta({ id: 'Action' }),
);

export const messageSchema = mirrors<ConversationMessage>()(
  z
    .object({
      id: z.string(),
      role: z
        .enum(['user', 'agent', 'bot'])
        .describe('`bot`: posted by the app for its bot while the bot is in control.'),
      text: z.string(),
      at: isoTime,
      metadata: jsonRecord.optional(),
      source: z.string().optional().describe('For agent replies: the system it came from (`slack`, `zendesk`, …).'),
      agent: agentSchema.optional(),
      attachments: z.array(attachmentSchema).optional(),
      actions: z.array(actionSchema).optional().describe("An agent's buttons; several `reply` ones are quick replies."),
      postback: postbackSchema.optional(),
    })
    .meta({ id: 'Message' }),
);

const conversationStatus = mirrors<ConversationState['status']>()(z.enum(['active', 'archived']));

export const acceptedMessage = z
  .object({ message: messageSchema, conversationId: z.string() })
  .meta({ id: 'AcceptedMessage' });
const deliveryStatus = z
  .object({
    messageId: z.string(),
    status: z.string().describe('`delivered`, `read`, `undelivered`, `failed`, `emailed`, `email_failed`.'),
    at: isoTime,
  })
  .meta({ id: 'DeliveryStatus' });

export const messageList = z
  .object({
    conversationId: z.string(),
    status: conversationStatus,
    control: controlSchema,
    messages: z.array(messageSchema),
    deliveries: z.array(deliveryStatus).describe("How agents' replies reached the user, the last 100."),
  })
  .meta({ id: 'MessageList', description: 'The last 100 messages, oldest first.' });
export const acceptedProfile = z
  .object({ profile: profileBody, conversationId: z.string() })
  .meta({ id: 'AcceptedProfile' });
export const archived = z
  .object({ conversationId: z.string(), status: z.literal('archived') })
  .meta({ id: 'Archived' });
export const resumed = z
  .object({ conversationId: z.string(), resumed: z.string().describe('The outbox named, or `all`.') })
  .meta({ id: 'Resumed' });

export const erasureEntry = mirrors<ErasureEntry>()(
  z
    .object({
      system: z.string().describe('`slack`, `zendesk`, `helpscout`, `email`, `sink`.'),
      kind: z.string().describe('`channel`, `dispatch_notice`, `ticket`, `end_user`, `conversation`, `customer`, …'),
      id: z.string().optional().describe("The vendor's id of it."),
      detail: z.string().describe('What was done, or why it stays and what someone can do about it.'),
    })
    .meta({ id: 'ErasureEntry' }),
);

const parleyErasure = mirrors<ParleyErasure>()(
  z
    .object({
      profile: z.boolean().describe('The user had a profile.'),
      messages: z.int().describe('Messages in the window.'),
      queued: z.int().describe('Outbox items still waiting to go out, dropped.'),
      totalMessages: z.int(),
    })
    .describe("What Parley held of the user, all of it cleared; the conversation's Temporal history is deleted."),
);

const webhookNotice = mirrors<WebhookNotice>()(
  z.object({ url: z.string(), delivered: z.boolean(), error: z.string().optional() }),
);

const historyDeletion = mirrors<HistoryDeletion>()(
  z
    .object({
      deleted: z
        .boolean()
        .describe("Temporal accepted the deletion of the conversation's histories (it removes them within seconds)."),
      runs: z.int().describe('How many runs (the conversation and the runs it continued from) were deleted.'),
    })
    .describe("The conversation's workflow histories in Temporal."),
);

export const userErased = mirrors<ErasureReport & { status: 'erased'; history: HistoryDeletion }>()(
  z
    .object({
      conversationId: z.string(),
      status: z.literal('erased'),
      runId: z.string().describe('The erased workflow run.'),
      requestedAt: isoTime,
      completedAt: isoTime,
      parley: parleyErasure,
      erased: z.array(erasureEntry).describe('What Parley removed or anonymised in the vendors.'),
      remains: z.array(erasureEntry).describe('What lives on in the vendors, and why.'),
      webhooks: z.array(webhookNotice).describe('The client webhooks told `user:erased`.'),
      history: historyDeletion,
    })
    .meta({ id: 'UserErased' }),
);
export const userErasing = z
  .object({ conversationId: z.string(), status: z.literal('erasing') })
  .meta({ id: 'UserErasing', description: 'Still erasing (a vendor is slow): the webhook `user:erased` follows.' });

export const outboxStatus = mirrors<OutboxStatus>()(
  z.enum(['idle', 'batching', 'sending', 'budget_wait', 'rate_limited', 'faulted']).meta({ id: 'OutboxStatus' }),
);

/** The workflow's fault, with its epoch-ms re-check time shown as ISO 8601. */
const outboxFault = mirrors<Omit<OutboxFault, 'nextCheckAt'> & { nextCheckAt: string }>()(
  z.object({ type: z.string(), message: z.string(), since: isoTime, attempts: z.int(), nextCheckAt: isoTime }),
);

export const outboxSummary = z
  .object({
    key: z.string().describe('`slack`, `zendesk`, … or `webhook:<url>`.'),
    enabled: z.boolean(),
    status: outboxStatus,
    pending: z.int(),
    delivered: z.int(),
    holdUntil: isoTime.optional(),
    fault: outboxFault.optional(),
  })
  .meta({ id: 'Outbox' });

/** A conversation's backlog (issue 15): what its blocked outboxes hold, and whether new messages are refused. */
export const backlogSummary = z
  .object({
    full: z.boolean().describe('While true, new messages get 429 `conversation_backlogged`.'),
    messages: z
      .int()
      .describe('Deliveries waiting in outboxes that cannot deliver now (faulted, rate-limited, budget).'),
    bytes: z.int(),
    limits: z.object({ messages: z.int(), bytes: z.int() }).describe("The app's `limits.conversationBacklog`."),
    since: isoTime.optional(),
  })
  .meta({ id: 'Backlog' });

/** `conversation:assigned`'s `data.assignment` and `GET …/conversation`'s `assignment`. */
export const assignmentView = z
  .object({
    status: z.enum(['new', 'claimed', 'resolved', 'reopened']),
    assignee: z
      .object({ id: z.string(), name: z.string(), source: z.string() })
      .nullable()
      .describe('The agent handling it (`id` is the Slack user id for `source: slack`).'),
    by: z.object({ id: z.string(), name: z.string() }).optional().describe('Who made the last change.'),
    at: isoTime,
  })
  .meta({ id: 'Assignment' });

export const conversationSummary = z
  .object({
    conversationId: z.string(),
    status: conversationStatus,
    profile: profileBody,
    createdAt: isoTime,
    updatedAt: isoTime,
    totalMessages: z.int(),
    integrations: z.array(z.string()),
    outboxes: z.array(outboxSummary),
    backlog: backlogSummary.optional(),
    control: z
      .object({
        current: controlSchema,
        default: controlSchema.describe('The app’s default: archive returns control to it.'),
        since: isoTime,
        reason: z.string().optional(),
      })
      .describe('Who is in control: the app’s bot, or the team.'),
    offline: z
      .object({
        pending: z.int().describe('Agent replies waiting for a receipt.'),
        mailed: z.int().describe('Fallback mails sent.'),
        stopped: z.array(z.object({ address: z.string(), reason: z.enum(['bounced', 'unsubscribed']), at: isoTime })),
      })
      .optional()
      .describe('Fallback mail to the user (apps[].offline).'),
    assignment: assignmentView
      .nullable()
      .describe('Who handles it, as the team set it in Slack (Claim, `/sk !assign`); null until someone did.'),
    routing: z
      .object({
        route: z.string().optional().describe('The Slack route the conversation took (`slack.routes`).'),
        department: z.string().optional(),
      })
      .describe('Where Slack routes it.'),
  })
  .meta({ id: 'Conversation' });

export const departmentBody = z
  .strictObject({
    department: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .nullable()
      .describe('Routes match it as `{ metadata: department, … }`; `null` clears it.'),
  })
  .meta({ id: 'ConversationUpdate' });
export const departmentSet = z
  .object({ conversationId: z.string(), department: z.string().nullable() })
  .meta({ id: 'ConversationUpdated', description: 'Accepted: Slack re-decides the route; its notice follows.' });

export const handedOff = z
  .object({ conversationId: z.string(), control: controlSchema })
  .meta({ id: 'HandedOff', description: 'Accepted: control passes (a no-op when it already was there).' });
export const receiptAccepted = z
  .object({ conversationId: z.string(), messageId: z.string(), status: receiptBody.shape.status })
  .meta({ id: 'ReceiptAccepted' });

const integrationState = mirrors<IntegrationState>()(
  z.enum([
    'ok',
    'rate_limited',
    'auth_failed',
    'needs_reinstall',
    'not_installed',
    'unreachable',
    'error',
    'not_supported',
  ]),
);
const checkError = z.object({ code: z.string(), message: z.string(), at: isoTime });
export const integrationCheck = mirrors<IntegrationCheck>()(
  z
    .object({
      name: z.string(),
      state: integrationState,
      message: z.string(),
      checkedAt: isoTime,
      rateLimitedUntil: isoTime.optional(),
      account: z
        .object({ id: z.string().optional(), name: z.string().optional(), url: z.string().optional() })
        .optional()
        .describe('Where it is connected: the Slack workspace, …'),
      identity: z
        .object({ id: z.string().optional(), name: z.string().optional() })
        .optional()
        .describe('Who Parley acts as: the Slack bot user, …'),
      scopes: z
        .object({ granted: z.array(z.string()), missing: z.array(z.string()) })
        .optional()
        .describe('Permissions granted, and those Parley needs but lacks.'),
      credentials: z
        .object({
          kind: z.enum(['static', 'oauth']),
          status: z.string().optional(),
          reason: z.string().optional(),
          expiresAt: isoTime.optional(),
          refreshes: z.int().optional(),
          installedAt: isoTime.optional(),
        })
        .optional(),
      destination: z
        .object({
          name: z.string(),
          id: z.string().optional(),
          exists: z.boolean(),
          canPost: z.boolean(),
          problem: z.string().optional(),
        })
        .optional()
        .describe("Where Parley posts by default (Slack's dispatch channel), and whether it can."),
      lastError: checkError.optional(),
    })
    .meta({ id: 'IntegrationCheck' }),
);
/** `POST …/integrations/slack/install-link`: where to send the admin who installs, and until when it works. */
export const slackInstallLink = z
  .object({
    url: z.string().describe('/slack/install?app=…&link=…: open it in the browser that will click Allow'),
    expiresAt: isoTime,
  })
  .meta({ id: 'SlackInstallLink' });
export const integrationList = z.object({ integrations: z.array(integrationCheck) }).meta({ id: 'IntegrationList' });

/** What connecting Zendesk shows: the connection without its signing secret. */
export const zendeskConnection = mirrors<Omit<ZendeskConnection, 'signingSecret'>>()(
  z
    .object({
      webhookId: z.string(),
      triggerId: z.int(),
      excludedFrom: z.array(z.string()).describe('Triggers Parley added a condition to, so they skip its tickets.'),
    })
    .meta({ id: 'ZendeskConnection' }),
);
export const zendeskRemoval = z
  .union([
    z.object({
      removed: z.literal(false),
      stillUsedBy: z.array(z.string()).describe('Other apps on the same Zendesk account.'),
    }),
    mirrors<{ removed: true } & Awaited<ReturnType<typeof removeZendesk>>>()(
      z.object({ removed: z.literal(true), restored: z.array(z.string()) }),
    ),
  ])
  .meta({ id: 'ZendeskRemoval' });
export const helpScoutConnection = mirrors<Awaited<ReturnType<typeof connectHelpScout>>>()(
  z
    .object({
      webhookId: z.int(),
      url: z.string(),
      events: z.array(z.string()),
      mailboxId: z.int(),
      repaired: z.boolean().describe('True when an existing webhook was updated rather than created.'),
    })
    .meta({ id: 'HelpScoutConnection' }),
);
export const helpScoutRemoval = z.object({ removedWebhooks: z.int() }).meta({ id: 'HelpScoutRemoval' });

export const fileSchema = z
  .object({ id: z.string(), name: z.string(), mediaType: z.string(), size: z.int() })
  .meta({ id: 'File' });
export const uploadedFile = z
  .object({ file: fileSchema.extend({ url: z.string().describe('Signed and expiring.') }) })
  .meta({ id: 'UploadedFile' });
export const fileIdParam = z
  .string()
  .regex(/^file_[A-Za-z0-9_-]{22}$/)
  .meta({ description: 'A file id from `POST …/files`.', param: { id: 'FileId' } });

export const health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const readiness = z
  .object({
    ready: z.boolean(),
    status: z.enum(['ready', 'not_ready']).optional().describe('With an admin key only.'),
    checks: mirrors<ReadinessCheck['checks']>()(
      z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
    )
      .optional()
      .describe('With an admin key only: each check, with the address or error that failed it.'),
  })
  .meta({ id: 'Readiness' });

export const errorBody = z
  .object({
    error: z.object({
      code: z.string().describe('Stable and machine-readable: `invalid_request`, `conversation_not_found`, …'),
      message: z.string().describe('For people: says what was wrong.'),
    }),
  })
  .meta({ id: 'Error' });
