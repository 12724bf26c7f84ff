import { ErrorCode } from '@slack/web-api';
import { IntegrationError, rateLimited } from '../../common/errors';

/** Errors after which nothing will work until someone fixes the installation: the outbox shows a fault. */
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'missing_scope',
  'no_permission',
  'not_allowed_token_type',
  'team_access_not_granted',
]);

interface SlackLikeError {
  code?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: string };
  message?: string;
}

/** The Slack error code (`is_archived`, `name_taken`, …) of a platform error, if it is one. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as SlackLikeError;
  return e?.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}

/** Maps a `@slack/web-api` error to Parley's IntegrationError (the SDK's own retries are off). */
export function toSlackIntegrationError(err: unknown): IntegrationError {
  if (err instanceof IntegrationError) return err;
  const e = err as SlackLikeError;
  if (e?.code === ErrorCode.RateLimitedError) return rateLimited('slack', Math.max(1, e.retryAfter ?? 1) * 1000, err);
  const platform = slackErrorCode(err);
  if (platform === 'ratelimited') return rateLimited('slack', 1000, err);
  if (platform && AUTH_ERRORS.has(platform)) {
    return new IntegrationError('slack_auth_failed', `Slack refused the bot token: ${platform}`, {
      retryable: false,
      cause: err,
    });
  }
  if (platform)
    return new IntegrationError(`slack_${platform}`, `Slack answered ${platform}`, { retryable: false, cause: err });
  if (e?.code === ErrorCode.HTTPError && e.statusCode !== undefined && e.statusCode < 500 && e.statusCode !== 408) {
    return new IntegrationError('slack_http_error', `Slack answered HTTP ${e.statusCode}`, {
      retryable: false,
      cause: err,
    });
  }
  return new IntegrationError('slack_unavailable', `Slack unreachable: ${e?.message ?? String(err)}`, {
    retryable: true,
    cause: err,
  });
}
