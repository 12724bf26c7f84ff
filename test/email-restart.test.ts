/**
 * The mail server restarted in the middle of a conversation: notifications sent while it is down go out once it
 * is back, replies after the restart are relayed, and a reply that reappears in the mailbox (a restored mailbox
 * without Parley's keywords) is not relayed twice.
 */
import { randomBytes } from 'node:crypto';
import { sendRawMail } from './helpers/mail';
import { gmailReply, replyToOf, startEmailStack, waitForNotifications, type EmailStack } from './helpers/email-stack';
import { waitForOutbox } from './helpers/parley';
import { waitFor } from './helpers/wait';

let stack: EmailStack;

beforeAll(async () => {
  stack = await startEmailStack({ label: 'restart' });
});

afterAll(async () => {
  await stack?.close();
});

const texts = (userId: string) => stack.repliesFor(userId).map((d) => d.body.data.message?.text);

describe('Email: the mail server restarted mid-stream', () => {
  it('loses nothing and doubles nothing', async () => {
    const { api, userPath } = stack;
    for (const n of [1, 2, 3]) await api('POST', userPath('lee', '/messages'), { text: `message ${n}` });
    const before = await waitForNotifications(stack, 'lee', 3);
    const to = replyToOf(before[0]!);
    const replyRaw = (text: string, id: string) =>
      gmailReply({
        from: 'Ana Agent <agent@acme.com>',
        to,
        subject: `Re: ${before[0]!.parsed.subject}`,
        messageId: id,
        reply: text,
        quoted: 'message 1',
      });
    const first = replyRaw('reply 1', `<r1.${randomBytes(4).toString('hex')}@acme.com>`);
    await sendRawMail(stack.agent, 'agent@acme.com', [to], first);
    await waitFor(() => texts('lee').length === 1, { what: 'reply 1' });

    await stack.mail.stop();
    for (const n of [4, 5, 6]) await api('POST', userPath('lee', '/messages'), { text: `message ${n}` });
    // The outbox is trying (and failing) to send while the server is down.
    await waitFor(
      async () => {
        const r = await api('GET', userPath('lee', '/conversation'));
        const box = r.body.outboxes?.find((b: { key: string }) => b.key === 'email');
        return box && box.pending >= 1 ? box : undefined;
      },
      { what: 'email outbox pending while the server is down' },
    );
    await stack.mail.restart();

    // Mailboxes come back empty (GreenMail keeps mail in memory): exactly the three new notifications arrive.
    const after = await waitForNotifications(stack, 'lee', 3, 60_000);
    const bodies = after.map((m) => /message (\d)/.exec(m.parsed.text ?? '')?.[1]).sort();
    expect(bodies).toEqual(['4', '5', '6']);
    expect(new Set(after.map((m) => m.parsed.messageId)).size).toBe(3);
    for (const m of before) expect(after.map((a) => a.parsed.messageId)).not.toContain(m.parsed.messageId);
    await waitForOutbox(api, stack.appId, 'lee', 'email', 'idle', 30_000);

    // The watcher reconnects (new UIDVALIDITY): a new reply is relayed; reply 1, back in the mailbox, is not.
    await sendRawMail(stack.agent, 'agent@acme.com', [to], first);
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      [to],
      replyRaw('reply 2', `<r2.${randomBytes(4).toString('hex')}@acme.com>`),
    );
    await waitFor(() => texts('lee').length >= 2, { timeoutMs: 90_000, what: 'reply 2 after the restart' });
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      [to],
      replyRaw('reply 3', `<r3.${randomBytes(4).toString('hex')}@acme.com>`),
    );
    await waitFor(() => texts('lee').length >= 3, { what: 'reply 3' });
    expect(texts('lee')).toEqual(['reply 1', 'reply 2', 'reply 3']);
    expect(new Set(stack.receiver.deliveries.map((d) => d.eventId)).size).toBe(stack.receiver.events().length);
  });
});
