/**
 * The OpenAPI 3.1 document of the client API (`GET /openapi.json`), built by zod-openapi from the zod schemas in
 * ./schemas.ts: the ones that validate requests, and the response shapes checked against the domain types.
 * Adding a route to the API means adding it to `paths` here; test/unit/api/openapi.test.ts fails until you do.
 */
import { z } from 'zod';
import {
  createDocument,
  type oas31,
  type ZodOpenApiOperationObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import {
  acceptedMessage,
  acceptedProfile,
  appIdParam,
  archived,
  conversationSummary,
  errorBody,
  fileIdParam,
  handedOff,
  departmentBody,
  departmentSet,
  handoffBody,
  health,
  helpScoutConnection,
  helpScoutRemoval,
  integrationCheck,
  integrationList,
  integrationNameParam,
  messageList,
  postMessageBody,
  profileBody,
  readiness,
  receiptAccepted,
  receiptBody,
  messageIdParam,
  resumeBody,
  resumed,
  slackInstallLink,
  userErased,
  userErasing,
  uploadedFile,
  userIdParam,
  zendeskConnection,
  zendeskRemoval,
} from './schemas';

/** Each error code the client API answers (`{error: {code, message}}`), with its status. */
const ERROR_CODES = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_user_id: 400,
  invalid_message_id: 400,
  public_url_missing: 400,
  file_empty: 400,
  attachment_not_found: 400,
  too_many_attachments: 400,
  unauthorized: 401,
  forbidden: 403,
  forbidden_scope: 403,
  app_not_found: 404,
  conversation_not_found: 404,
  file_not_found: 404,
  integration_not_configured: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unsupported_encoding: 415,
  conversation_backlogged: 429,
  file_type_not_allowed: 415,
  file_type_mismatch: 415,
  temporal_refused: 422,
  rate_limited: 429,
  internal_error: 500,
  'zendesk_<state>': 502,
  'helpscout_<state>': 502,
  temporal_unavailable: 503,
} as const;
type ErrorCode = keyof typeof ERROR_CODES;

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing or wrong API key',
  403: "Another app's key, or a key of the other scope (client or admin)",
  404: 'Not found',
  413: 'Body over the limit',
  415: 'Body not JSON',
  422: 'Temporal refused the request as invalid (logged)',
  429: 'Not now (a rate limit of `apps[].limits`, or a full conversation backlog): wait the `Retry-After` seconds',
  500: "Parley's own fault (logged)",
  502: 'The vendor refused or could not be reached',
  503: 'Temporal unreachable, overloaded or too slow: `Retry-After` says when to try again',
};

/** Every `/v1` route: the key and its scope are checked first, and any route can fail on Parley's side. */
const V1_ERRORS: ErrorCode[] = ['unauthorized', 'forbidden', 'forbidden_scope', 'app_not_found', 'internal_error'];

/** The two kinds of key, as security schemes: every `/v1` route takes exactly one of them. */
const SECURITY_SCHEMES = {
  clientKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      "An app's client key (`apps[].apiKeys`): posts its users' messages and profiles, reads and archives their " +
      'conversations. Keep it on your servers: never in a browser or a mobile app.',
  },
  adminKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An admin key (`admin.keys`): manages every app’s integrations and resumes outboxes; also reads `/metrics` ' +
      "and `/readyz`'s checks. It does not act for an app's users.",
  },
} as const;
type Scope = keyof typeof SECURITY_SCHEMES;
/** Writes to a conversation: rate-limited (`apps[].limits`), and signalled to Temporal. */
const WRITE_ERRORS: ErrorCode[] = ['rate_limited', 'temporal_unavailable', 'temporal_refused'];

/** Routes that read a JSON body (every POST and PUT under `/v1`, see app.ts). */
const BODY_ERRORS: ErrorCode[] = [
  'invalid_json',
  'payload_too_large',
  'unsupported_media_type',
  'unsupported_encoding',
];

function json(schema: z.ZodType) {
  return { content: { 'application/json': { schema } } };
}

/** The error responses of a route, one per status, naming the codes it can answer with. */
function errorResponses(codes: ErrorCode[]): ZodOpenApiResponsesObject {
  const unique = [...new Set(codes)];
  const statuses = [...new Set(unique.map((code) => ERROR_CODES[code]))].sort((x, y) => x - y);
  return Object.fromEntries(
    statuses.map((status) => {
      const named = unique.filter((code) => ERROR_CODES[code] === status).map((code) => `\`${code}\``);
      return [status, { description: `${STATUS_TEXT[status]}: ${named.join(', ')}`, ...json(errorBody) }];
    }),
  );
}

interface Route {
  operationId: string;
  summary: string;
  tags: string[];
  /** The path parameters, by name. */
  params: z.ZodObject;
  body?: { schema: z.ZodType; required: boolean };
  ok: { status: 200 | 201 | 202; description: string; schema: z.ZodType };
  errors?: ErrorCode[];
  /** Which key the route takes (default `clientKey`, the document's default). */
  scope?: Scope;
}

/** One `/v1` operation: Bearer key, path parameters, an optional JSON body and every answer it can give. */
function v1({ params, body, ok, errors = [], scope = 'clientKey', ...rest }: Route): ZodOpenApiOperationObject {
  return {
    ...rest,
    ...(scope === 'clientKey' ? {} : { security: [{ [scope]: [] }] }),
    requestParams: { path: params },
    ...(body ? { requestBody: { required: body.required, ...json(body.schema) } } : {}),
    responses: {
      [ok.status]: { description: ok.description, ...json(ok.schema) },
      ...errorResponses([...V1_ERRORS, ...(body ? BODY_ERRORS : []), ...errors]),
    },
  };
}

const userPath = z.object({ appId: appIdParam, userId: userIdParam });
const appPath = z.object({ appId: appIdParam });
const user = '/v1/apps/{appId}/users/{userId}';
const integrations = '/v1/apps/{appId}/integrations';
const USER_ERRORS: ErrorCode[] = ['invalid_user_id'];
const CONVERSATIONS = ['Conversations'];
const INTEGRATIONS = ['Integrations'];

/** Connect and remove call the vendor with the app's credentials and Parley's public URL. */
const vendorErrors = (vendor: 'zendesk' | 'helpscout'): ErrorCode[] => [
  'public_url_missing',
  'integration_not_configured',
  `${vendor}_<state>`,
];

/** `DELETE …/users/{userId}`: 200 when the erasure is done, 202 while a slow vendor keeps it going. */
function eraseOperation(): ZodOpenApiOperationObject {
  const operation = v1({
    operationId: 'eraseUser',
    summary:
      "Erase the user: their data in Parley, the conversation's Temporal history, and what the vendors' APIs allow",
    tags: CONVERSATIONS,
    params: userPath,
    ok: { status: 200, description: 'Erased: what was erased, and what remains in the vendors', schema: userErased },
    errors: [...USER_ERRORS, 'conversation_not_found', 'temporal_unavailable'],
  });
  return {
    ...operation,
    responses: {
      ...operation.responses,
      202: { description: 'Still erasing; `user:erased` follows by webhook', ...json(userErasing) },
    },
  };
}

const filesPath = '/v1/apps/{appId}/files';

/** `POST …/files`: a multipart body, not JSON, so its request body is written out here. */
function uploadOperation(): ZodOpenApiOperationObject {
  const operation = v1({
    operationId: 'uploadFile',
    summary: 'Upload a file (multipart field `file`); attach it to a message with `attachments: [{fileId}]`',
    tags: ['Files'],
    params: appPath,
    ok: { status: 200, description: 'unused', schema: uploadedFile },
    errors: [...BODY_ERRORS, 'invalid_request', 'file_empty', 'file_type_not_allowed', 'file_type_mismatch'],
  });
  const { 200: _ok, ...responses } = operation.responses as Record<string, unknown>;
  return {
    ...operation,
    description:
      'At most `storage.maxFileBytes` (25 MB by default; 413 beyond). The type is sniffed from the bytes: one outside ' +
      '`storage.allowedTypes`, or a name or declared type that says otherwise (a `.png` that is HTML), is a 415.',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: z.object({ file: z.string().meta({ format: 'binary' }) }),
        },
      },
    },
    responses: { 201: { description: 'Stored', ...json(uploadedFile) }, ...responses },
  };
}

export function createOpenApiDocument(publicUrl?: string): oas31.OpenAPIObject {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Parley client API',
      version: '1',
      description: 'Post end users’ messages; replies come back by webhook.',
    },
    ...(publicUrl ? { servers: [{ url: publicUrl }] } : {}),
    components: { securitySchemes: SECURITY_SCHEMES },
    security: [{ clientKey: [] }],
    tags: [
      { name: 'Conversations', description: "An end user's conversation with the team." },
      {
        name: 'Integrations',
        description: "The app's integrations: state, live checks, connecting. Admin keys only.",
      },
      { name: 'Files', description: 'Files users send, and the signed URLs every message carries for its files.' },
      {
        name: 'Health',
        description: "For load balancers and orchestrators; no key needed (an admin key shows readiness's checks).",
      },
    ],
    paths: {
      [`${user}/messages`]: {
        post: v1({
          operationId: 'postMessage',
          summary: 'Post a user message (starts or reopens the conversation)',
          tags: CONVERSATIONS,
          params: userPath,
          body: { schema: postMessageBody, required: true },
          ok: { status: 202, description: 'Accepted', schema: acceptedMessage },
          errors: [...USER_ERRORS, 'invalid_request', ...WRITE_ERRORS, 'conversation_backlogged'],
        }),
        get: v1({
          operationId: 'listMessages',
          summary: 'The last 100 messages, oldest first',
          tags: CONVERSATIONS,
          params: userPath,
          ok: { status: 200, description: 'The window', schema: messageList },
          errors: [...USER_ERRORS, 'conversation_not_found', 'temporal_unavailable'],
        }),
      },
      [user]: {
        put: v1({
          operationId: 'setProfile',
          summary: "Set the user's profile (starts the conversation if needed)",
          tags: CONVERSATIONS,
          params: userPath,
          body: { schema: profileBody, required: true },
          ok: { status: 202, description: 'Accepted', schema: acceptedProfile },
          errors: [...USER_ERRORS, 'invalid_request', ...WRITE_ERRORS],
        }),
        delete: eraseOperation(),
      },
      [`${user}/conversation`]: {
        get: v1({
          operationId: 'getConversation',
          summary: 'Status, profile and outboxes',
          tags: CONVERSATIONS,
          params: userPath,
          ok: { status: 200, description: 'OK', schema: conversationSummary },
          errors: [...USER_ERRORS, 'conversation_not_found', 'temporal_unavailable'],
        }),
        put: v1({
          operationId: 'updateConversation',
          summary: 'Set the department (Slack routes re-decide where the conversation goes)',
          tags: CONVERSATIONS,
          params: userPath,
          body: { schema: departmentBody, required: true },
          ok: { status: 202, description: 'Accepted', schema: departmentSet },
          errors: [...USER_ERRORS, 'invalid_request', 'conversation_not_found'],
        }),
      },
      [`${user}/archive`]: {
        post: v1({
          operationId: 'archiveConversation',
          summary: 'Archive the conversation (the next message reopens it)',
          tags: CONVERSATIONS,
          params: userPath,
          ok: { status: 202, description: 'Accepted', schema: archived },
          errors: [...USER_ERRORS, ...BODY_ERRORS, 'conversation_not_found', ...WRITE_ERRORS],
        }),
      },
      [`${user}/handoff`]: {
        post: v1({
          operationId: 'handoff',
          summary: "Pass control to the team (the integrations get the bot exchange) or back to the app's bot",
          tags: CONVERSATIONS,
          params: userPath,
          body: { schema: handoffBody, required: true },
          ok: { status: 202, description: 'Accepted; `conversation:handoff` follows by webhook', schema: handedOff },
          errors: [...USER_ERRORS, 'invalid_request', 'conversation_not_found'],
        }),
      },
      [`${user}/messages/{messageId}/receipt`]: {
        post: v1({
          operationId: 'postReceipt',
          summary: "How an agent's reply reached the user: delivered or read (no fallback mail), or failed",
          tags: CONVERSATIONS,
          params: userPath.extend({ messageId: messageIdParam }),
          body: { schema: receiptBody, required: true },
          ok: { status: 202, description: 'Accepted', schema: receiptAccepted },
          errors: [...USER_ERRORS, 'invalid_message_id', 'invalid_request', 'conversation_not_found'],
        }),
      },
      [`${user}/outboxes/resume`]: {
        post: v1({
          operationId: 'resumeOutboxes',
          scope: 'adminKey',
          summary: 'Resume a paused outbox now (all when none is named); admin keys only',
          tags: CONVERSATIONS,
          params: userPath,
          body: { schema: resumeBody, required: false },
          ok: { status: 202, description: 'Accepted', schema: resumed },
          errors: [...USER_ERRORS, 'invalid_request', 'conversation_not_found'],
        }),
      },
      [integrations]: {
        get: v1({
          operationId: 'listIntegrations',
          scope: 'adminKey',
          summary: "Each configured integration's state (checked once, then the last check's result)",
          tags: INTEGRATIONS,
          params: appPath,
          ok: { status: 200, description: 'OK', schema: integrationList },
        }),
      },
      [`${integrations}/{name}/check`]: {
        post: v1({
          operationId: 'checkIntegration',
          scope: 'adminKey',
          summary: "Test the integration's connection now",
          tags: INTEGRATIONS,
          params: appPath.extend({ name: integrationNameParam }),
          ok: {
            status: 200,
            description: 'The check (a failed check is a 200 with its state)',
            schema: integrationCheck,
          },
          errors: [...BODY_ERRORS, 'integration_not_configured'],
        }),
      },
      [`${integrations}/zendesk/connect`]: {
        post: v1({
          operationId: 'connectZendesk',
          scope: 'adminKey',
          summary: "Create or repair Parley's webhook and trigger in Zendesk",
          tags: INTEGRATIONS,
          params: appPath,
          ok: { status: 200, description: 'Connected', schema: zendeskConnection },
          errors: [...BODY_ERRORS, ...vendorErrors('zendesk')],
        }),
      },
      [`${integrations}/zendesk`]: {
        delete: v1({
          operationId: 'removeZendesk',
          scope: 'adminKey',
          summary: "Remove Parley's webhook and trigger from Zendesk (kept while another app uses the account)",
          tags: INTEGRATIONS,
          params: appPath,
          ok: { status: 200, description: 'Removed, or still used', schema: zendeskRemoval },
          errors: vendorErrors('zendesk'),
        }),
      },
      [`${integrations}/helpscout/connect`]: {
        post: v1({
          operationId: 'connectHelpScout',
          scope: 'adminKey',
          summary: "Create or repair Parley's webhook in Help Scout",
          tags: INTEGRATIONS,
          params: appPath,
          ok: { status: 200, description: 'Connected', schema: helpScoutConnection },
          errors: [...BODY_ERRORS, ...vendorErrors('helpscout')],
        }),
      },
      [`${integrations}/slack/install-link`]: {
        post: v1({
          operationId: 'createSlackInstallLink',
          scope: 'adminKey',
          summary:
            'A signed, single-use link that lets its visitor install the app in Slack ("Add to Slack") within an hour',
          tags: INTEGRATIONS,
          params: appPath,
          ok: { status: 201, description: 'The link', schema: slackInstallLink },
          errors: [...BODY_ERRORS, 'integration_not_configured'],
        }),
      },
      [`${integrations}/helpscout`]: {
        delete: v1({
          operationId: 'removeHelpScout',
          scope: 'adminKey',
          summary: "Remove Parley's webhooks from Help Scout",
          tags: INTEGRATIONS,
          params: appPath,
          ok: { status: 200, description: 'Removed', schema: helpScoutRemoval },
          errors: vendorErrors('helpscout'),
        }),
      },
      [filesPath]: { post: uploadOperation() },
      [`${filesPath}/{fileId}`]: {
        get: v1({
          operationId: 'getFile',
          summary: 'A file of the app, with a fresh signed URL',
          tags: ['Files'],
          params: appPath.extend({ fileId: fileIdParam }),
          ok: { status: 200, description: 'The file', schema: uploadedFile },
          errors: ['file_not_found'],
        }),
      },
      '/files/{fileId}': {
        get: {
          operationId: 'downloadFile',
          summary: 'Download a file by its signed URL (`attachments[].url`)',
          description:
            'No key: the URL is the credential, and it expires. Served as an attachment, with ' +
            '`X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy.',
          tags: ['Files'],
          security: [],
          requestParams: {
            path: z.object({ fileId: fileIdParam }),
            query: z.object({ app: appIdParam, exp: z.string(), sig: z.string() }),
          },
          responses: {
            '200': {
              description: 'The bytes',
              content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } },
            },
            '403': {
              description: 'A link expired (`url_expired`) or not signed by Parley (`signature_invalid`)',
              ...json(errorBody),
            },
            '404': { description: 'The file is gone (`file_not_found`)', ...json(errorBody) },
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'The process lives',
          tags: ['Health'],
          security: [],
          responses: { '200': { description: 'OK', ...json(health) } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readiness',
          summary: 'Temporal reached, search attributes present, a worker polling',
          description:
            'Anyone gets `{ready}`; with an admin key also `status` and `checks`. Checked at most once every 2 s.',
          tags: ['Health'],
          // No key needed; an admin key adds the details.
          security: [{}, { adminKey: [] }],
          responses: {
            '200': { description: 'Ready', ...json(readiness) },
            '503': { description: 'Not ready (with an admin key: see `checks`)', ...json(readiness) },
          },
        },
      },
    },
  });
}
