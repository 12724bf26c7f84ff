/**
 * The GreenMail that Parley's email tests run against does what Parley needs of a mail server: authenticated
 * SMTP, plus-addressed delivery, IMAP IDLE, custom keywords that searches see, peeking fetches, and restarts.
 */
import type { ExistsEvent, ImapFlow } from 'imapflow';
import {
  connectImap,
  fetchMails,
  rawMail,
  sendRawMail,
  startTestMailServer,
  waitForMails,
  type MailAccount,
  type MailServer,
} from './helpers/mail';
import { waitFor } from './helpers/wait';

const USERS = [
  { login: 'support', password: 'support-secret', email: 'support@example.com' },
  { login: 'agent', password: 'agent-secret', email: 'agent@example.com' },
];

function accounts(server: MailServer): { smtp: MailAccount; support: MailAccount; agent: MailAccount } {
  return {
    smtp: { host: server.host, port: server.smtpPort, user: 'agent', pass: 'agent-secret' },
    support: { host: server.host, port: server.imapPort, user: 'support', pass: 'support-secret' },
    agent: { host: server.host, port: server.imapPort, user: 'agent', pass: 'agent-secret' },
  };
}

let unique = 0;
function subject(what: string): string {
  unique += 1;
  return `${what} ${unique} ${Date.now()}`;
}

async function sendToSupport(smtp: MailAccount, to = 'support@example.com'): Promise<string> {
  const title = subject('question');
  await sendRawMail(
    smtp,
    'agent@example.com',
    [to],
    rawMail({ from: 'Agent <agent@example.com>', to: `Support <${to}>`, subject: title, text: 'Hello there' }),
  );
  return title;
}

describe('GreenMail as Parley mail server', () => {
  let server: MailServer;
  let smtp: MailAccount;
  let support: MailAccount;
  let agent: MailAccount;

  beforeAll(async () => {
    server = await startTestMailServer(USERS);
    ({ smtp, support, agent } = accounts(server));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('delivers mail submitted over SMTP with AUTH, and refuses wrong credentials on SMTP and IMAP', async () => {
    const title = await sendToSupport(smtp);
    const mails = await waitForMails(support, (all) => all.some((m) => m.parsed.subject === title));
    const mail = mails.find((m) => m.parsed.subject === title);
    expect(mail?.parsed.from?.value).toEqual([{ address: 'agent@example.com', name: 'Agent' }]);
    expect(mail?.parsed.text?.trim()).toBe('Hello there');

    await expect(sendToSupport({ ...smtp, pass: 'wrong' })).rejects.toMatchObject({ code: 'EAUTH' });
    await expect(connectImap({ ...support, pass: 'wrong' })).rejects.toThrow();
  });

  it('delivers support+token@ to support@ INBOX and keeps the plus address in To', async () => {
    const title = await sendToSupport(smtp, 'support+abc123@example.com');
    const mails = await waitForMails(support, (all) => all.some((m) => m.parsed.subject === title));
    const mail = mails.find((m) => m.parsed.subject === title);
    const to = { value: [{ address: 'support+abc123@example.com', name: 'Support' }] };
    expect(mail?.parsed.to).toMatchObject(to);
    expect(mail?.headers.get('to')).toMatchObject(to);
    expect(mail?.raw.toString()).toContain('\r\nTo: Support <support+abc123@example.com>\r\n');
    expect((await fetchMails(agent)).some((m) => m.parsed.subject === title)).toBe(false);
  });

  it('announces a new message to a client in IMAP IDLE', async () => {
    const client = await connectImap(support);
    try {
      expect(client.capabilities.has('IDLE')).toBe(true);
      const inbox = await client.mailboxOpen('INBOX');
      const before = inbox.exists;
      const arrived = new Promise<ExistsEvent>((resolve) => client.once('exists', resolve));
      const idle = client.idle();
      await waitFor(() => client.idling, { timeoutMs: 5000, what: 'IDLE to start' });

      await sendToSupport(smtp);
      await expect(arrived).resolves.toEqual({ path: 'INBOX', count: before + 1, prevCount: before });
      // The news came while idling; the IDLE ends only when the client has something to say.
      expect(client.idling).toBe(true);
      await client.noop();
      await idle;
    } finally {
      await client.logout();
    }
  });

  it('stores custom keywords, searches by them, and never sets \\Seen on a fetch', async () => {
    const first = await sendToSupport(smtp);
    const second = await sendToSupport(smtp);
    await waitForMails(support, (all) => [first, second].every((t) => all.some((m) => m.parsed.subject === t)));

    const client: ImapFlow = await connectImap(support);
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        expect(client.mailbox && client.mailbox.permanentFlags?.has('\\*')).toBe(true);
        const uids: Record<string, number> = {};
        for await (const message of client.fetch('1:*', { uid: true, envelope: true, source: true })) {
          if (message.envelope?.subject) uids[message.envelope.subject] = message.uid;
        }
        const [a, b] = [uids[first], uids[second]] as [number, number];

        expect(await client.messageFlagsAdd(String(a), ['$ParleyProcessed'], { uid: true })).toBe(true);
        expect(await client.search({ keyword: '$ParleyProcessed' }, { uid: true })).toEqual([a]);
        expect(await client.search({ unKeyword: '$ParleyProcessed' }, { uid: true })).toContain(b);
        expect(await client.search({ unKeyword: '$ParleyProcessed' }, { uid: true })).not.toContain(a);
        // Fetching the source (BODY.PEEK[]) above left every message unread.
        expect(await client.search({ seen: true }, { uid: true })).toEqual([]);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }

    // Another session (a restarted worker) sees the keyword, and still no \Seen.
    const mails = await fetchMails(support);
    const processed = mails.find((m) => m.parsed.subject === first);
    expect([...(processed?.keywords ?? [])]).toEqual(['$ParleyProcessed']);
    expect(mails.every((m) => !m.flags.has('\\Seen'))).toBe(true);

    const again = await connectImap(support);
    try {
      const lock = await again.getMailboxLock('INBOX');
      try {
        const uid = String(processed?.uid);
        expect(await again.messageFlagsRemove(uid, ['$ParleyProcessed'], { uid: true })).toBe(true);
        expect(await again.search({ keyword: '$ParleyProcessed' }, { uid: true })).toEqual([]);
      } finally {
        lock.release();
      }
    } finally {
      await again.logout();
    }
  });
});

describe('GreenMail restart', () => {
  let server: MailServer;

  beforeAll(async () => {
    server = await startTestMailServer(USERS);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('comes back on the same ports with empty mailboxes and a larger UIDVALIDITY; clients reconnect', async () => {
    const { smtp, support } = accounts(server);
    const ports = { smtp: server.smtpPort, imap: server.imapPort };
    await sendToSupport(smtp);
    await waitForMails(support, 1);

    const client = await connectImap(support);
    const before = (await client.mailboxOpen('INBOX')).uidValidity;
    const closed = new Promise<void>((resolve) => client.once('close', resolve));

    await server.restart();
    await closed;
    expect({ smtp: server.smtpPort, imap: server.imapPort }).toEqual(ports);

    const fresh = await connectImap(support);
    try {
      const inbox = await fresh.mailboxOpen('INBOX');
      expect(inbox.exists).toBe(0);
      expect(inbox.uidValidity).toBeGreaterThan(before);
    } finally {
      await fresh.logout();
    }
    const title = await sendToSupport(smtp);
    const mails = await waitForMails(support, 1);
    expect(mails.map((m) => [m.uid, m.parsed.subject])).toEqual([[1, title]]);
  });
});
