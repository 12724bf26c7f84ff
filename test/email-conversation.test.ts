/**
 * A whole conversation by email against a real mail server: the user writes in the app, the team gets a threaded
 * notification, an agent answers from a mail client, the user gets the answer, and so on.
 */
import { fetchMails, sendRawMail } from './helpers/mail';
import { gmailReply, replyToOf, startEmailStack, waitForNotifications, type EmailStack } from './helpers/email-stack';
import { waitFor } from './helpers/wait';
import { agentReply } from './helpers/agent';
import { emailThreadId } from '../integrations/email/token';
import { conversationWorkflowId, inboxWorkflowId } from '../common/ids';

let stack: EmailStack;

beforeAll(async () => {
  stack = await startEmailStack({ label: 'conv', email: { copyAgentReplies: true } });
});

afterAll(async () => {
  await stack?.close();
});

describe('Email: a whole conversation', () => {
  it('mails each user message to the team, threaded, and relays the agents’ replies to the app', async () => {
    const { api, userPath } = stack;
    expect(
      (
        await api('PUT', userPath('jane'), {
          givenName: 'Jane',
          surname: 'Doe',
          email: 'jane@example.com',
          properties: { plan: 'pro' },
          device: { os: 'iOS 18.1', appVersion: '4.2.0' },
        })
      ).status,
    ).toBeLessThan(300);
    expect((await api('POST', userPath('jane', '/messages'), { text: 'My order never came' })).status).toBe(202);

    const [first] = await waitForNotifications(stack, 'jane', 1);
    const thread = emailThreadId(conversationWorkflowId(stack.appId, 'jane'));
    expect(first!.parsed.subject).toBe('[Acme] Conversation with Jane Doe');
    expect(first!.parsed.from?.value[0]).toMatchObject({ name: 'Acme Support', address: 'parley@example.com' });
    // Parley's Message-IDs carry the thread and a mac of it under the app's key (what a reply without its token
    // proves its thread with); the root is the thread's, with the same mac.
    expect(first!.parsed.messageId).toMatch(
      new RegExp(`^<parley\\.${thread}\\.[a-z2-7]{16}\\.evt_[0-9a-f]+@example\\.com>$`),
    );
    const mac = first!.parsed.messageId!.split('.')[2]!;
    const root = `<parley.${thread}.${mac}.thread@example.com>`;
    expect(first!.parsed.inReplyTo).toBe(root);
    expect(replyToOf(first!)).toMatch(/^support\+c[a-z2-7]{29}@example\.com$/);
    expect(first!.headers.get('auto-submitted')).toBe('auto-generated');
    const text = first!.parsed.text ?? '';
    for (const part of [
      'My order never came',
      'Email: jane@example.com',
      'plan: pro',
      'os: iOS 18.1',
      'appVersion: 4.2.0',
    ])
      expect(text).toContain(part);
    expect(first!.parsed.html).toContain('My order never came');

    // An agent replies from a mail client: Gmail-style multipart, the notification quoted, a signature.
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      [replyToOf(first!)],
      gmailReply({
        from: '"Ana Agent" <agent@acme.com>',
        to: replyToOf(first!),
        subject: `Re: ${first!.parsed.subject}`,
        inReplyTo: first!.parsed.messageId!,
        references: `${root} ${first!.parsed.messageId}`,
        reply: 'Hi Jane, it’s on its way: it ships tomorrow.\nAna',
        quoted: 'Jane Doe wrote:\nMy order never came',
      }),
    );
    const [reply] = await waitFor(() => (stack.repliesFor('jane').length ? stack.repliesFor('jane') : undefined), {
      what: 'the agent reply at the client app',
    });
    expect(reply!.signatureValid).toBe(true);
    expect(reply!.body.data.message).toMatchObject({
      role: 'agent',
      source: 'email',
      text: 'Hi Jane, it’s on its way: it ships tomorrow.\nAna',
      agent: { name: 'Ana Agent' },
    });

    // Parley marked the mail with its own keyword, and left \Seen to the people who read that mailbox.
    const [inSupport] = await waitFor(async () => {
      const mails = await fetchMails(stack.support);
      return mails.every((m) => m.keywords.has('$ParleyProcessed')) ? mails : undefined;
    });
    expect(inSupport!.flags.has('\\Seen')).toBe(false);

    // The conversation goes on: the next notification answers the first in the same thread.
    await api('POST', userPath('jane', '/messages'), { text: 'Thanks! Which carrier?' });
    const mails = await waitForNotifications(stack, 'jane', 2);
    const second = mails.find((m) => m.parsed.text?.includes('Which carrier'))!;
    expect(second.parsed.inReplyTo).toBe(first!.parsed.messageId);
    expect(second.parsed.references).toEqual([root, first!.parsed.messageId]);
    expect(second.parsed.subject).toBe('Re: [Acme] Conversation with Jane Doe');
    expect(replyToOf(second)).toBe(replyToOf(first!));

    // A client that drops the plus-address still threads: the reply is found from In-Reply-To.
    await sendRawMail(
      stack.agent,
      'boss@partner.example',
      ['support@example.com'],
      gmailReply({
        from: 'boss@partner.example',
        to: 'support@example.com',
        subject: `Re: ${second.parsed.subject}`,
        inReplyTo: second.parsed.messageId!,
        reply: 'UPS, tracking 1Z999.',
        quoted: 'Thanks! Which carrier?',
      }),
    );
    await waitFor(() => stack.repliesFor('jane').length === 2, { what: 'the second reply' });
    expect(stack.repliesFor('jane')[1]!.body.data.message).toMatchObject({
      text: 'UPS, tracking 1Z999.',
      agent: { name: 'boss@partner.example' },
    });
  });

  it('copies replies made elsewhere to the thread, so email-only teammates see the whole conversation', async () => {
    const { api, userPath } = stack;
    await api('POST', userPath('sam', '/messages'), { text: 'Is there a student discount?' });
    await waitForNotifications(stack, 'sam', 1);
    await agentReply(stack.parley.client, stack.appId, 'sam', 'slack-reply-1', 'Yes: 50% with a student id.', 'slack');
    const mails = await waitForNotifications(stack, 'sam', 2);
    const copy = mails.find((m) => m.parsed.text?.includes('50% with a student id'))!;
    expect(copy.parsed.text).toContain('Ana Agent replied via Slack');
    // It went to the client app too, once, and was not mailed back as a reply.
    await waitFor(() => stack.repliesFor('sam').length === 1);
  });

  it('runs a new watcher’s IMAP sessions as `watchEmailInbox`, not the old `watchInbox`', async () => {
    const history = await stack.parley.client.workflow.getHandle(inboxWorkflowId(stack.appId)).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });
    expect(scheduled.length).toBeGreaterThan(0);
    expect(new Set(scheduled)).toEqual(new Set(['watchEmailInbox']));
  });
});
