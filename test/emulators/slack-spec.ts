/**
 * Checks the Web API calls the Slack emulator receives against Slack's published OpenAPI (Swagger 2.0) spec,
 * test/fixtures/slack/slack_web_openapi_v2.json (a copy of shared/specs/slack/): the method exists, every required argument is present,
 * no unknown argument is sent, and the body's content type is one the method accepts.
 *
 * The spec is loaded once per process. When the file is absent, checking is skipped and `specStatus()` says so.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The Slack spec, kept in the repository so the check runs wherever the tests do. */
export const SLACK_WEB_SPEC_PATH = path.resolve(__dirname, '../fixtures/slack/slack_web_openapi_v2.json');

export interface SpecMethod {
  /** Every argument the spec lists (`token` included). */
  params: Set<string>;
  /** Arguments the spec marks required, `token` excluded (WebClient sends it as an `Authorization` header). */
  required: Set<string>;
  /** Content types the method accepts (`consumes`); Slack's read methods take no JSON bodies. */
  consumes: string[];
}

export interface SpecStatus {
  checked: boolean;
  path: string;
  /** Why checking is off (file missing or unreadable). */
  reason?: string;
}

/**
 * Arguments Slack added after the 2021 spec was published, which Parley (or WebClient 8's typed methods) may
 * legitimately send. Each was verified in Slack's current method reference (docs.slack.dev/reference/methods/…)
 * and in @slack/web-api 8's request types.
 */
export const ARGUMENT_ALLOWLIST: Readonly<Record<string, readonly string[]>> = {
  // Message metadata (2022): https://docs.slack.dev/messaging/message-metadata ; markdown_text (2025).
  'chat.postMessage': ['metadata', 'markdown_text'],
  'chat.update': ['metadata', 'markdown_text'],
  'chat.postEphemeral': ['markdown_text'],
  // `include_all_metadata` returns message metadata in history (ConversationsHistoryArguments in web-api 8).
  'conversations.history': ['include_all_metadata'],
  // The same for thread replies (ConversationsRepliesArguments extends IncludeAllMetadata in web-api 8).
  'conversations.replies': ['include_all_metadata'],
  // `force` (2023): invite the valid users and skip invalid ids (ConversationsInviteArguments in web-api 8).
  'conversations.invite': ['force'],
  // Token rotation (2021, after the spec): docs.slack.dev/authentication/using-token-rotation.
  'oauth.v2.access': ['grant_type', 'refresh_token'],
};

/**
 * Required arguments Slack no longer requires in some calls, each verified in the method's current reference:
 * `oauth.v2.access` takes no `code` with `grant_type=refresh_token` (docs.slack.dev/reference/methods/oauth.v2.access).
 */
const NOT_REQUIRED_WHEN: Readonly<Record<string, (args: Record<string, unknown>) => readonly string[]>> = {
  'oauth.v2.access': (args) => (args.grant_type === 'refresh_token' ? ['code'] : []),
};

/**
 * Arguments WebClient adds to every call by itself, never because Parley asked for them:
 * - `team_id`: `WebClient.apiCall` spreads `{ team_id: this.teamId, ...options }` into every body, so it is sent
 *   whenever the client is constructed with the `teamId` option (undefined values are dropped otherwise).
 * WebClient 8 sends the token as `Authorization: Bearer …` and does not add `token` to the body (it stays in the
 * body only when a caller passes `token` as an argument, which the spec lists anyway).
 */
export const WEBCLIENT_ADDED_ARGUMENTS: readonly string[] = ['team_id'];

/**
 * Methods Slack added after the 2021 spec, as their reference pages list them (docs.slack.dev/reference/methods/…):
 * the external upload flow that replaced `files.upload` (retired for new apps in 2024, gone in 2025).
 */
export const METHODS_AFTER_SPEC: Readonly<Record<string, SpecMethod>> = {
  'files.getUploadURLExternal': {
    params: new Set(['token', 'filename', 'length', 'alt_txt', 'snippet_type']),
    required: new Set(['filename', 'length']),
    consumes: ['application/x-www-form-urlencoded', 'application/json'],
  },
  'files.completeUploadExternal': {
    params: new Set(['token', 'files', 'channel_id', 'thread_ts', 'channels', 'initial_comment', 'blocks']),
    required: new Set(['files']),
    consumes: ['application/x-www-form-urlencoded', 'application/json'],
  },
};

let loaded: { methods: Map<string, SpecMethod>; status: SpecStatus } | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function load(): { methods: Map<string, SpecMethod>; status: SpecStatus } {
  if (loaded) return loaded;
  const methods = new Map<string, SpecMethod>();
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(SLACK_WEB_SPEC_PATH, 'utf8'));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    loaded = { methods, status: { checked: false, path: SLACK_WEB_SPEC_PATH, reason } };
    return loaded;
  }
  const paths = isRecord(raw) && isRecord(raw.paths) ? raw.paths : {};
  for (const [route, operations] of Object.entries(paths)) {
    if (!isRecord(operations)) continue;
    // Each Slack method has one operation (get or post); its parameters carry the argument list.
    for (const operation of Object.values(operations)) {
      if (!isRecord(operation)) continue;
      const entry: SpecMethod = { params: new Set(), required: new Set(), consumes: [] };
      if (Array.isArray(operation.consumes)) {
        entry.consumes = operation.consumes.filter((c): c is string => typeof c === 'string');
      }
      const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
      for (const parameter of parameters) {
        if (!isRecord(parameter) || typeof parameter.name !== 'string') continue;
        entry.params.add(parameter.name);
        if (parameter.required === true && parameter.name !== 'token') entry.required.add(parameter.name);
      }
      methods.set(route.replace(/^\//, ''), entry);
    }
  }
  for (const [method, entry] of Object.entries(METHODS_AFTER_SPEC))
    if (!methods.has(method)) methods.set(method, entry);
  loaded = { methods, status: { checked: true, path: SLACK_WEB_SPEC_PATH } };
  return loaded;
}

export function specStatus(): SpecStatus {
  return load().status;
}

export function specMethod(method: string): SpecMethod | undefined {
  return load().methods.get(method);
}

/**
 * The spec violations of one call (empty when it conforms, or when the spec could not be loaded).
 * `contentType` is the request's media type without parameters (`application/json`, …).
 */
export function checkWebApiCall(method: string, args: Record<string, unknown>, contentType?: string): string[] {
  const { methods, status } = load();
  if (!status.checked) return [];
  const spec = methods.get(method);
  if (!spec) return [`${method}: method not in the Slack Web API spec`];
  const violations: string[] = [];
  const allowed = new Set([...spec.params, ...(ARGUMENT_ALLOWLIST[method] ?? []), ...WEBCLIENT_ADDED_ARGUMENTS]);
  for (const name of Object.keys(args)) {
    if (!allowed.has(name)) violations.push(`${method}: unknown argument "${name}"`);
  }
  const waived = NOT_REQUIRED_WHEN[method]?.(args) ?? [];
  for (const name of spec.required) {
    if (waived.includes(name)) continue;
    const value = args[name];
    if (value === undefined || value === '') violations.push(`${method}: missing required argument "${name}"`);
  }
  if (contentType && spec.consumes.length > 0 && !spec.consumes.includes(contentType)) {
    violations.push(`${method}: content type ${contentType} not accepted (accepts ${spec.consumes.join(', ')})`);
  }
  return violations;
}
