/**
 * What proves that a mail answers one of Parley's conversations, and cannot be forged without the app's key.
 *
 * - Reply addresses, `support+<token>@example.com`. The token is 30 lowercase base32 characters (mail systems may
 *   lowercase a local part, and 8 + 30 stays under the 64 a local part may have): `c`, the conversation's thread id
 *   (16), then an HMAC of app and thread id (13). The thread id is a hash of the workflow id, so the inbox finds the
 *   conversation through the `EmailThread` search attribute; the HMAC tells a forged token from a stale one
 *   (signed, but no such conversation in this app).
 * - Message-IDs, `<parley.<thread>.<mac>.<event>@example.com>`, for a reply whose client dropped the plus-address
 *   and kept only `In-Reply-To`/`References`. The thread id alone is no proof: it is an unkeyed hash of
 *   `conversation:<app>:<user>`, which anyone who knows an app id and a user id can compute. The mac (16, an HMAC
 *   of app and thread id under a label of its own) is what a reply must carry back.
 *
 * Every check takes the list of secrets that verify (the first one signs), so a key can be rotated while the mails
 * signed with the old one are still answered.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const THREAD_CHARS = 16;
const SIG_CHARS = 13;
const MAC_CHARS = 16;
const TOKEN = /^c([a-z2-7]{16})([a-z2-7]{13})$/;
// One open-ended run each, followed by a character it cannot hold: no backtracking, whatever the input.
const KEYED_ID = /^<?parley\.([a-z2-7]{16})\.([a-z2-7]{16})\.[A-Za-z0-9_.-]+@([^<>\s@]+)>?$/;
const UNKEYED_ID = /^<?parley\.([a-z2-7]{16})\.[A-Za-z0-9_.-]+@([^<>\s@]+)>?$/;
/** Longer than any Message-ID Parley writes (an event id is `evt_` and 32 hex digits; a domain at most 253). */
const MAX_MESSAGE_ID_CHARS = 320;
/** How many ids of `In-Reply-To` and `References` are looked at: a long thread's root is among the first. */
const MAX_REFERENCES = 200;

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

/** The Message-IDs' mac: its own label, so a token's signature is never a valid mac nor the other way round. */
function messageIdMac(secret: string, appId: string, threadId: string): string {
  return base32(createHmac('sha256', secret).update(`parley-message-id:${appId}:${threadId}`).digest(), MAC_CHARS);
}

/** Whether `given` is what `sign` makes with any of the secrets; timing-safe, whatever `given` holds. */
function verifies(secrets: readonly string[], given: string, sign: (secret: string) => string): boolean {
  const actual = Buffer.from(given);
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret));
    // Every secret is tried, so the time taken says nothing about which one (or whether one) matched.
    if (expected.length === actual.length && timingSafeEqual(expected, actual)) ok = true;
  }
  return ok;
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
  secrets: readonly string[],
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
    if (verifies(secrets, sig, (secret) => signature(secret, appId, thread))) return { ok: true, threadId: thread };
  }
  return { ok: false, reason: sawToken ? 'forged_token' : 'no_token' };
}

/**
 * Parley's Message-IDs: `<parley.<thread>.<mac>.<event>@<domain>>`, and the unkeyed `<parley.<thread>.<event>@…>`
 * of mails sent before they carried a mac (`mac` undefined). Undefined when the id is not Parley's.
 */
export function parseParleyMessageId(
  messageId: string,
  domain: string,
): { threadId: string; mac: string | undefined } | undefined {
  const id = messageId.trim();
  if (id.length > MAX_MESSAGE_ID_CHARS) return undefined;
  const ours = (host: string | undefined) => host?.toLowerCase() === domain.toLowerCase();
  const keyed = KEYED_ID.exec(id);
  if (keyed) return ours(keyed[3]) ? { threadId: keyed[1] ?? '', mac: keyed[2] ?? '' } : undefined;
  const unkeyed = UNKEYED_ID.exec(id);
  return unkeyed && ours(unkeyed[2]) ? { threadId: unkeyed[1] ?? '', mac: undefined } : undefined;
}

export type ReferenceCheck =
  { ok: true; threadId: string } | { ok: false; reason: 'no_reference' | 'forged_reference'; detail: string };

/**
 * The conversation a reply names in `In-Reply-To`/`References` (pass them in that order), proven by a Parley
 * Message-ID whose mac verifies. A Parley-shaped id that does not verify (a forged mac, another app's, an old
 * unkeyed one) is `forged_reference`; no Parley id at all is `no_reference`.
 */
export function threadFromReferences(
  secrets: readonly string[],
  appId: string,
  domain: string,
  messageIds: readonly string[],
): ReferenceCheck {
  let unproven = 0;
  let unkeyed = 0;
  for (const id of messageIds.slice(0, MAX_REFERENCES)) {
    const parsed = parseParleyMessageId(id, domain);
    if (!parsed) continue;
    const { threadId, mac } = parsed;
    if (mac !== undefined && verifies(secrets, mac, (secret) => messageIdMac(secret, appId, threadId)))
      return { ok: true, threadId };
    if (mac === undefined) unkeyed += 1;
    else unproven += 1;
  }
  if (unproven + unkeyed === 0)
    return { ok: false, reason: 'no_reference', detail: 'no Parley Message-ID in In-Reply-To/References' };
  return {
    ok: false,
    reason: 'forged_reference',
    detail:
      unproven > 0
        ? 'a Parley Message-ID in In-Reply-To/References has a mac that does not verify'
        : 'only unkeyed Parley Message-IDs (older mails, or computed by someone) in In-Reply-To/References, and no reply token',
  };
}

export function notificationMessageId(
  secret: string,
  appId: string,
  threadId: string,
  eventId: string,
  domain: string,
): string {
  return `<parley.${threadId}.${messageIdMac(secret, appId, threadId)}.${eventId}@${domain}>`;
}

/** The thread's root: every notification names it in `References`, so clients group them even if one is missing. */
export function threadRootMessageId(secret: string, appId: string, threadId: string, domain: string): string {
  return notificationMessageId(secret, appId, threadId, 'thread', domain);
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

// ── Offline users: the tokens of the fallback mails to app users ─────────────────────────────────────────────

/**
 * What a token is for: `u` a user's answer to a fallback mail (Reply-To), `b` a bounce of one (the envelope
 * sender). Each signs under a label of its own, so neither is ever a valid agent token (`c…`) nor the other.
 */
export type UserTokenKind = 'u' | 'b';

const USER_TOKEN = /^([ub])([a-z2-7]{16})([a-z2-7]{13})$/;

function userTokenSignature(secret: string, kind: UserTokenKind, appId: string, threadId: string): string {
  return base32(createHmac('sha256', secret).update(`parley-user-${kind}:${appId}:${threadId}`).digest(), SIG_CHARS);
}

export function userToken(secret: string, kind: UserTokenKind, appId: string, conversationId: string): string {
  const thread = emailThreadId(conversationId);
  return `${kind}${thread}${userTokenSignature(secret, kind, appId, thread)}`;
}

/**
 * A user token of `kind` among the addresses a mail was sent to, checked: the thread it proves, `forged` when one
 * is there but does not verify, `none` when there is none. Only addresses of the reply mailbox count.
 */
export function userTokenFromAddresses(
  secrets: readonly string[],
  kind: UserTokenKind,
  appId: string,
  replyAddress: string,
  addresses: readonly string[],
): { ok: true; threadId: string } | { ok: false; reason: 'none' | 'forged' } {
  const at = replyAddress.lastIndexOf('@');
  const local = replyAddress.slice(0, at).toLowerCase();
  const domain = replyAddress.slice(at + 1).toLowerCase();
  let forged = false;
  for (const raw of addresses) {
    const address = raw.trim().toLowerCase();
    const split = address.lastIndexOf('@');
    if (split < 0 || address.slice(split + 1) !== domain) continue;
    const box = address.slice(0, split);
    if (!box.startsWith(`${local}+`)) continue;
    const match = USER_TOKEN.exec(box.slice(local.length + 1));
    if (!match || match[1] !== kind) continue;
    const [, , thread = '', sig = ''] = match;
    if (verifies(secrets, sig, (secret) => userTokenSignature(secret, kind, appId, thread)))
      return { ok: true, threadId: thread };
    forged = true;
  }
  return { ok: false, reason: forged ? 'forged' : 'none' };
}

/** The Message-IDs of fallback mails: not `parley.…`, so a user's answer naming them is never read as an agent's. */
export function userMailMessageId(threadId: string, eventId: string, domain: string): string {
  return `<parley-user.${threadId}.${eventId.replace(/[^A-Za-z0-9_-]/g, '')}@${domain}>`;
}
