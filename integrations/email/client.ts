/**
 * SMTP and IMAP connections for one app's `email` config, and the key its reply tokens are signed with.
 * Nodemailer and ImapFlow do not retry by themselves; Temporal does.
 */
import { createHmac } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { AppConfig, EmailConfig } from '../../common/config';

export function createSmtpTransport(config: EmailConfig) {
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

export function createImapClient(config: EmailConfig): ImapFlow {
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

/**
 * The key that signs an app's reply tokens and Message-ID macs: `email.tokenSecret`, else derived from its first
 * API key.
 */
export function tokenSecret(app: Pick<AppConfig, 'id' | 'apiKeys'> & { email: EmailConfig }): string {
  return tokenSecrets(app)[0] ?? derivedSecret(app.id, app.id);
}

/**
 * Every key a token or a mac may verify with, the signing one first: `email.tokenSecret` alone when it is set,
 * else one derived from each of the app's API keys, so rotating a key (the new one first, the old one kept a
 * while) does not orphan the threads of the mails signed before.
 */
export function tokenSecrets(app: Pick<AppConfig, 'id' | 'apiKeys'> & { email: EmailConfig }): string[] {
  if (app.email.tokenSecret) return [app.email.tokenSecret];
  const keys = app.apiKeys.length ? app.apiKeys : [app.id];
  return keys.map((key) => derivedSecret(key, app.id));
}

function derivedSecret(key: string, appId: string): string {
  return createHmac('sha256', key).update(`parley-email-token:${appId}`).digest('hex');
}
