/**
 * A whole email set-up for a test file: a real GreenMail, Parley (worker + API) with an app whose `email` integration
 * points at it, and the client app's webhook receiver. Mailboxes: `team@example.com` (the team reads
 * notifications), `support@example.com` (Parley's reply mailbox, read over IMAP), and agents who send from acme.com.
 */
import { randomBytes } from 'node:crypto';
import type { ParleyConfig } from '../../common/config';
import { fetchMails, startTestMailServer, type FetchedMail, type MailAccount, type MailServer } from './mail';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './parley';
import { freePort } from './ports';
import { waitFor } from './wait';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from './webhook-receiver';

export interface EmailStack {
  appId: string;
  mail: MailServer;
  parley: TestParley;
  api: ReturnType<typeof apiClient>;
  receiver: WebhookReceiver;
  team: MailAccount;
  support: MailAccount;
  /** SMTP account agents send with (any From: GreenMail does not tie it to the login). */
  agent: MailAccount;
  config: ParleyConfig;
  userPath(userId: string, rest?: string): string;
  /** Agent replies the client app received for a user, in arrival order, each once. */
  repliesFor(userId: string): Delivery[];
  /** The notification mails in the team's mailbox for a user. */
  notificationsFor(userId: string): Promise<FetchedMail[]>;
  close(): Promise<void>;
}

/** The stack's mail users; every password is `<login>-pw`. */
export const EMAIL_TEST_USERS = [
  { login: 'team', password: 'team-pw', email: 'team@example.com' },
  { login: 'support', password: 'support-pw', email: 'support@example.com' },
  { login: 'parley', password: 'parley-pw', email: 'parley@example.com' },
  { login: 'agent', password: 'agent-pw', email: 'agent@acme.com' },
];

export async function startEmailStack(
  options: {
    label?: string;
    email?: Record<string, unknown>;
    mail?: MailServer;
    /** Files: this store (`storage`), and Parley on its own port named by `server.publicUrl`, so signed URLs work. */
    storage?: Record<string, unknown>;
  } = {},
): Promise<EmailStack> {
  const users = EMAIL_TEST_USERS;
  const mail = options.mail ?? (await startTestMailServer(users));
  const account = (login: string, port: number): MailAccount => ({
    host: mail.host,
    port,
    user: login,
    pass: `${login}-pw`,
  });
  const appId = `${options.label ?? 'mail'}-${randomBytes(4).toString('hex')}`;
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const key = testKey('mail');
  const receiver = await startWebhookReceiver(secret);
  let config: ParleyConfig;
  let parley: TestParley;
  const port = options.storage ? await freePort() : undefined;
  try {
    config = testConfig({
      ...(options.storage ? { storage: options.storage, server: { publicUrl: `http://127.0.0.1:${port}` } } : {}),
      apps: [
        {
          id: appId,
          name: 'Acme',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          email: {
            smtp: { host: mail.host, port: mail.smtpPort, user: 'parley', pass: 'parley-pw' },
            imap: { host: mail.host, port: mail.imapPort, user: 'support', pass: 'support-pw' },
            from: 'Acme Support <parley@example.com>',
            teamAddresses: ['team@example.com'],
            allowedSenders: ['@acme.com', 'boss@partner.example'],
            replyAddress: 'support@example.com',
            ...options.email,
          },
        },
      ],
    });
    parley = await startTestParley({ config, ...(port !== undefined ? { port } : {}) });
  } catch (err) {
    // A stack that cannot start (a config Parley refuses) stops what it started, or the test run never exits.
    await receiver.close();
    if (!options.mail) await mail.stop();
    throw err;
  }
  const api = apiClient(parley.apiUrl, key);
  const team = account('team', mail.imapPort);
  return {
    appId,
    mail,
    parley,
    api,
    receiver,
    team,
    support: account('support', mail.imapPort),
    agent: account('agent', mail.smtpPort),
    config,
    userPath: (userId, rest = '') => `/v1/apps/${appId}/users/${encodeURIComponent(userId)}${rest}`,
    repliesFor: (userId) =>
      receiver.events().filter((d) => d.body.type === 'message:agent' && d.body.userId === userId),
    notificationsFor: async (userId) =>
      (await fetchMails(team)).filter((m) => m.parsed.text?.includes(`User id: ${userId}`)),
    async close() {
      // The inbox watcher would outlive this Parley in the shared dev server: end it first.
      await parley.client.workflow
        .getHandle(`inbox:${appId}`)
        .terminate('test over')
        .catch(() => undefined);
      await parley.stop();
      await receiver.close();
      if (!options.mail) await mail.stop();
    },
  };
}

/** Waits until the team has `count` notifications for a user; returns them. */
export function waitForNotifications(stack: EmailStack, userId: string, count: number, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const mails = await stack.notificationsFor(userId);
      return mails.length >= count ? mails : undefined;
    },
    { timeoutMs, what: `${count} notification(s) for ${userId}` },
  );
}

/**
 * How many mails the app's inbox watcher counted with `result` (`relayed`, or an ignore reason) so far: the
 * `parley_email_inbound_total` metric, as ops read it.
 */
export async function inboundCount(stack: EmailStack, result: string): Promise<number> {
  const headers = { authorization: `Bearer ${testAdminKey}` };
  const text = await (await fetch(`${stack.parley.apiUrl}/metrics`, { headers })).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`parley_email_inbound_total{app="${stack.appId}",result="${result}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The reply address (with its token) of a notification. */
export function replyToOf(mail: FetchedMail): string {
  const address = mail.parsed.replyTo?.value[0]?.address;
  if (!address) throw new Error('the notification has no Reply-To');
  return address;
}

/** A Gmail-like reply: multipart/alternative, quoted-printable, the notification quoted, a signature. */
export function gmailReply(fields: {
  from: string;
  to: string;
  subject: string;
  inReplyTo?: string;
  references?: string;
  messageId?: string;
  reply: string;
  quoted: string;
  headers?: Record<string, string>;
}): string {
  const boundary = `b_${randomBytes(6).toString('hex')}`;
  const quoted = fields.quoted
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\r\n');
  const head = Object.entries({
    From: fields.from,
    To: fields.to,
    Subject: fields.subject,
    Date: new Date().toUTCString(),
    'Message-ID': fields.messageId ?? `<CA${randomBytes(8).toString('hex')}@mail.acme.com>`,
    ...(fields.inReplyTo ? { 'In-Reply-To': fields.inReplyTo } : {}),
    ...(fields.references ? { References: fields.references } : {}),
    'MIME-Version': '1.0',
    'Content-Type': `multipart/alternative; boundary="${boundary}"`,
    ...fields.headers,
  })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  const text = [
    fields.reply.replace(/\n/g, '\r\n'),
    '',
    '-- ',
    'Ana Agent | Acme Support | +1 555 0100',
    '',
    'On Sat, Nov 21, 2026 at 10:00 AM Acme Support <parley@example.com> wrote:',
    '',
    quoted,
  ].join('\r\n');
  const html = [
    `<div dir="ltr">${fields.reply.replace(/\n/g, '<br>')}<br><br>-- <br>Ana Agent | Acme Support</div>`,
    '<div class="gmail_quote"><div class="gmail_attr">On Sat, Nov 21, 2026 at 10:00 AM Acme Support wrote:</div>',
    `<blockquote class="gmail_quote">${fields.quoted.replace(/\n/g, '<br>')}</blockquote></div>`,
  ].join('\r\n');
  const qp = (s: string): string =>
    Buffer.from(s, 'utf8')
      .toString('binary')
      .replace(/[=\u0080-\u00ff]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
      // Whitespace before a line break is encoded, as RFC 2045 asks (decoders drop it otherwise): "-- " stays.
      .replace(/ (?=\r\n|$)/g, '=20');
  return [
    head,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp(text),
    `--${boundary}`,
    'Content-Type: text/html; charset="UTF-8"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp(html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
