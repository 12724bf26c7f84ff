/**
 * The inbox session's pure rules: where a session starts in the mailbox (a first session, a renumbered mailbox,
 * an ongoing one), which UIDs a search result leaves to read, and how one mail is read (a reply, a mail with no
 * Message-ID, a mail that does not parse).
 */
import type { InboxCursor } from '../../../../common/conversation';
import type { InboundContext } from '../../../../integrations/email/inbound';
import {
  decideMail,
  fallbackMessageId,
  pastCursor,
  readMail,
  startCursor,
  type InboxImap,
} from '../../../../integrations/email/inbox-session';
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

describe('decideMail: poison mail never blocks the inbox', () => {
  const secret = 'a-token-secret-of-some-length';
  const inbound: InboundContext = {
    appId: 'acme',
    replyAddress: 'support@example.com',
    allowedSenders: ['@acme.com'],
    tokenSecrets: [secret],
  };
  const to = replyAddressWithToken('support@example.com', replyToken(secret, 'acme', 'conv:acme:jane'));
  const source = Buffer.from(
    [`From: Ana <ana@acme.com>`, `To: ${to}`, 'Message-ID: <r1@acme.com>', '', 'It ships tomorrow.', ''].join('\r\n'),
  );
  /** An IMAP stand-in for fetchOne only: what a mail's size and source are, and which fetches were asked. */
  function imap(size: number) {
    const asked: string[] = [];
    const fetchOne = (_uid: string, query: { size?: boolean; source?: boolean }) => {
      asked.push(query.source ? 'source' : 'size');
      return Promise.resolve(query.source ? { source } : { size, envelope: { messageId: '<big@acme.com>' } });
    };
    return { asked, imap: { fetchOne } as unknown as InboxImap };
  }
  const grpc = (code: number) =>
    Object.assign(new Error('Failed to signal Workflow'), {
      cause: Object.assign(new Error('Blob data size exceeds limit.'), {
        code,
        details: 'Blob data size exceeds limit.',
      }),
    });

  it('ignores a mail over maxMailBytes as oversized without downloading it', async () => {
    const { asked, imap: fake } = imap(2_600_000);
    const relay = jest.fn();
    const decision = await decideMail({ imap: fake, inbound }, { relay }, 7);
    expect(decision).toMatchObject({ kind: 'ignored', reason: 'oversized' });
    expect((decision as { detail: string }).detail).toMatch(
      /2600000 bytes, over email.maxMailBytes \(2097152\).*<big@acme.com>/,
    );
    expect(asked).toEqual(['size']);
    expect(relay).not.toHaveBeenCalled();
  });

  it('ignores a reply Temporal refuses as invalid (INVALID_ARGUMENT) as refused', async () => {
    const decision = await decideMail(
      { imap: imap(source.length).imap, inbound },
      { relay: () => Promise.reject(grpc(3)) },
      7,
    );
    expect(decision).toMatchObject({
      kind: 'ignored',
      reason: 'refused',
      detail: expect.stringMatching(/^Temporal refused/),
    });
  });

  it('fails the session (the cursor stays) when Temporal is only unavailable', async () => {
    await expect(
      decideMail({ imap: imap(source.length).imap, inbound }, { relay: () => Promise.reject(grpc(14)) }, 7),
    ).rejects.toThrow('Failed to signal Workflow');
  });

  it('cuts a reply over 32,000 bytes of text at the marker, and relays it', async () => {
    const long = Buffer.from(
      [`From: Ana <ana@acme.com>`, `To: ${to}`, 'Message-ID: <r2@acme.com>', '', 'word '.repeat(20_000), ''].join(
        '\r\n',
      ),
    );
    const decision = await readMail(long, inbound);
    expect(decision).toMatchObject({ kind: 'reply', cutFromBytes: expect.any(Number) });
    const text = (decision as { text: string }).text;
    expect(text.endsWith("… [cut: the full reply is in the team's mailbox]")).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(text))).toBeLessThanOrEqual(32_002);
  });
});
