/** Reply tokens and notification mails, as pure functions: unforgeable, threaded, and safe from injection. */
import { composeNotification, headerSafe } from '../../../../integrations/email/compose';
import {
  emailThreadId,
  replyAddressWithToken,
  replyToken,
  threadIdFromMessageId,
  tokenFromAddresses,
} from '../../../../integrations/email/token';
import type { OutboxItem } from '../../../../common/conversation';

const secret = 'a-secret-of-sixteen-or-more';
const conversationId = 'conversation:acme:user-1';

describe('reply tokens', () => {
  const token = replyToken(secret, 'acme', conversationId);
  const address = replyAddressWithToken('support@example.com', token);

  it('fits a local part and survives lowercasing', () => {
    expect(address).toMatch(/^support\+c[a-z2-7]{29}@example\.com$/);
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(tokenFromAddresses(secret, 'acme', 'support@example.com', [address.toUpperCase()])).toEqual({
      ok: true,
      threadId: emailThreadId(conversationId),
    });
  });

  it('finds the token among other recipients and ignores other mailboxes', () => {
    const found = tokenFromAddresses(secret, 'acme', 'support@example.com', [
      'someone@example.com',
      `other+${token}@example.com`,
      address,
    ]);
    expect(found.ok).toBe(true);
    expect(tokenFromAddresses(secret, 'acme', 'support@example.com', ['support@example.com'])).toEqual({
      ok: false,
      reason: 'no_token',
    });
  });

  it('rejects a token with a changed thread, a changed signature, another app or another secret', () => {
    const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
    for (const forged of [flip(token, 3), flip(token, token.length - 1), `${token}x`]) {
      const check = tokenFromAddresses(secret, 'acme', 'support@example.com', [`support+${forged}@example.com`]);
      expect(check).toEqual({ ok: false, reason: 'forged_token' });
    }
    expect(tokenFromAddresses(secret, 'other', 'support@example.com', [address]).ok).toBe(false);
    expect(tokenFromAddresses('another-secret-entirely', 'acme', 'support@example.com', [address]).ok).toBe(false);
  });

  it("reads the thread back from Parley's Message-IDs only", () => {
    const thread = emailThreadId(conversationId);
    expect(threadIdFromMessageId(`<parley.${thread}.evt_1@example.com>`, 'example.com')).toBe(thread);
    expect(threadIdFromMessageId(`<parley.${thread}.evt_1@evil.test>`, 'example.com')).toBeUndefined();
    expect(threadIdFromMessageId('<CAB123@mail.gmail.com>', 'example.com')).toBeUndefined();
  });
});

describe('notification mails', () => {
  const item = (eventId: string, text: string, kind: OutboxItem['kind'] = 'message:user'): OutboxItem => ({
    eventId,
    kind,
    enqueuedAt: 0,
    message: { id: `m_${eventId}`, role: 'user', text, at: '2026-11-21T10:00:00.000Z' },
  });
  const ctx = {
    appId: 'acme',
    appName: 'Acme',
    userId: 'user-1',
    conversationId,
    profile: {
      givenName: 'Eve\r\nBcc: victim@example.com',
      surname: '<script>alert(1)</script>',
      device: { os: 'iOS 18', app: '<b>2.1</b>' },
    },
    from: 'Parley <parley@example.com>',
    teamAddresses: ['team@example.com'],
    replyAddress: 'support@example.com',
    tokenSecret: secret,
  };

  it('threads every mail of a conversation under one root with a stable subject', () => {
    const first = composeNotification(ctx, [item('evt_1', 'hello')])!;
    const second = composeNotification({ ...ctx, subject: first.subject, lastMessageId: first.messageId }, [
      item('evt_2', 'again'),
    ])!;
    const root = `<parley.${emailThreadId(conversationId)}.thread@example.com>`;
    expect(first.messageId).toBe(`<parley.${emailThreadId(conversationId)}.evt_1@example.com>`);
    expect(first.references).toEqual([root]);
    expect(second.inReplyTo).toBe(first.messageId);
    expect(second.references).toEqual([root, first.messageId]);
    expect(second.subject).toBe(`Re: ${first.subject}`);
    // The same items make the same mail: a retried send repeats the Message-ID, it does not invent another.
    expect(composeNotification(ctx, [item('evt_1', 'hello')])!.messageId).toBe(first.messageId);
  });

  it('keeps user input out of headers and markup', () => {
    const mail = composeNotification(ctx, [item('evt_1', '</div><img src=x onerror=alert(1)>\r\nBcc: x@y')])!;
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toContain('Eve Bcc: victim@example.com');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<b>2.1</b>');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.text).toContain('os: iOS 18');
    expect(Object.values(mail.headers).join('')).not.toMatch(/[\r\n]/);
    expect(headerSafe('a\u0000b\u2028c\td')).toBe('a b c d');
  });

  it('puts every message of a digest in one mail', () => {
    const mail = composeNotification(ctx, [item('evt_1', 'one'), item('evt_2', 'two'), item('evt_3', 'three')])!;
    expect(mail.text.indexOf('one')).toBeLessThan(mail.text.indexOf('two'));
    expect(mail.text.indexOf('two')).toBeLessThan(mail.text.indexOf('three'));
    expect(mail.messageId).toContain('evt_1');
  });
});
