import { type CodedError, integrationError, isIntegrationError } from '../../common/errors';

/**
 * Every code Help Scout's client, mailbox lookup and adapter throw: the shared HTTP mapper's
 * (`helpscout_<HttpErrorReason>`), the token endpoint's, and the adapter's own.
 */
export const HELPSCOUT_ERROR_CODES = [
  'helpscout_rate_limited',
  'helpscout_auth_failed',
  'helpscout_not_found',
  'helpscout_unprocessable',
  'helpscout_invalid',
  'helpscout_unavailable',
  'helpscout_bad_answer',
  'helpscout_mailbox_not_found',
  'helpscout_conversation_gone',
  'helpscout_error',
] as const;
export type HelpScoutErrorCode = (typeof HELPSCOUT_ERROR_CODES)[number];
export type HelpScoutError = CodedError<HelpScoutErrorCode>;

export function helpScoutError(
  code: HelpScoutErrorCode,
  message: string,
  options: { retryable: boolean; retryAfterMs?: number; cause?: unknown },
): HelpScoutError {
  return integrationError<HelpScoutErrorCode>(code, message, options);
}

/**
 * What Help Scout answers when the thing a request names is gone: 404, or a refusal of the mailbox id (a deleted
 * mailbox is "invalid" to Help Scout; 422 is the shared mapper's name for the same refusal in the other shape).
 */
export function isGone(
  err: unknown,
): err is CodedError<'helpscout_not_found' | 'helpscout_invalid' | 'helpscout_unprocessable'> {
  return isIntegrationError(err, 'helpscout_not_found', 'helpscout_invalid', 'helpscout_unprocessable');
}
