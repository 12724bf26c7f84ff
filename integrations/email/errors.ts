/**
 * Every code email throws, and SMTP's and IMAP's failures as those codes. Nodemailer and ImapFlow do not retry by
 * themselves; Temporal does, for the retryable ones.
 */
import { integrationError, type CodedError } from '../../common/errors';

/** Every code of the email integration (`email_not_configured` comes from activities' `appFor`). */
export const EMAIL_ERROR_CODES = [
  'email_not_configured',
  'email_auth_failed',
  'email_rejected',
  'email_unavailable',
] as const;
export type EmailErrorCode = (typeof EMAIL_ERROR_CODES)[number];
export type EmailError = CodedError<EmailErrorCode>;

interface SmtpLikeError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * 4xx answers and lost connections are transient (Temporal retries them); 5xx answers mean the server will not
 * take this mail as it is — bad credentials, a refused recipient — and fault the outbox until someone looks.
 */
export function smtpError(err: unknown): EmailError {
  const e = (err ?? {}) as SmtpLikeError;
  const text = (e.response ?? e.message ?? String(err)).slice(0, 300);
  if (e.code === 'EAUTH')
    return integrationError<EmailErrorCode>('email_auth_failed', `SMTP refused the login: ${text}`, {
      retryable: false,
      cause: err,
    });
  if (typeof e.responseCode === 'number' && e.responseCode >= 500)
    return integrationError<EmailErrorCode>('email_rejected', `SMTP ${e.responseCode}: ${text}`, {
      retryable: false,
      cause: err,
    });
  return integrationError<EmailErrorCode>('email_unavailable', `SMTP unavailable: ${text}`, {
    retryable: true,
    cause: err,
  });
}

/** A failed IMAP connect: a refused login is for someone to fix, anything else is retried. */
export function imapConnectError(err: unknown): EmailError {
  const e = (err ?? {}) as { authenticationFailed?: boolean; message?: string };
  if (e.authenticationFailed)
    return integrationError<EmailErrorCode>('email_auth_failed', `IMAP refused the login: ${e.message ?? ''}`, {
      retryable: false,
      cause: err,
    });
  return integrationError<EmailErrorCode>('email_unavailable', `IMAP unavailable: ${e.message ?? String(err)}`, {
    retryable: true,
    cause: err,
  });
}

/** The configured mailbox cannot be opened (it does not exist, or the login may not read it). */
export function imapMailboxError(mailbox: string, err: unknown): EmailError {
  const message = err instanceof Error ? err.message : String(err);
  return integrationError<EmailErrorCode>('email_rejected', `IMAP mailbox "${mailbox}": ${message}`, {
    retryable: false,
    cause: err,
  });
}
