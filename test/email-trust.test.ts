/**
 * What an agent's reply by mail must prove before the user sees it, as an attacker would try it against a real
 * mail server: the thread (a forged `References` computed from the public, unkeyed thread id is not enough) and,
 * when the app asks for it, the sender (the receiving server's Authentication-Results, not a header the sender
 * wrote into the mail).
 */
import { randomBytes } from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { emailThreadId } from '../integrations/email/token';
import { sendRawMail, fetchMails, type FetchedMail } from './helpers/mail';
import {
  gmailReply,
  inboundCount,
  replyToOf,
  startEmailStack,
  waitForNotifications,
  type EmailStack,
} from './helpers/email-stack';
import { waitFor } from './helpers/wait';

const texts = (stack: EmailStack, userId: string) => stack.repliesFor(userId).map((d) => d.body.data.message?.text);
const uniqueId = () => `<CA${randomBytes(8).toString('hex')}@mail.acme.com>`;

/** Every mail in Parley's reply mailbox has been dealt with (marked with Parley's keyword). */
async function allProcessed(stack: EmailStack, count: number): Promise<void> {
  await waitFor(
    async () => {
      const mails = await fetchMails(stack.support);
      return mails.length === count && mails.every((m) => m.keywords.has('$ParleyProcessed'));
    },
    { what: `${count} mails processed in the reply mailbox` },
  );
}

describe('Email: a reply must prove its thread', () => {
  let stack: EmailStack;
  let notification: FetchedMail;

  beforeAll(async () => {
    stack = await startEmailStack({ label: 'thread' });
    await stack.api('POST', stack.userPath('kim', '/messages'), { text: 'Is my account safe?' });
    [notification] = (await waitForNotifications(stack, 'kim', 1)) as [FetchedMail];
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('ignores References forged from the unkeyed thread id (forged_reference) and relays the genuine replies', async () => {
    // The attacker knows the app id and the user id, so the thread id (an unkeyed hash of
    // `conversation:<app>:<user>`); they send from an address allowedSenders lets in (a colleague at acme.com),
    // to the bare reply address: no token.
    const thread = emailThreadId(conversationWorkflowId(stack.appId, 'kim'));
    const forgedRoot = `<parley.${thread}.thread@example.com>`;
    const forgedEvent = `<parley.${thread}.evt_${randomBytes(16).toString('hex')}@example.com>`;
    // …or guesses at a keyed id's shape with a made-up mac.
    const madeUpMac = `<parley.${thread}.${'a'.repeat(16)}.evt_${randomBytes(16).toString('hex')}@example.com>`;
    const phishing = 'Security notice: your account is suspended. Confirm your password at https://evil.test/login';
    const forged = (inReplyTo: string, references: string) =>
      gmailReply({
        from: '"Acme Security" <agent@acme.com>',
        to: 'support@example.com',
        subject: `Re: ${notification.parsed.subject}`,
        inReplyTo,
        references,
        messageId: uniqueId(),
        reply: phishing,
        quoted: 'Is my account safe?',
      });
    const before = await inboundCount(stack, 'forged_reference');
    await sendRawMail(stack.agent, 'agent@acme.com', ['support@example.com'], forged(forgedRoot, forgedRoot));
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      ['support@example.com'],
      forged(forgedEvent, `${forgedRoot} ${forgedEvent}`),
    );
    await sendRawMail(stack.agent, 'agent@acme.com', ['support@example.com'], forged(madeUpMac, madeUpMac));

    // The genuine replies: one from a client that dropped the plus-address but kept the notification's
    // In-Reply-To and References (keyed Message-IDs), one to the Reply-To with its token.
    const references = [notification.parsed.references ?? []].flat();
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      ['support@example.com'],
      gmailReply({
        from: '"Ana Agent" <agent@acme.com>',
        to: 'support@example.com',
        subject: `Re: ${notification.parsed.subject}`,
        inReplyTo: notification.parsed.messageId!,
        references: [...references, notification.parsed.messageId!].join(' '),
        messageId: uniqueId(),
        reply: 'Yes: nothing unusual on your account.',
        quoted: 'Is my account safe?',
      }),
    );
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      [replyToOf(notification)],
      gmailReply({
        from: '"Ana Agent" <agent@acme.com>',
        to: replyToOf(notification),
        subject: `Re: ${notification.parsed.subject}`,
        inReplyTo: notification.parsed.messageId!,
        messageId: uniqueId(),
        reply: 'And two-factor sign-in is on.',
        quoted: 'Is my account safe?',
      }),
    );

    // Mail is read in order, so once both genuine replies are at the app every forged one has been decided.
    await waitFor(() => stack.repliesFor('kim').length >= 2, { what: 'the two genuine replies at the app' });
    await allProcessed(stack, 5);
    expect(texts(stack, 'kim')).toEqual(['Yes: nothing unusual on your account.', 'And two-factor sign-in is on.']);
    expect((await inboundCount(stack, 'forged_reference')) - before).toBe(3);
  });
});

describe('Email: requireAuthenticatedSender', () => {
  let stack: EmailStack;
  let notification: FetchedMail;

  beforeAll(async () => {
    stack = await startEmailStack({
      label: 'dmarc',
      email: { requireAuthenticatedSender: true, authServId: 'mx.example.com' },
    });
    await stack.api('POST', stack.userPath('lou', '/messages'), { text: 'Where is my refund?' });
    [notification] = (await waitForNotifications(stack, 'lou', 1)) as [FetchedMail];
  });

  afterAll(async () => {
    await stack?.close();
  });

  /**
   * A reply with its token, as a receiving server hands it to the mailbox: `verdicts` are the
   * Authentication-Results headers above the mail, topmost (the server's own) first.
   */
  const reply = (text: string, verdicts: string[]) =>
    [
      ...verdicts.map((v) => `Authentication-Results: ${v}`),
      gmailReply({
        from: '"Ana Agent" <agent@acme.com>',
        to: replyToOf(notification),
        subject: `Re: ${notification.parsed.subject}`,
        inReplyTo: notification.parsed.messageId!,
        messageId: uniqueId(),
        reply: text,
        quoted: 'Where is my refund?',
      }),
    ].join('\r\n');

  it('relays only the reply the receiving server vouches for with DMARC (or the From domain’s DKIM)', async () => {
    const send = (raw: string) => sendRawMail(stack.agent, 'agent@acme.com', [replyToOf(notification)], raw);
    const before = await inboundCount(stack, 'unauthenticated_sender');
    // A spoofed From with no verdict at all (the server checked nothing, or the option is on where it cannot).
    await send(reply('Spoofed 1: no verdict', []));
    // The server says DMARC failed; the sender wrote a pass of its own below it.
    await send(
      reply('Spoofed 2: a pass written below the server’s fail', [
        'mx.example.com; spf=fail smtp.mailfrom=acme.com; dmarc=fail (p=REJECT) header.from=acme.com',
        'mx.example.com; dmarc=pass header.from=acme.com',
      ]),
    );
    // A pass from a server that is not the receiving one.
    await send(reply('Spoofed 3: a pass from someone else', ['evil.test; dmarc=pass header.from=acme.com']));
    // A pass, but for the attacker's own domain, and DKIM signed by a bulk mailer's domain.
    await send(
      reply('Spoofed 4: the pass is for another domain', [
        'mx.example.com; dkim=pass header.d=bulkmailer.test; spf=pass smtp.mailfrom=bounce@evil.test; dmarc=pass header.from=evil.test',
      ]),
    );
    await send(
      reply('Refunded today.', [
        'mx.example.com; dkim=pass header.i=@acme.com header.s=s1 header.b="Hk3pQ2"; spf=pass (domain of agent@acme.com designates 192.0.2.10 as permitted sender) smtp.mailfrom=agent@acme.com; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=acme.com',
      ]),
    );
    await send(
      reply('It shows in 3 days.', [
        'mx.example.com; dkim=pass (2048-bit key) header.d=acme.com header.s=fm3; dmarc=none header.from=acme.com',
      ]),
    );

    await waitFor(() => stack.repliesFor('lou').length >= 2, { what: 'the two authenticated replies at the app' });
    await allProcessed(stack, 6);
    expect(texts(stack, 'lou')).toEqual(['Refunded today.', 'It shows in 3 days.']);
    expect((await inboundCount(stack, 'unauthenticated_sender')) - before).toBe(4);
  });
});
