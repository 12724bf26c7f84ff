/**
 * What a mail must prove before the inbox relays it, decided from the mail alone: its thread (a signed reply
 * token, or a Parley Message-ID whose mac verifies; never the unkeyed thread id anyone can compute) and, when the
 * app asks, its sender (the receiving server's Authentication-Results).
 */
import { IGNORE_REASONS, type InboundContext } from '../../../../integrations/email/inbound';
import { readMail } from '../../../../integrations/email/inbox-session';
import {
  emailThreadId,
  notificationMessageId,
  replyAddressWithToken,
  replyToken,
  threadRootMessageId,
} from '../../../../integrations/email/token';

const secret = 'a-token-secret-of-some-length';
const conversation = 'conversation:acme:jane';
const thread = emailThreadId(conversation);
const inbound: InboundContext = {
  appId: 'acme',
  replyAddress: 'support@example.com',
  allowedSenders: ['@acme.com'],
  tokenSecrets: [secret],
};
const withToken = replyAddressWithToken('support@example.com', replyToken(secret, 'acme', conversation));
const keyedId = notificationMessageId(secret, 'acme', thread, 'evt_0123', 'example.com');
/** The ids of the mails sent before Message-IDs carried a mac, which anyone can compute for a known user. */
const unkeyedRoot = `<parley.${thread}.thread@example.com>`;

function mail(headers: Record<string, string | string[]>, body = 'It ships tomorrow.'): Buffer {
  const lines = Object.entries({
    From: 'Ana Agent <ana@acme.com>',
    To: 'support@example.com',
    Subject: 'Re: [Acme] Conversation with Jane',
    'Message-ID': '<reply.1@acme.com>',
    Date: 'Sat, 21 Nov 2026 10:05:00 +0000',
    'Content-Type': 'text/plain; charset=utf-8',
    ...headers,
  }).flatMap(([name, value]) => [value].flat().map((v) => `${name}: ${v}`));
  return Buffer.from([...lines, '', body, ''].join('\r\n'));
}

describe('a reply proves its thread', () => {
  it('with the reply token, as before', async () => {
    expect(await readMail(mail({ To: withToken }), inbound)).toMatchObject({
      kind: 'reply',
      threadId: thread,
      via: 'token',
    });
  });

  it('or with a Parley Message-ID whose mac verifies, in In-Reply-To or References', async () => {
    expect(await readMail(mail({ 'In-Reply-To': keyedId }), inbound)).toMatchObject({
      kind: 'reply',
      threadId: thread,
      via: 'references',
    });
    const root = threadRootMessageId(secret, 'acme', thread, 'example.com');
    expect(
      await readMail(mail({ 'In-Reply-To': '<CAB1@mail.gmail.com>', References: `${unkeyedRoot} ${root}` }), inbound),
    ).toMatchObject({ kind: 'reply', threadId: thread, via: 'references' });
  });

  it('never with the unkeyed thread id: forged_reference', async () => {
    const forged = await readMail(mail({ 'In-Reply-To': unkeyedRoot, References: unkeyedRoot }), inbound);
    expect(forged).toMatchObject({ kind: 'ignored', reason: 'forged_reference' });
    const badMac = keyedId.replace(/\.([a-z2-7]{16})\.evt/, '.aaaaaaaaaaaaaaaa.evt');
    expect(await readMail(mail({ References: badMac }), inbound)).toMatchObject({ reason: 'forged_reference' });
    const otherApp = notificationMessageId('the-other-apps-secret', 'globex', thread, 'evt_1', 'example.com');
    expect(await readMail(mail({ References: otherApp }), inbound)).toMatchObject({ reason: 'forged_reference' });
  });

  it('a reply to an old (unkeyed) mail still counts while it carries its token: the token is the proof', async () => {
    expect(await readMail(mail({ To: withToken, 'In-Reply-To': unkeyedRoot }), inbound)).toMatchObject({
      kind: 'reply',
      via: 'token',
    });
  });

  it('no Parley id at all stays no_conversation; a bad token stays forged_token', async () => {
    expect(await readMail(mail({ 'In-Reply-To': '<x@y>' }), inbound)).toMatchObject({ reason: 'no_conversation' });
    const forgedToken = withToken.replace(/(.)@/, (_m, c: string) => `${c === 'a' ? 'b' : 'a'}@`);
    expect(await readMail(mail({ To: forgedToken, 'In-Reply-To': keyedId }), inbound)).toMatchObject({
      reason: 'forged_token',
    });
  });

  it('still drops mail that only looks like Parley’s own (the loop guard), keyed or not', async () => {
    for (const id of [keyedId, unkeyedRoot])
      expect(await readMail(mail({ 'Message-ID': id, To: withToken }), inbound)).toMatchObject({
        reason: 'own_notification',
      });
  });

  it('counts the new reasons like the others', () => {
    expect(IGNORE_REASONS).toEqual(expect.arrayContaining(['forged_reference', 'unauthenticated_sender']));
  });
});

describe('with requireAuthenticatedSender', () => {
  const strict: InboundContext = { ...inbound, requireAuthenticatedSender: true };
  const gmail =
    'mx.google.com; dkim=pass header.i=@acme.com; spf=pass smtp.mailfrom=ana@acme.com; dmarc=pass (p=REJECT) header.from=acme.com';

  it('relays a reply the receiving server vouches for', async () => {
    expect(await readMail(mail({ To: withToken, 'Authentication-Results': gmail }), strict)).toMatchObject({
      kind: 'reply',
    });
  });

  it('ignores one without a verdict, with a failing one, or with a pass written below the server’s', async () => {
    const cases: Record<string, string | string[]>[] = [
      { To: withToken },
      { To: withToken, 'Authentication-Results': 'mx.google.com; dmarc=fail header.from=acme.com' },
      {
        To: withToken,
        'Authentication-Results': ['mx.google.com; dmarc=none header.from=acme.com', gmail],
      },
    ];
    for (const headers of cases)
      expect(await readMail(mail(headers), strict)).toMatchObject({
        kind: 'ignored',
        reason: 'unauthenticated_sender',
      });
  });

  it('reads the verdict of the configured authserv-id', async () => {
    const ids: InboundContext = { ...strict, authServIds: ['mx.google.com'] };
    const headers = { To: withToken, 'Authentication-Results': ['filter.internal; x-spam=clean', gmail] };
    expect(await readMail(mail(headers), ids)).toMatchObject({ kind: 'reply' });
    expect(await readMail(mail(headers), strict)).toMatchObject({ reason: 'unauthenticated_sender' });
  });

  it('ignores a mail with several From addresses or headers: no verdict vouches for one of them', async () => {
    for (const from of [['Ana <ana@acme.com>', 'Mallory <mallory@acme.com>'], 'ana@acme.com, mallory@evil.test'])
      expect(
        await readMail(mail({ From: from, To: withToken, 'Authentication-Results': gmail }), strict),
      ).toMatchObject({ reason: 'unauthenticated_sender' });
  });

  it('checks the sender before the thread, and not at all when off', async () => {
    expect(await readMail(mail({ References: unkeyedRoot }), strict)).toMatchObject({
      reason: 'unauthenticated_sender',
    });
    expect(await readMail(mail({ To: withToken }), inbound)).toMatchObject({ kind: 'reply' });
  });

  it('reads a hostile Authentication-Results header of almost 1 MB quickly, and refuses it', async () => {
    const huge = `mx.google.com; ${'dkim=fail header.d=x; '.repeat(40_000)}dmarc=pass header.from=acme.com`;
    const started = performance.now();
    expect(await readMail(mail({ To: withToken, 'Authentication-Results': huge }), strict)).toMatchObject({
      reason: 'unauthenticated_sender',
    });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
