/**
 * `digestSeconds`: what a user writes within the window reaches the team as one mail, in order. And a first start
 * against a mailbox that already holds mail leaves that mail alone.
 */
import { fetchMails, rawMail, sendRawMail, startTestMailServer, type MailServer } from './helpers/mail';
import {
  EMAIL_TEST_USERS,
  gmailReply,
  replyToOf,
  startEmailStack,
  waitForNotifications,
  type EmailStack,
} from './helpers/email-stack';
import { waitForOutbox } from './helpers/parley';
import { waitFor } from './helpers/wait';

let mail: MailServer;
let stack: EmailStack;

beforeAll(async () => {
  mail = await startTestMailServer(EMAIL_TEST_USERS);
  // Mail that was in Parley's mailbox before Parley ever read it: someone's old thread.
  await sendRawMail(
    { host: mail.host, port: mail.smtpPort, user: 'agent', pass: 'agent-pw' },
    'agent@acme.com',
    ['support@example.com'],
    rawMail({ from: 'agent@acme.com', to: 'support@example.com', subject: 'old', text: 'from before Parley' }),
  );
  stack = await startEmailStack({ label: 'digest', email: { digestSeconds: 2 }, mail });
});

afterAll(async () => {
  await stack?.close();
  await mail?.stop();
});

describe('Email: digests', () => {
  it('mails the messages of one window together', async () => {
    const { api, userPath } = stack;
    for (const text of ['first', 'second', 'third'])
      expect((await api('POST', userPath('max', '/messages'), { text })).status).toBe(202);
    const [notification] = await waitForNotifications(stack, 'max', 1);
    await waitForOutbox(api, stack.appId, 'max', 'email', 'idle');
    expect(await stack.notificationsFor('max')).toHaveLength(1);
    const text = notification!.parsed.text ?? '';
    expect(text.indexOf('first')).toBeGreaterThan(-1);
    expect(text.indexOf('first')).toBeLessThan(text.indexOf('second'));
    expect(text.indexOf('second')).toBeLessThan(text.indexOf('third'));

    // The first watcher session started after the old mail: a reply is read, the old mail is not touched.
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      [replyToOf(notification!)],
      gmailReply({
        from: 'agent@acme.com',
        to: replyToOf(notification!),
        subject: 'Re: digest',
        reply: 'All three noted.',
        quoted: 'first',
      }),
    );
    await waitFor(() => stack.repliesFor('max').length === 1, { what: 'the reply' });
    const inbox = await fetchMails(stack.support);
    expect(inbox.map((m) => [m.parsed.subject, m.keywords.has('$ParleyProcessed')])).toEqual([
      ['old', false],
      ['Re: digest', true],
    ]);
  });
});
