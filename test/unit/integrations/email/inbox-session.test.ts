/**
 * The inbox session's pure rules: where a session starts in the mailbox (a first session, a renumbered mailbox,
 * an ongoing one), which UIDs a search result leaves to read, and how one mail is read (a reply, a mail with no
 * Message-ID, a mail that does not parse).
 */
import type { InboxCursor } from '../../../../common/conversation';
import type { InboundContext } from '../../../../integrations/email/inbound';
import { fallbackMessageId, pastCursor, readMail, startCursor } from '../../../../integrations/email/inbox-session';
import { emailThreadId, replyAddressWithToken, replyToken } from '../../../../integrations/email/token';

const cursor = (patch: Partial<InboxCursor> = {}): InboxCursor => ({ lastUid: 0, relayed: 2, ignored: 3, ...patch });

describe('startCursor', () => {
  it('starts the very first session after the mail already in the mailbox', () => {
    expect(startCursor(cursor(), { uidValidity: 1700000000n, uidNext: 42 })).toEqual({
      cursor: cursor({ uidValidity: '1700000000', lastUid: 41 }),
      change: { kind: 'first_session', fromUid: 42 },
    });
  });

  it('starts a first session on an empty mailbox at its beginning, quietly', () => {
    expect(startCursor(cursor(), { uidValidity: 7n, uidNext: 1 })).toEqual({
      cursor: cursor({ uidValidity: '7', lastUid: 0 }),
    });
  });

  it('goes on where the last session left off', () => {
    const before = cursor({ uidValidity: '7', lastUid: 12 });
    expect(startCursor(before, { uidValidity: 7n, uidNext: 20 })).toEqual({ cursor: before });
  });

  it('reads a renumbered mailbox (a new UIDVALIDITY) again from the start', () => {
    expect(startCursor(cursor({ uidValidity: '7', lastUid: 12 }), { uidValidity: 8n, uidNext: 3 })).toEqual({
      cursor: cursor({ uidValidity: '8', lastUid: 0 }),
      change: { kind: 'validity_changed', before: '7', now: '8' },
    });
  });

  it('does not change the cursor it was given', () => {
    const before = cursor({ uidValidity: '7', lastUid: 12 });
    startCursor(before, { uidValidity: 8n, uidNext: 3 });
    expect(before).toEqual(cursor({ uidValidity: '7', lastUid: 12 }));
  });
});

describe('pastCursor', () => {
  it('keeps only what is past the cursor, in UID order', () => {
    expect(pastCursor([9, 7, 8], 6)).toEqual([7, 8, 9]);
    // `7:*` on a mailbox whose highest UID is 6 answers 6.
    expect(pastCursor([6], 6)).toEqual([]);
    expect(pastCursor([], 0)).toEqual([]);
  });
});

describe('readMail', () => {
  const secret = 'a-token-secret-of-some-length';
  const inbound: InboundContext = {
    appId: 'acme',
    replyAddress: 'support@example.com',
    allowedSenders: ['@acme.com'],
    tokenSecrets: [secret],
  };
  const conversation = 'conv:acme:jane';
  const to = replyAddressWithToken('support@example.com', replyToken(secret, 'acme', conversation));
  const mail = (headers: string[], body: string) => Buffer.from([...headers, '', body, ''].join('\r\n'));

  it('reads an agent’s reply, and gives a mail without Message-ID a stable id of its own', async () => {
    const source = mail(
      [
        'From: Ana Agent <ana@acme.com>',
        `To: ${to}`,
        'Subject: Re: [Acme] Conversation with Jane',
        'Date: Sat, 21 Nov 2026 10:05:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
      ],
      'It ships tomorrow.',
    );
    const decision = await readMail(source, inbound);
    expect(decision).toMatchObject({
      kind: 'reply',
      threadId: emailThreadId(conversation),
      via: 'token',
      messageId: fallbackMessageId(source),
      agent: { name: 'Ana Agent', email: 'ana@acme.com' },
      text: 'It ships tomorrow.',
      at: '2026-11-21T10:05:00.000Z',
    });
    expect(fallbackMessageId(source)).toMatch(/^<sha256\.[0-9a-f]{32}@parley>$/);
    expect(fallbackMessageId(Buffer.from(source))).toBe(fallbackMessageId(source));
  });

  it('ignores mail it cannot make sense of instead of failing', async () => {
    const broken = Buffer.from(
      'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\n' +
        'Content-Type: text/plain; charset="x-unknown"\r\nContent-Transfer-Encoding: base64\r\n\r\n\u0000\u00ff!!@@##\r\n',
    );
    expect(await readMail(broken, inbound)).toMatchObject({ kind: 'ignored', reason: 'malformed' });
  });
});
