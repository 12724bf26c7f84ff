/**
 * The email adapter against a transport that only keeps what it is given: which mails a batch becomes (one per
 * item, or one digest), how the thread's refs carry from mail to mail and batch to batch, and what a failed send
 * reports to the outbox (the items done before it, and the refs so far).
 */
import type { OutboxItem } from '../../../../common/conversation';
import { isIntegrationError, OutboxBatchError } from '../../../../common/errors';
import {
  createEmailAdapter,
  mailGroups,
  threadRefs,
  type EmailAdapterConfig,
  type EmailBatch,
} from '../../../../integrations/email/adapter';
import type { NotificationMail } from '../../../../integrations/email/compose';
import { emailThreadId, notificationMessageId } from '../../../../integrations/email/token';

const CONVERSATION = 'conv:acme:jane';
const THREAD = emailThreadId(CONVERSATION);

const config = (email: Partial<EmailAdapterConfig['email']> = {}): EmailAdapterConfig => ({
  appId: 'acme',
  appName: 'Acme',
  email: {
    from: 'Acme Support <parley@example.com>',
    teamAddresses: ['team@example.com'],
    replyAddress: 'support@example.com',
    copyAgentReplies: false,
    ...email,
  },
  tokenSecret: 'a-token-secret-of-some-length',
});

const user = (n: number): OutboxItem => ({
  eventId: `evt_u${n}`,
  kind: 'message:user',
  message: { id: `m${n}`, role: 'user', text: `user message ${n}`, at: '2026-11-21T10:00:00.000Z' },
  enqueuedAt: n,
});
const agent = (n: number): OutboxItem => ({
  eventId: `evt_a${n}`,
  kind: 'message:agent',
  message: {
    id: `a${n}`,
    role: 'agent',
    text: `agent reply ${n}`,
    at: '2026-11-21T10:01:00.000Z',
    source: 'slack',
    agent: { name: 'Ana Agent' },
  },
  enqueuedAt: n,
});

const batch = (items: OutboxItem[], refs: Record<string, string> = {}): EmailBatch => ({
  userId: 'jane',
  conversationId: CONVERSATION,
  profile: { givenName: 'Jane', surname: 'Doe' },
  refs,
  items,
});

/** A transport that keeps every mail; `failAt` makes that mail (0-based) fail as the server would. */
function transport(failAt?: { index: number; error: Error }) {
  const mails: NotificationMail[] = [];
  let calls = 0;
  return {
    mails,
    sendMail: (mail: NotificationMail): Promise<void> => {
      if (failAt && calls++ === failAt.index) return Promise.reject(failAt.error);
      mails.push(mail);
      return Promise.resolve();
    },
  };
}

const messageId = (eventId: string) =>
  notificationMessageId(config().tokenSecret, 'acme', THREAD, eventId, 'example.com');

describe('mailGroups', () => {
  it('makes one mail per item, or one digest of the whole batch', () => {
    const items = [user(1), user(2), user(3)];
    expect(mailGroups(items, false)).toEqual([[items[0]], [items[1]], [items[2]]]);
    expect(mailGroups(items, true)).toEqual([items]);
    expect(mailGroups([], false)).toEqual([]);
  });
});

describe('threadRefs', () => {
  it('starts a new thread with its subject, and keeps the subject and last mail of an ongoing one', () => {
    expect(threadRefs(batch([user(1)]), 'Acme')).toEqual({
      emailThread: THREAD,
      emailSubject: '[Acme] Conversation with Jane Doe',
    });
    expect(
      threadRefs(batch([user(1)], { emailSubject: 'Old subject', emailLastMessageId: '<last@example.com>' }), 'Acme'),
    ).toEqual({ emailThread: THREAD, emailSubject: 'Old subject', emailLastMessageId: '<last@example.com>' });
  });
});

describe('the email adapter', () => {
  it('mails each user message, each answering the one before, and returns the thread’s refs', async () => {
    const smtp = transport();
    const beats: number[] = [];
    const adapter = createEmailAdapter(smtp, config(), { heartbeat: () => beats.push(1) });
    const { refs } = await adapter.send(batch([user(1), user(2)]));
    expect(smtp.mails.map((m) => [m.messageId, m.inReplyTo, m.subject])).toEqual([
      [messageId('evt_u1'), messageId('thread'), '[Acme] Conversation with Jane Doe'],
      [messageId('evt_u2'), messageId('evt_u1'), 'Re: [Acme] Conversation with Jane Doe'],
    ]);
    expect(smtp.mails[0]).toMatchObject({ from: 'Acme Support <parley@example.com>', to: ['team@example.com'] });
    expect(smtp.mails[0]!.replyTo).toMatch(/^support\+c[a-z2-7]+@example\.com$/);
    expect(smtp.mails[0]!.text).toContain('user message 1');
    expect(refs).toEqual({
      emailThread: THREAD,
      emailSubject: '[Acme] Conversation with Jane Doe',
      emailLastMessageId: messageId('evt_u2'),
    });
    expect(beats).toHaveLength(2);

    // The next batch goes on in the same thread.
    const next = await adapter.send(batch([user(3)], refs));
    expect(smtp.mails[2]).toMatchObject({
      inReplyTo: messageId('evt_u2'),
      references: [messageId('thread'), messageId('evt_u2')],
      subject: 'Re: [Acme] Conversation with Jane Doe',
    });
    expect(next.refs.emailLastMessageId).toBe(messageId('evt_u3'));
  });

  it('mails a digest as one mail, in order', async () => {
    const smtp = transport();
    const { refs } = await createEmailAdapter(smtp, config({ digestSeconds: 60 })).send(
      batch([user(1), user(2), user(3)]),
    );
    expect(smtp.mails).toHaveLength(1);
    const text = smtp.mails[0]!.text;
    expect(text.indexOf('user message 1')).toBeLessThan(text.indexOf('user message 2'));
    expect(text.indexOf('user message 2')).toBeLessThan(text.indexOf('user message 3'));
    expect(refs.emailLastMessageId).toBe(messageId('evt_u1'));
  });

  it('leaves replies from elsewhere out unless the app copies them, and keeps the thread as it was', async () => {
    const quiet = transport();
    const kept = { emailSubject: 'S', emailLastMessageId: '<before@example.com>' };
    const { refs } = await createEmailAdapter(quiet, config()).send(batch([agent(1)], kept));
    expect(quiet.mails).toEqual([]);
    expect(refs).toEqual({ emailThread: THREAD, ...kept });

    const copying = transport();
    await createEmailAdapter(copying, config({ copyAgentReplies: true })).send(batch([agent(1)], kept));
    expect(copying.mails).toHaveLength(1);
    expect(copying.mails[0]!.text).toContain('Ana Agent replied via Slack');
  });

  it('reports a refused mail with the items done before it and the refs so far', async () => {
    // What nodemailer rejects with when the server refuses a recipient.
    const refused = Object.assign(new Error('Can\u2019t send mail - all recipients were rejected'), {
      code: 'EENVELOPE',
      response: '550 5.1.1 <team@example.com>: Recipient address rejected: User unknown',
      responseCode: 550,
      command: 'RCPT TO',
    });
    const smtp = transport({ index: 1, error: refused });
    const err: unknown = await createEmailAdapter(smtp, config())
      .send(batch([user(1), user(2), user(3)]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboxBatchError);
    const failed = err as OutboxBatchError;
    expect(failed.completed).toBe(1);
    expect(failed.refs).toEqual({
      emailThread: THREAD,
      emailSubject: '[Acme] Conversation with Jane Doe',
      emailLastMessageId: messageId('evt_u1'),
    });
    expect(isIntegrationError(failed.cause, 'email_rejected')).toBe(true);
    expect(failed.cause.retryable).toBe(false);
    expect(smtp.mails.map((m) => m.messageId)).toEqual([messageId('evt_u1')]);
  });

  it('counts the items it left out as done when a later mail fails', async () => {
    const lost = Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' });
    const smtp = transport({ index: 0, error: lost });
    const err = (await createEmailAdapter(smtp, config())
      .send(batch([agent(1), user(2)]))
      .catch((e: unknown) => e)) as OutboxBatchError;
    expect(err.completed).toBe(1);
    expect(isIntegrationError(err.cause, 'email_unavailable')).toBe(true);
    expect(err.cause.retryable).toBe(true);
  });
});
