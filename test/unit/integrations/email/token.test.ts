/** Reply tokens and notification mails, as pure functions: unforgeable, threaded, and safe from injection. */
import { composeNotification, headerSafe } from '../../../../integrations/email/compose';
import {
  emailThreadId,
  notificationMessageId,
  parseParleyMessageId,
  replyAddressWithToken,
  replyToken,
  threadFromReferences,
  threadRootMessageId,
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
    expect(tokenFromAddresses([secret], 'acme', 'support@example.com', [address.toUpperCase()])).toEqual({
      ok: true,
      threadId: emailThreadId(conversationId),
    });
  });

  it('finds the token among other recipients and ignores other mailboxes', () => {
    const found = tokenFromAddresses([secret], 'acme', 'support@example.com', [
      'someone@example.com',
      `other+${token}@example.com`,
      address,
    ]);
    expect(found.ok).toBe(true);
    expect(tokenFromAddresses([secret], 'acme', 'support@example.com', ['support@example.com'])).toEqual({
      ok: false,
      reason: 'no_token',
    });
  });

  it('rejects a token with a changed thread, a changed signature, another app or another secret', () => {
    const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
    for (const forged of [flip(token, 3), flip(token, token.length - 1), `${token}x`]) {
      const check = tokenFromAddresses([secret], 'acme', 'support@example.com', [`support+${forged}@example.com`]);
      expect(check).toEqual({ ok: false, reason: 'forged_token' });
    }
    expect(tokenFromAddresses([secret], 'other', 'support@example.com', [address]).ok).toBe(false);
    expect(tokenFromAddresses(['another-secret-entirely'], 'acme', 'support@example.com', [address]).ok).toBe(false);
  });

  it('verifies with any of the secrets given, so a rotated key still answers the old mails', () => {
    expect(tokenFromAddresses(['the-new-secret-of-length', secret], 'acme', 'support@example.com', [address])).toEqual({
      ok: true,
      threadId: emailThreadId(conversationId),
    });
    expect(tokenFromAddresses([], 'acme', 'support@example.com', [address])).toEqual({
      ok: false,
      reason: 'forged_token',
    });
  });
});

describe('keyed Message-IDs', () => {
  const thread = emailThreadId(conversationId);
  const id = notificationMessageId(secret, 'acme', thread, 'evt_0123abcd', 'example.com');
  const root = threadRootMessageId(secret, 'acme', thread, 'example.com');
  const refs = (ids: string[], secrets = [secret], app = 'acme') =>
    threadFromReferences(secrets, app, 'example.com', ids);
  /** What anyone can compute from an app id and a user id: the unkeyed ids of the mails sent before. */
  const unkeyed = (event: string) => `<parley.${thread}.${event}@example.com>`;

  it('carries the thread and a mac of it, and reads back to the thread', () => {
    expect(id).toMatch(new RegExp(`^<parley\\.${thread}\\.[a-z2-7]{16}\\.evt_0123abcd@example\\.com>$`));
    expect(root).toMatch(new RegExp(`^<parley\\.${thread}\\.[a-z2-7]{16}\\.thread@example\\.com>$`));
    expect(parseParleyMessageId(id, 'EXAMPLE.com')).toEqual({ threadId: thread, mac: id.split('.')[2] });
    expect(refs([id])).toEqual({ ok: true, threadId: thread });
    expect(refs(['<CAB123@mail.gmail.com>', root])).toEqual({ ok: true, threadId: thread });
    // One mac per thread: every notification of it, and its root, carry the same.
    expect(notificationMessageId(secret, 'acme', thread, 'evt_2', 'example.com').split('.')[2]).toBe(id.split('.')[2]);
  });

  it('refuses the unkeyed ids an attacker can compute, and any mac that does not verify', () => {
    const forged = refs([unkeyed('thread'), unkeyed('evt_1')]);
    expect(forged).toMatchObject({ ok: false, reason: 'forged_reference' });
    const mac = id.split('.')[2]!;
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('a') ? 'b' : 'a'}`;
    expect(refs([id.replace(mac, flipped)])).toMatchObject({ ok: false, reason: 'forged_reference' });
    expect(refs([id.replace(mac, mac.toUpperCase())])).toMatchObject({ ok: false, reason: 'forged_reference' });
  });

  it('refuses an id moved to another thread, another app, another secret or another domain', () => {
    const other = emailThreadId('conversation:acme:user-2');
    expect(refs([id.replace(thread, other)])).toMatchObject({ ok: false, reason: 'forged_reference' });
    expect(refs([id], [secret], 'globex')).toMatchObject({ ok: false, reason: 'forged_reference' });
    expect(refs([id], ['another-secret-entirely'])).toMatchObject({ ok: false, reason: 'forged_reference' });
    const globex = notificationMessageId('globex-secret-0123456789', 'globex', thread, 'evt_1', 'example.com');
    expect(refs([globex])).toMatchObject({ ok: false, reason: 'forged_reference' });
    expect(refs([id.replace('@example.com', '@evil.test')])).toEqual({
      ok: false,
      reason: 'no_reference',
      detail: 'no Parley Message-ID in In-Reply-To/References',
    });
  });

  it('takes the first id that verifies, whatever forged ones come before it', () => {
    expect(refs([unkeyed('thread'), id.replace(thread, emailThreadId('x')), '<a@b>', id])).toEqual({
      ok: true,
      threadId: thread,
    });
  });

  it('verifies with any of the secrets given', () => {
    expect(refs([id], ['the-new-secret-of-length', secret])).toEqual({ ok: true, threadId: thread });
  });

  it('is not fooled by hostile ids: huge, near-miss, thousands of them', () => {
    const huge = `<parley.${thread}.${'a'.repeat(16)}.${'x'.repeat(1_000_000)}@example.com>`;
    const near = `<parley.${thread}.${'a'.repeat(16)}.${'.'.repeat(100_000)}`;
    const many = Array.from({ length: 100_000 }, (_, n) => unkeyed(`evt_${n}`));
    const started = Date.now();
    expect(parseParleyMessageId(huge, 'example.com')).toBeUndefined();
    expect(parseParleyMessageId(near, 'example.com')).toBeUndefined();
    expect(refs([...many, id])).toMatchObject({ ok: false, reason: 'forged_reference' });
    expect(Date.now() - started).toBeLessThan(1000);
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
    const thread = emailThreadId(conversationId);
    const root = threadRootMessageId(secret, 'acme', thread, 'example.com');
    expect(first.messageId).toBe(notificationMessageId(secret, 'acme', thread, 'evt_1', 'example.com'));
    expect(threadFromReferences([secret], 'acme', 'example.com', [first.messageId, root])).toEqual({
      ok: true,
      threadId: thread,
    });
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

  it('strips bidi controls and zero-width characters from subjects and names, keeping emoji whole', () => {
    expect(headerSafe('Invoice\u202Efdp.exe')).toBe('Invoicefdp.exe');
    expect(headerSafe('\u2067Ana\u2069 \u200eIT\u200f Security\u202a\u202c')).toBe('Ana IT Security');
    expect(headerSafe('A\u200bn\u200ca\u200d \u2060\ufeffAgent\u061c\u180e\u2064')).toBe('Ana Agent');
    expect(headerSafe('Dev 👩\u200d💻 and 👩🏽\u200d💻 and ❤\ufe0f\u200d🔥')).toBe(
      'Dev 👩\u200d💻 and 👩🏽\u200d💻 and ❤\ufe0f\u200d🔥',
    );
    expect(headerSafe('\u202e\u202e\u202e')).toBe('');
    const mail = composeNotification({ ...ctx, profile: { givenName: 'Eve\u202Egnp.', surname: '\u200bDoe' } }, [
      item('evt_1', 'hi'),
    ])!;
    expect(mail.subject).toBe('[Acme] Conversation with Evegnp. Doe');
    // A thread whose subject was fixed before the stripping gets it stripped from now on.
    const later = composeNotification(
      { ...ctx, subject: '[Acme] Conversation with \u202eEve', lastMessageId: mail.messageId },
      [item('evt_2', 'again')],
    )!;
    expect(later.subject).toBe('Re: [Acme] Conversation with Eve');
  });

  it('puts every message of a digest in one mail', () => {
    const mail = composeNotification(ctx, [item('evt_1', 'one'), item('evt_2', 'two'), item('evt_3', 'three')])!;
    expect(mail.text.indexOf('one')).toBeLessThan(mail.text.indexOf('two'));
    expect(mail.text.indexOf('two')).toBeLessThan(mail.text.indexOf('three'));
    expect(mail.messageId).toContain('evt_1');
  });
});
