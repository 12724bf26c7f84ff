/**
 * SMTP and IMAP connections for one app's `email` config, and SMTP failures as Parley's error codes. Nodemailer
 * does not retry by itself; Temporal does.
 */
import { createHmac } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { AppConfig, EmailConfig } from '../../common/config';
import { IntegrationError } from '../../common/errors';

export function smtpTransport(config: EmailConfig) {
  const { smtp } = config;
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // Parley's own logs say what happened; nodemailer's would print addresses and, at debug, the whole mail.
    logger: false,
  });
}

export function imapClient(config: EmailConfig): ImapFlow {
  const { imap } = config;
  return new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    auth: { user: imap.user ?? '', pass: imap.pass ?? '' },
    logger: false,
    // IDLE as soon as the watcher waits, and break it now and then so a silently dead connection is noticed.
    autoIdleDelay: 500,
    maxIdleTime: 60_000,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 120_000,
  });
}

/** The key that signs an app's reply tokens: `email.tokenSecret`, else derived from its first API key. */
export function tokenSecret(app: Pick<AppConfig, 'id' | 'apiKeys'> & { email: EmailConfig }): string {
  if (app.email.tokenSecret) return app.email.tokenSecret;
  return createHmac('sha256', app.apiKeys[0] ?? app.id)
    .update(`parley-email-token:${app.id}`)
    .digest('hex');
}

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
export function smtpError(err: unknown): IntegrationError {
  const e = (err ?? {}) as SmtpLikeError;
  const text = (e.response ?? e.message ?? String(err)).slice(0, 300);
  if (e.code === 'EAUTH')
    return new IntegrationError('email_auth_failed', `SMTP refused the login: ${text}`, {
      retryable: false,
      cause: err,
    });
  if (typeof e.responseCode === 'number' && e.responseCode >= 500)
    return new IntegrationError('email_rejected', `SMTP ${e.responseCode}: ${text}`, { retryable: false, cause: err });
  return new IntegrationError('email_unavailable', `SMTP unavailable: ${text}`, { retryable: true, cause: err });
}

/**
 * "Test connection" for an app's email: the SMTP login, then the IMAP login and mailbox, and whether that mailbox
 * keeps Parley's keyword. Returns what it found; throws an IntegrationError naming the side that failed.
 */
export async function checkEmail(config: EmailConfig): Promise<string> {
  const transport = smtpTransport(config);
  try {
    await transport.verify();
  } catch (err) {
    throw smtpError(err);
  } finally {
    transport.close();
  }
  const imap = imapClient(config);
  imap.on('error', () => undefined);
  try {
    await imap.connect();
  } catch (err) {
    const e = err as { authenticationFailed?: boolean; message?: string };
    if (e.authenticationFailed)
      throw new IntegrationError('email_auth_failed', `IMAP refused the login: ${e.message ?? ''}`, {
        retryable: false,
        cause: err,
      });
    throw new IntegrationError('email_unavailable', `IMAP unavailable: ${e.message ?? String(err)}`, {
      retryable: true,
      cause: err,
    });
  }
  try {
    const mailbox = await imap.mailboxOpen(config.imap.mailbox, { readOnly: true }).catch((err: unknown) => {
      throw new IntegrationError('email_rejected', `IMAP mailbox "${config.imap.mailbox}": ${(err as Error).message}`, {
        retryable: false,
        cause: err,
      });
    });
    const keywords = mailbox.permanentFlags?.has('\\*') ? 'keeps keywords' : 'keeps NO keywords (UID cursor only)';
    return `SMTP login ok; IMAP mailbox ${config.imap.mailbox} has ${mailbox.exists} mails and ${keywords}`;
  } finally {
    await imap.logout().catch(() => imap.close());
  }
}
