/**
 * Tests talk to a real GreenMail (see scripts/mail-server.ts) the way Parley will: SMTP with auth through
 * nodemailer, IMAP through imapflow, MIME through mailparser.
 */
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { simpleParser, type HeaderValue, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { startMailServer, type MailServer, type MailUser } from '../../scripts/mail-server';
import { waitFor } from './wait';

export type { MailServer, MailUser };

export interface MailAccount {
  host: string;
  port: number;
  user: string;
  pass: string;
}

export interface FetchedMail {
  uid: number;
  /** Every flag, system (`\Seen`) and keyword (`$ParleyProcessed`) alike. */
  flags: Set<string>;
  /** The flags that are keywords, i.e. not `\`-prefixed system flags. */
  keywords: Set<string>;
  /** mailparser's header map: lower-case names, structured values for address headers. */
  headers: Map<string, HeaderValue>;
  parsed: ParsedMail;
  raw: Buffer;
}

/** A GreenMail on free ports, the jar shared with `npm run mail` under `.parley/`. */
export function startTestMailServer(users: MailUser[]): Promise<MailServer> {
  return startMailServer({ home: path.resolve('.parley'), users });
}

/** An IMAP client for `account`, connected; the caller logs out. No TLS: GreenMail's plain port has none. */
export async function connectImap(
  account: MailAccount,
  options: { disableAutoIdle?: boolean } = {},
): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: account.user, pass: account.pass },
    logger: false,
    disableAutoIdle: options.disableAutoIdle ?? true,
  });
  await client.connect();
  return client;
}

/** Submits `rawMime` as is over SMTP with AUTH; the envelope, not the headers, decides who receives it. */
export async function sendRawMail(
  account: MailAccount,
  from: string,
  to: string[],
  rawMime: string | Buffer,
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: account.host,
    port: account.port,
    secure: false,
    ignoreTLS: true,
    auth: { user: account.user, pass: account.pass },
  });
  try {
    await transport.sendMail({ envelope: { from, to }, raw: rawMime });
  } finally {
    transport.close();
  }
}

/** Every message in `mailbox`, read with BODY.PEEK so fetching never sets `\Seen`. */
export async function fetchMails(account: MailAccount, mailbox = 'INBOX'): Promise<FetchedMail[]> {
  const client = await connectImap(account);
  try {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const mails: FetchedMail[] = [];
      if (client.mailbox && client.mailbox.exists === 0) return mails;
      for await (const message of client.fetch('1:*', { uid: true, flags: true, source: true })) {
        const raw = message.source ?? Buffer.alloc(0);
        const parsed = await simpleParser(raw);
        const flags = message.flags ?? new Set<string>();
        const keywords = new Set([...flags].filter((flag) => !flag.startsWith('\\')));
        mails.push({ uid: message.uid, flags, keywords, headers: parsed.headers, parsed, raw });
      }
      return mails;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** Polls `mailbox` until `until` (a count, or a test over all messages) holds; returns the messages. */
export function waitForMails(
  account: MailAccount,
  until: number | ((mails: FetchedMail[]) => boolean),
  options: { timeoutMs?: number; mailbox?: string } = {},
): Promise<FetchedMail[]> {
  const done = typeof until === 'number' ? (mails: FetchedMail[]) => mails.length >= until : until;
  return waitFor(
    async () => {
      const mails = await fetchMails(account, options.mailbox);
      return done(mails) ? mails : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 15_000,
      intervalMs: 200,
      what: `mail in ${account.user}'s ${options.mailbox ?? 'INBOX'}`,
    },
  );
}

/** A small RFC 5322 message; entries in `headers` replace the default ones of the same name. */
export function rawMail(fields: {
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId?: string;
  headers?: Record<string, string>;
}): string {
  const lines = Object.entries({
    From: fields.from,
    To: fields.to,
    Subject: fields.subject,
    'Message-ID': fields.messageId ?? `<${Date.now()}.${Math.random().toString(36).slice(2)}@parley.test>`,
    Date: new Date().toUTCString(),
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...fields.headers,
  }).map(([name, value]) => `${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${fields.text.replace(/\r?\n/g, '\r\n')}\r\n`;
}
