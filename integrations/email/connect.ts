/**
 * "Test connection" for an app's email. Email needs no set-up in a vendor (the mailboxes are the set-up), so this
 * is the connection check alone.
 */
import type { EmailConfig } from '../../common/config';
import { createImapClient, createSmtpTransport } from './client';
import { imapConnectError, imapMailboxError, smtpError } from './errors';

/**
 * The SMTP login, then the IMAP login and mailbox, and whether that mailbox keeps Parley's keyword. Returns what
 * it found; throws an email error naming the side that failed.
 */
export async function checkEmail(config: EmailConfig): Promise<string> {
  const transport = createSmtpTransport(config);
  try {
    await transport.verify();
  } catch (err) {
    throw smtpError(err);
  } finally {
    transport.close();
  }
  const imap = createImapClient(config);
  // Failures reach the awaited calls below; an `error` event nobody listens to would crash the process.
  imap.on('error', () => undefined);
  try {
    await imap.connect();
  } catch (err) {
    throw imapConnectError(err);
  }
  try {
    const mailbox = await imap.mailboxOpen(config.imap.mailbox, { readOnly: true }).catch((err: unknown) => {
      throw imapMailboxError(config.imap.mailbox, err);
    });
    const keywords = mailbox.permanentFlags?.has('\\*') ? 'keeps keywords' : 'keeps NO keywords (UID cursor only)';
    return `SMTP login ok; IMAP mailbox ${config.imap.mailbox} has ${mailbox.exists} mails and ${keywords}`;
  } finally {
    await imap.logout().catch(() => imap.close());
  }
}
