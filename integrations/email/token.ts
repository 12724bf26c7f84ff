/**
 * Reply addresses that name a conversation and cannot be forged: `support+<token>@example.com`.
 *
 * The token is 30 lowercase base32 characters (mail systems may lowercase a local part, and 8 + 30 stays
 * under the 64 a local part may have): `c`, the conversation's thread id (16), then an HMAC of app and
 * thread id (13). The thread id is a hash of the workflow id, so the inbox finds the conversation through the
 * `EmailThread` search attribute; the HMAC tells a forged token from a stale one (signed, but no such
 * conversation in this app).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const THREAD_CHARS = 16;
const SIG_CHARS = 13;
const TOKEN = /^c([a-z2-7]{16})([a-z2-7]{13})$/;

function base32(bytes: Buffer, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** The conversation's mail thread id: stable, short, and the same in tokens, Message-IDs and the search attribute. */
export function emailThreadId(conversationId: string): string {
  return base32(createHash('sha256').update(conversationId).digest(), THREAD_CHARS);
}

function signature(secret: string, appId: string, threadId: string): string {
  return base32(createHmac('sha256', secret).update(`${appId}:${threadId}`).digest(), SIG_CHARS);
}

export function replyToken(secret: string, appId: string, conversationId: string): string {
  const thread = emailThreadId(conversationId);
  return `c${thread}${signature(secret, appId, thread)}`;
}

/** `support@example.com` + token → `support+token@example.com`. */
export function replyAddressWithToken(replyAddress: string, token: string): string {
  const at = replyAddress.lastIndexOf('@');
  return `${replyAddress.slice(0, at)}+${token}${replyAddress.slice(at)}`;
}

export type TokenCheck = { ok: true; threadId: string } | { ok: false; reason: 'no_token' | 'forged_token' };

/**
 * Finds Parley's token among the addresses a mail was sent to (To, Cc, Delivered-To…) and checks its signature.
 * Only addresses of the reply mailbox count: `support+…@example.com` for `support@example.com`.
 */
export function tokenFromAddresses(
  secret: string,
  appId: string,
  replyAddress: string,
  addresses: readonly string[],
): TokenCheck {
  const at = replyAddress.lastIndexOf('@');
  const local = replyAddress.slice(0, at).toLowerCase();
  const domain = replyAddress.slice(at + 1).toLowerCase();
  let sawToken = false;
  for (const raw of addresses) {
    const address = raw.trim().toLowerCase();
    const split = address.lastIndexOf('@');
    if (split < 0 || address.slice(split + 1) !== domain) continue;
    const box = address.slice(0, split);
    if (!box.startsWith(`${local}+`)) continue;
    const match = TOKEN.exec(box.slice(local.length + 1));
    sawToken = true;
    if (!match) continue;
    const [, thread = '', sig = ''] = match;
    const expected = Buffer.from(signature(secret, appId, thread));
    if (expected.length === sig.length && timingSafeEqual(expected, Buffer.from(sig)))
      return { ok: true, threadId: thread };
  }
  return { ok: false, reason: sawToken ? 'forged_token' : 'no_token' };
}

/** Parley's Message-IDs: `<parley.<thread>.<event>@<domain>>`; the thread id of one, or undefined when not ours. */
export function threadIdFromMessageId(messageId: string, domain: string): string | undefined {
  const match = /^<?parley\.([a-z2-7]{16})\.[A-Za-z0-9_.-]+@([^>\s]+)>?$/.exec(messageId.trim());
  if (!match || match[2]?.toLowerCase() !== domain.toLowerCase()) return undefined;
  return match[1];
}

export function notificationMessageId(threadId: string, eventId: string, domain: string): string {
  return `<parley.${threadId}.${eventId}@${domain}>`;
}

/** The thread's root: every notification names it in `References`, so clients group them even if one is missing. */
export function threadRootMessageId(threadId: string, domain: string): string {
  return `<parley.${threadId}.thread@${domain}>`;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
