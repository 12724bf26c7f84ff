/**
 * The fallback mail to an offline user and what comes back of it: the mail itself (threaded, the agents' names
 * header-safe, the user's and agents' text escaped in HTML, unsubscribe headers), the unsubscribe token, and the
 * inbox's decisions on the user's answer (a user token, never an agent's) and on a bounce (a bounce token).
 */
import { simpleParser } from 'mailparser';
import { readMail } from '../../../../integrations/email/inbox-session';
import type { InboundContext } from '../../../../integrations/email/inbound';
import {
  composeOfflineMail,
  unsubscribeAppId,
  unsubscribeToken,
  verifyUnsubscribeToken,
  type OfflineMailContext,
} from '../../../../integrations/email/offline';
import {
  emailThreadId,
  replyAddressWithToken,
  tokenFromAddresses,
  userToken,
  userTokenFromAddresses,
} from '../../../../integrations/email/token';
import { readDeliveryAnswer } from '../../../../integrations/webhooks/deliver';

const secret = 'a-token-secret-of-some-length';
const conversation = 'conversation:acme:jane';
const thread = emailThreadId(conversation);
const ctx: OfflineMailContext = {
  appId: 'acme',
  appName: 'Acme',
  userId: 'jane',
  conversationId: conversation,
  profile: { givenName: 'Jane', email: 'jane@example.com' },
  to: 'jane@example.com',
  from: 'Acme <hello@acme.example>',
  replyAddress: 'support@example.com',
  tokenSecret: secret,
  linkUrl: 'https://app.acme.example/m',
  publicUrl: 'https://parley.example.com/',
  eventId: 'off_0123',
};
const inbound: InboundContext = {
  appId: 'acme',
  replyAddress: 'support@example.com',
  allowedSenders: ['@acme.com'],
  tokenSecrets: [secret],
};

describe('the fallback mail', () => {
  const replies = [
    {
      id: 'slack:1',
      text: 'It ships <b>tomorrow</b>.',
      at: '2026-12-02T10:42:00.000Z',
      agentName: 'Ana\r\nBcc: x@evil',
    },
    { id: 'slack:2', text: 'Tracking: ABC123', at: '2026-12-02T10:43:00.000Z', agentName: 'Ana' },
  ];

  it('is one mail for the burst, threaded, with unsubscribe headers and a user token to answer', () => {
    const mail = composeOfflineMail(ctx, replies);
    expect(mail.to).toBe('jane@example.com');
    expect(mail.from).toBe('Acme <hello@acme.example>');
    expect(mail.subject).toBe('Your conversation with Acme');
    expect(mail.messageId).toBe(`<parley-user.${thread}.off_0123@example.com>`);
    expect(mail.references).toEqual([`<parley-user.${thread}.root@example.com>`]);
    expect(mail.replyTo).toMatch(/^support\+u[a-z2-7]{29}@example\.com$/);
    expect(mail.envelope.from).toMatch(/^support\+b[a-z2-7]{29}@example\.com$/);
    expect(mail.headers['List-Unsubscribe']).toMatch(/^<https:\/\/parley\.example\.com\/offline\/unsubscribe\?token=/);
    expect(mail.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(mail.text).toContain('It ships <b>tomorrow</b>.');
    expect(mail.text).toContain('Tracking: ABC123');
    expect(mail.text).toContain('Answer in the app: https://app.acme.example/m');
    // The agent's name cannot break a line (no header or body line injection), and HTML is escaped.
    expect(mail.text).toContain('Ana Bcc: x@evil (Acme), 2026-12-02 10:42 UTC:');
    expect(mail.html).toContain('It ships &lt;b&gt;tomorrow&lt;/b&gt;.');
    expect(mail.html).not.toContain('<b>tomorrow');
  });

  it('answers the previous fallback mail', () => {
    const next = composeOfflineMail(
      { ...ctx, eventId: 'off_2', lastMessageId: '<parley-user.x.off_1@example.com>' },
      replies,
    );
    expect(next.subject).toBe('Re: Your conversation with Acme');
    expect(next.inReplyTo).toBe('<parley-user.x.off_1@example.com>');
    expect(next.references).toEqual([`<parley-user.${thread}.root@example.com>`, '<parley-user.x.off_1@example.com>']);
  });
});

describe('unsubscribe tokens', () => {
  const claim = { appId: 'acme', userId: 'jane', address: 'jane@example.com' };
  const token = unsubscribeToken(secret, claim);

  it('verify for their app, user and address only', () => {
    expect(unsubscribeAppId(token)).toBe('acme');
    expect(verifyUnsubscribeToken([secret], token)).toEqual(claim);
    expect(verifyUnsubscribeToken(['another-secret-of-some-length'], token)).toBeUndefined();
    const [payload = '', mac = ''] = token.split('.');
    const other = Buffer.from(JSON.stringify(['acme', 'kim', 'kim@example.com'])).toString('base64url');
    expect(verifyUnsubscribeToken([secret], `${other}.${mac}`)).toBeUndefined();
    expect(verifyUnsubscribeToken([secret], `${payload}.${mac.slice(0, -2)}`)).toBeUndefined();
    for (const junk of ['', '.', 'abc', 'x'.repeat(5000), `${Buffer.from('{"a":1}').toString('base64url')}.x`])
      expect(verifyUnsubscribeToken([secret], junk)).toBeUndefined();
  });
});

describe('user and bounce tokens', () => {
  const user = replyAddressWithToken('support@example.com', userToken(secret, 'u', 'acme', conversation));
  const bounce = replyAddressWithToken('support@example.com', userToken(secret, 'b', 'acme', conversation));

  it('are of their own kind: neither is an agent token nor the other', () => {
    expect(userTokenFromAddresses([secret], 'u', 'acme', 'support@example.com', [user])).toEqual({
      ok: true,
      threadId: thread,
    });
    expect(userTokenFromAddresses([secret], 'b', 'acme', 'support@example.com', [user]).ok).toBe(false);
    expect(userTokenFromAddresses([secret], 'u', 'acme', 'support@example.com', [bounce]).ok).toBe(false);
    expect(tokenFromAddresses([secret], 'acme', 'support@example.com', [user]).ok).toBe(false);
    expect(userTokenFromAddresses([secret], 'u', 'other', 'support@example.com', [user])).toEqual({
      ok: false,
      reason: 'forged',
    });
  });

  const raw = (headers: Record<string, string>, body: string) =>
    Buffer.from(
      [
        ...Object.entries({
          From: 'Jane <jane@example.com>',
          Subject: 'Re: Your conversation with Acme',
          'Message-ID': '<answer.1@example.com>',
          Date: 'Wed, 02 Dec 2026 10:50:00 +0000',
          'Content-Type': 'text/plain; charset=utf-8',
          ...headers,
        }).map(([k, v]) => `${k}: ${v}`),
        '',
        body,
        '',
      ].join('\r\n'),
    );

  it("the user's answer is relayed as theirs, though they are not an allowed sender", async () => {
    const decision = await readMail(
      raw({ To: user }, 'Great, thanks!\r\n\r\nOn Wed, Acme wrote:\r\n> It ships'),
      inbound,
    );
    expect(decision).toMatchObject({
      kind: 'user_reply',
      threadId: thread,
      from: 'jane@example.com',
      text: 'Great, thanks!',
    });
  });

  it('a forged user token is refused', async () => {
    const forged = user.replace(/u[a-z2-7]{16}/, (t) => `u${'a'.repeat(16)}`.slice(0, t.length));
    expect(await readMail(raw({ To: forged }, 'hi'), inbound)).toMatchObject({
      kind: 'ignored',
      reason: 'forged_token',
    });
  });

  it('a bounce to the bounce address names its thread and the failed address; other bounces are ignored', async () => {
    const report = [
      '--b1',
      'Content-Type: text/plain',
      '',
      'Delivery failed.',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Final-Recipient: rfc822; Jane@Example.com',
      'Status: 5.1.1',
      '--b1--',
    ].join('\r\n');
    const headers = {
      From: 'MAILER-DAEMON@example.com',
      'Content-Type': 'multipart/report; report-type=delivery-status; boundary="b1"',
    };
    expect(await readMail(raw({ ...headers, To: bounce }, report), inbound)).toMatchObject({
      kind: 'bounce',
      threadId: thread,
      address: 'jane@example.com',
    });
    expect(await readMail(raw({ ...headers, To: 'support@example.com' }, report), inbound)).toMatchObject({
      kind: 'ignored',
      reason: 'bounce',
    });
  });

  it('a report of 1 MB of @ is read in linear time', async () => {
    const hostile = `Final-Recipient: rfc822; ${'@'.repeat(1_000_000)}`;
    const start = Date.now();
    const parsed = await simpleParser(raw({ To: bounce, From: 'MAILER-DAEMON@example.com' }, hostile));
    expect(parsed).toBeDefined();
    await readMail(raw({ To: bounce, From: 'MAILER-DAEMON@example.com' }, hostile), inbound);
    expect(Date.now() - start).toBeLessThan(5000);
  });
});

describe("the app's answer to a webhook", () => {
  it.each([
    ['{"delivered": false}', { delivered: false }],
    ['{"delivered": true, "x": 1}', { delivered: true }],
    ['{"delivered": "no"}', {}],
    ['[false]', {}],
    ['not json', {}],
    ['', {}],
    [`{"delivered": false, "pad": "${'x'.repeat(5000)}"}`, {}],
  ])('%# %j', (body, expected) => {
    expect(readDeliveryAnswer(body)).toEqual(expected);
  });
});
