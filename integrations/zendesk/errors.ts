/**
 * Every code Parley's Zendesk code throws. The HTTP ones come from `httpStatusError` (the one status mapper shared
 * with Help Scout); the rest say what Parley concluded from them.
 */
import {
  type CodedError,
  type HttpFailure,
  httpStatusError,
  integrationError,
  isIntegrationError,
} from '../../common/errors';

export const ZENDESK_ERROR_CODES = [
  // Both kinds of 429 (the account's JSON one and the per-ticket plain-text one): the outbox waits `retryAfterMs`.
  'zendesk_rate_limited',
  'zendesk_auth_failed',
  'zendesk_not_found',
  // A closed ticket refuses updates with a 422: the adapter opens a follow-up.
  'zendesk_unprocessable',
  'zendesk_invalid',
  // 5xx, a timeout or no connection: retried by Temporal.
  'zendesk_unavailable',
  // A 404 on the conversation's ticket: shown to an operator as a fault rather than retried.
  'zendesk_ticket_deleted',
  // Anything else (an answer of an unexpected shape): retried.
  'zendesk_error',
  // Thrown by activities/failures.ts `appFor` when the app lost its zendesk config.
  'zendesk_not_configured',
] as const;
export type ZendeskErrorCode = (typeof ZENDESK_ERROR_CODES)[number];
export type ZendeskError = CodedError<ZendeskErrorCode>;

/** A non-2xx answer of the Support API. */
export function zendeskHttpError(failure: HttpFailure): ZendeskError {
  return httpStatusError('zendesk', 'Zendesk', failure);
}

/** No answer at all: refused, reset, DNS, or the timeout. */
export function zendeskUnreachable(cause: unknown): ZendeskError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return integrationError<ZendeskErrorCode>('zendesk_unavailable', `Zendesk unreachable: ${reason}`, {
    retryable: true,
    cause,
  });
}

/** The conversation's ticket answered 404. */
export function zendeskTicketDeleted(cause: ZendeskError): ZendeskError {
  return integrationError<ZendeskErrorCode>('zendesk_ticket_deleted', `${cause.message} (was the ticket deleted?)`, {
    retryable: false,
    cause,
  });
}

/** Any failure as a Zendesk error: Parley's own kept, anything else (a zod error on an odd answer) retried. */
export function toZendeskError(err: unknown): ZendeskError {
  if (isIntegrationError(err, ...ZENDESK_ERROR_CODES)) return err;
  return integrationError<ZendeskErrorCode>('zendesk_error', String(err), { retryable: true, cause: err });
}
