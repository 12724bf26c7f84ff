/** Slack's errors as `@slack/web-api` throws them, mapped to Parley's closed list of codes. */
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { IntegrationError, isIntegrationError } from '../../../../common/errors';
import {
  SLACK_ERROR_CODES,
  slackErrorCode,
  toSlackIntegrationError,
  type SlackErrorCode,
} from '../../../../integrations/slack/errors';

/** A `{ok: false, error}` answer as the SDK throws it (HTTP 200). */
const platform = (error: string, extra: Record<string, unknown> = {}) =>
  new WebAPIPlatformError({ ok: false, error, ...extra });

describe('toSlackIntegrationError', () => {
  it('turns a 429 into a rate limit with its Retry-After, not retried by Temporal', () => {
    const err = toSlackIntegrationError(new WebAPIRateLimitedError(30));
    expect(err).toMatchObject({ code: 'slack_rate_limited', retryable: false, retryAfterMs: 30_000 });
    // Slack's Retry-After can say 0: wait a second anyway.
    expect(toSlackIntegrationError(new WebAPIRateLimitedError(0)).retryAfterMs).toBe(1000);
  });

  it('turns a `ratelimited` answer into a one-second rate limit', () => {
    for (const code of ['ratelimited', 'rate_limited'])
      expect(toSlackIntegrationError(platform(code))).toMatchObject({
        code: 'slack_rate_limited',
        retryable: false,
        retryAfterMs: 1000,
      });
  });

  it.each(['token_revoked', 'invalid_auth', 'not_authed', 'account_inactive', 'missing_scope', 'token_expired'])(
    'turns %s into slack_auth_failed, naming it',
    (code) => {
      const err = toSlackIntegrationError(platform(code, { needed: 'channels:manage', provided: 'chat:write' }));
      expect(err).toMatchObject({ code: 'slack_auth_failed', retryable: false });
      expect(err.message).toContain(code);
    },
  );

  it.each([
    ['channel_not_found', 'slack_channel_not_found'],
    ['not_in_channel', 'slack_not_in_channel'],
    ['is_archived', 'slack_is_archived'],
    ['name_taken', 'slack_name_taken'],
    ['invalid_name_specials', 'slack_invalid_name_specials'],
    ['already_in_channel', 'slack_already_in_channel'],
    ['msg_too_long', 'slack_msg_too_long'],
    ['invalid_metadata_format', 'slack_invalid_metadata_format'],
  ])('passes %s on as %s, not retried', (code, expected) => {
    const err = toSlackIntegrationError(platform(code));
    expect(err).toMatchObject({ code: expected, retryable: false, message: `Slack answered ${code}` });
    expect(err.cause).toBeInstanceOf(WebAPIPlatformError);
  });

  it('names a Slack code it has no code for in the message of slack_platform_error', () => {
    const err = toSlackIntegrationError(platform('ekm_access_denied'));
    expect(err).toMatchObject({ code: 'slack_platform_error', retryable: false });
    expect(err.message).toContain('ekm_access_denied');
  });

  it('retries 5xx, 408 and unreachable; not other 4xx', () => {
    expect(toSlackIntegrationError(new WebAPIHTTPError(503, 'Service Unavailable', {}, '<html>'))).toMatchObject({
      code: 'slack_unavailable',
      retryable: true,
    });
    expect(toSlackIntegrationError(new WebAPIHTTPError(408, 'Request Timeout', {}))).toMatchObject({
      code: 'slack_unavailable',
      retryable: true,
    });
    expect(toSlackIntegrationError(new WebAPIHTTPError(404, 'Not Found', {}))).toMatchObject({
      code: 'slack_http_error',
      retryable: false,
      message: 'Slack answered HTTP 404',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const unreachable = toSlackIntegrationError(new WebAPIRequestError(refused));
    expect(unreachable).toMatchObject({ code: 'slack_unavailable', retryable: true });
    expect(unreachable.message).toContain('ECONNREFUSED');
    expect(toSlackIntegrationError(new TypeError('fetch failed'))).toMatchObject({ code: 'slack_unavailable' });
  });

  it('keeps an IntegrationError as it is', () => {
    const err = new IntegrationError('slack_no_channel_name', 'no free channel name', { retryable: false });
    expect(toSlackIntegrationError(err)).toBe(err);
  });

  it('only ever makes codes of the closed list', () => {
    const known: readonly string[] = SLACK_ERROR_CODES;
    const thrown = [
      new WebAPIRateLimitedError(5),
      new WebAPIHTTPError(500, 'x', {}),
      new WebAPIHTTPError(400, 'x', {}),
      new WebAPIRequestError(new Error('x')),
      ...['token_revoked', 'name_taken', 'not_in_channel', 'whatever_slack_adds_next', 'ratelimited'].map((c) =>
        platform(c),
      ),
      'a string',
      undefined,
    ];
    for (const err of thrown) expect(known).toContain(toSlackIntegrationError(err).code);
    expect(new Set(SLACK_ERROR_CODES).size).toBe(SLACK_ERROR_CODES.length);
    for (const code of SLACK_ERROR_CODES) expect(code).toMatch(/^slack_[a-z_]+$/);
  });

  it('lets callers check the code without a cast', () => {
    const err: unknown = toSlackIntegrationError(platform('is_archived'));
    expect(isIntegrationError<SlackErrorCode>(err, 'slack_is_archived')).toBe(true);
    expect(isIntegrationError<SlackErrorCode>(err, 'slack_rate_limited', 'slack_auth_failed')).toBe(false);
  });
});

describe('slackErrorCode', () => {
  it("reads Slack's code of a platform error, raw or already mapped", () => {
    expect(slackErrorCode(platform('already_in_channel'))).toBe('already_in_channel');
    expect(slackErrorCode(toSlackIntegrationError(platform('not_in_channel')))).toBe('not_in_channel');
    expect(slackErrorCode(toSlackIntegrationError(platform('missing_scope')))).toBe('missing_scope');
  });

  it('has none for anything else', () => {
    expect(slackErrorCode(new WebAPIRateLimitedError(1))).toBeUndefined();
    expect(slackErrorCode(new WebAPIHTTPError(500, 'x', {}))).toBeUndefined();
    expect(slackErrorCode(new IntegrationError('slack_bad_answer', 'x', { retryable: true }))).toBeUndefined();
    expect(slackErrorCode(new Error('already_in_channel'))).toBeUndefined();
    expect(slackErrorCode({ code: 'slack_webapi_platform_error', data: { error: 'forged' } })).toBeUndefined();
    expect(slackErrorCode(undefined)).toBeUndefined();
  });
});
