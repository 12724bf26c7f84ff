/**
 * Every error Parley's Slack code throws, as a closed list of codes. A `@slack/web-api` error becomes one of them in
 * `toSlackIntegrationError` (the SDK's own retries are off: Temporal retries what is retryable).
 */
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { IntegrationError, integrationError, rateLimited, type CodedError } from '../../common/errors';

/** Codes of Parley's own making. */
const PARLEY_CODES = [
  'slack_rate_limited',
  /** The token is revoked, expired or lacks a scope: nothing works until someone fixes the installation. */
  'slack_auth_failed',
  /** Slack unreachable, a timeout, a 5xx or 408: retried by Temporal. */
  'slack_unavailable',
  /** Another 4xx answer. */
  'slack_http_error',
  /** A Slack error code Parley has no name for (the message names it). */
  'slack_platform_error',
  'slack_bad_answer',
  'slack_dispatch_channel_not_found',
  'slack_no_channel_name',
  /** The app's config has no `slack:` any more (activities/failures.ts `appFor`). */
  'slack_not_configured',
  /** The 401 of `/slack/commands`, `/slack/events` and `/slack/interactions`. */
  'slack_signature_invalid',
  // The OAuth install (integrations/slack/oauth.ts, installation.ts)
  /** The installation's tokens were refused for good (revoked, uninstalled): someone must install again. */
  'slack_needs_reinstall',
  /** An OAuth app (clientId, no botToken) not installed in any workspace yet. */
  'slack_not_installed',
  /** The installation's secrets were sealed with a key this process lacks. */
  'slack_installation_unreadable',
] as const;

/**
 * Slack's own codes (a platform error's `data.error`) of the methods Parley calls, passed on as `slack_<code>` so an
 * outbox fault names what Slack said. From Slack's Web API spec (test/fixtures/slack) and method docs.
 */
const PASSED_ON_CODES = [
  // chat.postMessage
  'slack_channel_not_found',
  'slack_not_in_channel',
  'slack_is_archived',
  'slack_msg_too_long',
  'slack_no_text',
  'slack_too_many_attachments',
  'slack_invalid_blocks',
  'slack_invalid_blocks_format',
  'slack_invalid_metadata_format',
  'slack_invalid_metadata_schema',
  'slack_metadata_too_large',
  'slack_restricted_action',
  // conversations.create
  'slack_name_taken',
  'slack_no_channel',
  'slack_invalid_name',
  'slack_invalid_name_required',
  'slack_invalid_name_punctuation',
  'slack_invalid_name_maxlength',
  'slack_invalid_name_specials',
  'slack_method_not_supported_for_channel_type',
  'slack_user_is_bot',
  'slack_user_is_restricted',
  'slack_user_is_ultra_restricted',
  // conversations.invite / join
  'slack_user_not_found',
  'slack_no_user',
  'slack_cant_invite_self',
  'slack_cant_invite',
  'slack_already_in_channel',
  'slack_too_many_users',
  'slack_ura_max_channels',
  // conversations.archive / unarchive
  'slack_already_archived',
  'slack_cant_archive_general',
  'slack_not_archived',
  'slack_not_supported',
  'slack_not_authorized',
  // conversations.list / history, users.info
  'slack_invalid_cursor',
  'slack_invalid_ts_latest',
  'slack_invalid_ts_oldest',
  'slack_user_not_visible',
  // usergroups.users.list (the agents' user groups)
  'slack_no_such_subteam',
  // chat.update (the dispatch notice's status), conversations.replies, reactions.add, views.publish
  'slack_message_not_found',
  'slack_cant_update_message',
  'slack_edit_window_closed',
  'slack_thread_not_found',
  'slack_already_reacted',
  'slack_no_reaction',
  'slack_invalid_arguments',
  // oauth.v2.access (docs.slack.dev/reference/methods/oauth.v2.access, …/authentication/using-token-rotation)
  'slack_invalid_refresh_token',
  'slack_invalid_client_id',
  'slack_bad_client_secret',
  'slack_invalid_code',
  'slack_code_already_used',
  'slack_bad_redirect_uri',
  'slack_invalid_grant_type',
  'slack_token_expired',
  'slack_token_revoked',
  'slack_invalid_auth',
  'slack_account_inactive',
  'slack_app_uninstalled',
  // Slack's own trouble (documented for every method)
  'slack_internal_error',
  'slack_fatal_error',
  'slack_service_unavailable',
  'slack_request_timeout',
] as const;

/** Every code Parley's Slack code throws. */
export const SLACK_ERROR_CODES = [...PARLEY_CODES, ...PASSED_ON_CODES] as const;
export type SlackErrorCode = (typeof SLACK_ERROR_CODES)[number];
export type SlackError = CodedError<SlackErrorCode>;

/** Slack's codes after which nothing will work until someone fixes the installation: the outbox shows a fault. */
const AUTH_ERRORS = [
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'missing_scope',
  'no_permission',
  'not_allowed_token_type',
  'team_access_not_granted',
] as const;

/** A Slack error code (`name_taken`, `missing_scope`, …) Parley knows: what `ignoring` lists may name. */
export type SlackPlatformCode = (typeof AUTH_ERRORS)[number] | Unprefixed<(typeof PASSED_ON_CODES)[number]>;
type Unprefixed<C> = C extends `slack_${infer P}` ? P : never;

const PASSED_ON: ReadonlySet<string> = new Set(PASSED_ON_CODES);
const AUTH: ReadonlySet<string> = new Set(AUTH_ERRORS);

function isPassedOn(code: string): code is (typeof PASSED_ON_CODES)[number] {
  return PASSED_ON.has(code);
}

/**
 * Slack's error code (`is_archived`, `name_taken`, …) behind `err`: a platform error's, or that of the platform error
 * an IntegrationError was made from. Undefined for anything else.
 */
export function slackErrorCode(err: unknown): string | undefined {
  if (err instanceof WebAPIPlatformError) return err.data.error;
  if (err instanceof IntegrationError) return slackErrorCode(err.cause);
  return undefined;
}

/** Maps a `@slack/web-api` error to Parley's IntegrationError; an IntegrationError passes as it is. */
export function toSlackIntegrationError(err: unknown): IntegrationError {
  if (err instanceof IntegrationError) return err;
  if (err instanceof WebAPIRateLimitedError) return rateLimited('slack', Math.max(1, err.retryAfter) * 1000, err);
  if (err instanceof WebAPIPlatformError) return fromPlatformError(err.data.error, err);
  if (err instanceof WebAPIHTTPError && err.statusCode < 500 && err.statusCode !== 408) {
    return integrationError<SlackErrorCode>('slack_http_error', `Slack answered HTTP ${err.statusCode}`, {
      retryable: false,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return integrationError<SlackErrorCode>('slack_unavailable', `Slack unreachable: ${message}`, {
    retryable: true,
    cause: err,
  });
}

/** A `{ok: false, error}` answer (HTTP 200): rate limits wait, auth faults pause the outbox, the rest are named. */
function fromPlatformError(platform: string, err: unknown): SlackError {
  // `rate_limited` is in chat.postMessage's spec; the answer carries no Retry-After, so a second it is.
  if (platform === 'ratelimited' || platform === 'rate_limited') return rateLimited('slack', 1000, err);
  if (AUTH.has(platform)) {
    return integrationError<SlackErrorCode>('slack_auth_failed', `Slack refused the bot token: ${platform}`, {
      retryable: false,
      cause: err,
    });
  }
  const code = `slack_${platform}`;
  return integrationError<SlackErrorCode>(
    isPassedOn(code) ? code : 'slack_platform_error',
    `Slack answered ${platform}`,
    {
      retryable: false,
      cause: err,
    },
  );
}
