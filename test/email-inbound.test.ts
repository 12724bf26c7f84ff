/**
 * What the inbox watcher must not relay: every kind of mail that is not an allowed agent's reply to a live
 * conversation is ignored with a log line and a metric, and the watcher keeps going (malformed MIME included).
 */
import { randomBytes } from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { tokenSecret } from '../integrations/email/client';
import { checkEmail } from '../integrations/email/connect';
import { replyAddressWithToken, replyToken } from '../integrations/email/token';
import { fetchMails, rawMail, sendRawMail, type FetchedMail } from './helpers/mail';
import {
  gmailReply,
  inboundCount,
  replyToOf,
  startEmailStack,
  waitForNotifications,
  type EmailStack,
} from './helpers/email-stack';
import { apiClient, testAdminKey } from './helpers/parley';
import { waitFor } from './helpers/wait';

let stack: EmailStack;
let notification: FetchedMail;

beforeAll(async () => {
  stack = await startEmailStack({ label: 'inbound' });
  await stack.api('POST', stack.userPath('kim', '/messages'), { text: 'Can I change my plan?' });
  [notification] = (await waitForNotifications(stack, 'kim', 1)) as [FetchedMail];
});

afterAll(async () => {
  await stack?.close();
});

const send = (from: string, to: string, raw: string) => sendRawMail(stack.agent, from, [to], raw);
const reply = (overrides: Partial<Parameters<typeof gmailReply>[0]> = {}) =>
  gmailReply({
    from: '"Ana Agent" <agent@acme.com>',
    to: replyToOf(notification),
    subject: `Re: ${notification.parsed.subject}`,
    inReplyTo: notification.parsed.messageId!,
    reply: 'Yes, from Settings > Plan.',
    quoted: 'Can I change my plan?',
    ...overrides,
  });

const metric = (result: string) => inboundCount(stack, result);

describe('Email: what the inbox ignores', () => {
  it('relays only the allowed agent’s reply, and marks every mail so it is never read twice', async () => {
    const app = stack.config.apps[0]!;
    const secret = tokenSecret({ ...app, email: app.email! });
    const token = replyToOf(notification).split('+')[1]!.split('@')[0]!;
    const forged = replyAddressWithToken(
      'support@example.com',
      `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`,
    );
    const stale = replyAddressWithToken(
      'support@example.com',
      replyToken(secret, stack.appId, conversationWorkflowId(stack.appId, 'ghost')),
    );
    const to = replyToOf(notification);
    const cases: [string, string, string, string][] = [
      ['sender_not_allowed', 'mallory@evil.test', to, reply({ from: 'Mallory <mallory@evil.test>' })],
      ['forged_token', 'agent@acme.com', forged, reply({ to: forged })],
      ['stale_token', 'agent@acme.com', stale, reply({ to: stale, inReplyTo: '<x@y>' })],
      ['auto_reply', 'agent@acme.com', to, reply({ headers: { 'Auto-Submitted': 'auto-replied' } })],
      ['auto_reply', 'agent@acme.com', to, reply({ headers: { 'X-Autoreply': 'yes' } })],
      ['auto_reply', 'agent@acme.com', to, reply({ headers: { Precedence: 'bulk' } })],
      ['auto_reply', 'agent@acme.com', to, reply({ subject: 'Out of Office: I am away until Monday' })],
      [
        'bounce',
        'MAILER-DAEMON@acme.com',
        to,
        rawMail({
          from: 'Mail Delivery System <MAILER-DAEMON@acme.com>',
          to,
          subject: 'Undelivered Mail Returned to Sender',
          text: 'This is the mail system. Your message could not be delivered.',
          headers: { 'Content-Type': 'multipart/report; report-type=delivery-status; boundary="x"' },
        }),
      ],
      ['own_notification', 'parley@example.com', to, notification.raw.toString('utf8')],
      ['empty_reply', 'agent@acme.com', to, reply({ reply: '' })],
      [
        'malformed',
        'agent@acme.com',
        to,
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\nContent-Type: text/plain; charset="x-unknown"\r\nContent-Transfer-Encoding: base64\r\n\r\n\u0000\u00ff!!@@##not base64\r\n',
      ],
    ];
    const before = new Map<string, number>();
    for (const [reason] of cases) before.set(reason, await metric(reason));
    for (const [, from, rcpt, raw] of cases) await send(from, rcpt, raw);
    // The one real reply, last: once it is relayed, every mail before it (UID order) has been dealt with.
    await send('agent@acme.com', to, reply({ messageId: `<real.${randomBytes(4).toString('hex')}@acme.com>` }));
    await waitFor(() => stack.repliesFor('kim').length >= 1, { what: 'the real reply' });

    const expected = new Map<string, number>();
    for (const [reason] of cases) expected.set(reason, (expected.get(reason) ?? 0) + 1);
    for (const [reason, count] of expected) {
      expect({ reason, counted: (await metric(reason)) - (before.get(reason) ?? 0) }).toEqual({
        reason,
        counted: count,
      });
    }
    expect(stack.repliesFor('kim').map((d) => d.body.data.message?.text)).toEqual(['Yes, from Settings > Plan.']);
    expect(stack.repliesFor('ghost')).toEqual([]);
    const mails = await fetchMails(stack.support);
    expect(mails).toHaveLength(cases.length + 1);
    expect(mails.filter((m) => !m.keywords.has('$ParleyProcessed')).map((m) => m.parsed.subject)).toEqual([]);
    expect(mails.filter((m) => m.flags.has('\\Seen'))).toEqual([]);
  });

  it('is still watching afterwards', async () => {
    await send('agent@acme.com', replyToOf(notification), reply({ reply: 'One more thing: it is free.' }));
    await waitFor(() => stack.repliesFor('kim').length === 2, { what: 'the reply after the bad mail' });
    expect(stack.repliesFor('kim')[1]!.body.data.message?.text).toBe('One more thing: it is free.');
  });
});

describe('Email: checking the connection', () => {
  it('reports the SMTP and IMAP logins and the keyword support, and names a bad password', async () => {
    const admin = apiClient(stack.parley.apiUrl, testAdminKey);
    const res = await admin('POST', `/v1/apps/${stack.appId}/integrations/email/check`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'email', state: 'ok' });
    expect(res.body.message).toContain('keeps keywords');

    const email = stack.config.apps[0]!.email!;
    await expect(checkEmail({ ...email, imap: { ...email.imap, pass: 'wrong' } })).rejects.toMatchObject({
      code: 'email_auth_failed',
    });
  });
});
