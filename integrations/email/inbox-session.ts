/**
 * One IMAP session of an app's inbox watcher: open the mailbox, read every mail past the cursor that lacks
 * Parley's keyword, decide what it is (inbound.ts), relay the replies, mark each mail, and wait in IDLE for more
 * until the session's time is over. The caller (the `watchEmailInbox` activity) passes in the heartbeat, the
 * cancellation signal, the relay to conversations, the log and the metric, so nothing here knows of Temporal.
 *
 * Heartbeats carry the cursor, so a retry (after a crash, a lost connection, a worker move) resumes at the last
 * UID; a changed UIDVALIDITY starts the mailbox over, and the keyword and the conversation's dedupe of reply ids
 * keep that from relaying anything twice.
 */
import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { type InboxCursor } from '../../common/conversation';
import { temporalFault } from '../../common/temporal-errors';
import {
  decide,
  type IgnoreReason,
  type InboundBounce,
  type InboundContext,
  type InboundDecision,
  type InboundReply,
  type InboundUserReply,
} from './inbound';

/** The IMAP keyword Parley sets on every mail it has dealt with (relayed or ignored), instead of `\Seen`. */
export const PROCESSED_KEYWORD = '$ParleyProcessed';

/** The longest the session waits in IDLE before it searches again (and heartbeats). */
const MAX_PAUSE_MS = 10_000;

/** What a session does with ImapFlow (`createImapClient`'s client). */
export type InboxImap = Pick<
  ImapFlow,
  'connect' | 'mailboxOpen' | 'search' | 'fetchOne' | 'messageFlagsAdd' | 'on' | 'off' | 'usable' | 'logout' | 'close'
>;

export interface InboxSessionLog {
  info(message: string, attrs: Record<string, unknown>): void;
  warn(message: string, attrs: Record<string, unknown>): void;
}

/** What became of one mail, as the `parley_email_inbound_total` metric counts it. */
export type InboundResult = 'relayed' | IgnoreReason;

export interface InboxSessionContext {
  /** Records the cursor (the activity's heartbeat details): a retried session resumes there. */
  heartbeat(cursor: InboxCursor): void;
  /** Aborted when the session must stop (the worker stops, the watcher was cancelled). */
  signal: AbortSignal;
  /**
   * Hands a reply to its conversation; answers the reply, or why it was ignored (no such conversation). Its
   * failures fail the session, which is retried, so no reply is lost to an unreachable server.
   */
  relay(reply: InboundReply): Promise<InboundDecision>;
  /** Hands an app user's answer or a bounce of a fallback mail to its conversation (offline users). */
  relayUser?(decision: InboundUserReply | InboundBounce): Promise<InboundDecision>;
  log: InboxSessionLog;
  count(result: InboundResult): void;
}

export interface InboxSessionInput {
  imap: InboxImap;
  mailbox: string;
  /** How long the session watches before it ends and returns the cursor (`email.watchSessionMs`). */
  sessionMs: number;
  inbound: InboundContext;
  /** Where the last session (or this one's last attempt) left off. */
  cursor: InboxCursor;
  /** `email.maxMailBytes`: a larger mail is ignored as `oversized`, without downloading it. */
  maxMailBytes?: number;
}

/** The default of `email.maxMailBytes`: above Temporal's 2 MB payload limit nothing of a mail could go whole anyway. */
export const DEFAULT_MAX_MAIL_BYTES = 2 * 1024 * 1024;

/** The mailbox as it opened: its UIDVALIDITY and the UID the next mail will get. */
export interface MailboxState {
  uidValidity: bigint | number | string;
  uidNext: number;
}

export type CursorChange =
  { kind: 'validity_changed'; before: string; now: string } | { kind: 'first_session'; fromUid: number };

/**
 * Where a session starts in the mailbox it opened. A new UIDVALIDITY means the UIDs were renumbered: start from
 * the beginning. The very first session (no UIDVALIDITY seen yet) starts after the mail already there, which
 * predates Parley and is left alone.
 */
export function startCursor(
  cursor: InboxCursor,
  mailbox: MailboxState,
): { cursor: InboxCursor; change?: CursorChange } {
  const validity = String(mailbox.uidValidity);
  const next: InboxCursor = { ...cursor, uidValidity: validity };
  if (cursor.uidValidity !== undefined && cursor.uidValidity !== validity)
    return {
      cursor: { ...next, lastUid: 0 },
      change: { kind: 'validity_changed', before: cursor.uidValidity, now: validity },
    };
  if (cursor.uidValidity === undefined && mailbox.uidNext > 1)
    return {
      cursor: { ...next, lastUid: mailbox.uidNext - 1 },
      change: { kind: 'first_session', fromUid: mailbox.uidNext },
    };
  return { cursor: next };
}

/** The UIDs to read, in order: a search for `n:*` also matches the highest UID when it is below n. */
export function pastCursor(found: readonly number[], lastUid: number): number[] {
  return found.filter((uid) => uid > lastUid).sort((a, b) => a - b);
}

/** The reply id of a mail without a Message-ID: a digest of the mail, so reading it again gives the same id. */
export function fallbackMessageId(source: Buffer): string {
  return `<sha256.${createHash('sha256').update(source).digest('hex').slice(0, 32)}@parley>`;
}

/** Parses one mail and decides what it is; mail that does not parse is ignored as malformed, never an error. */
export async function readMail(source: Buffer, inbound: InboundContext): Promise<InboundDecision> {
  try {
    const parsed = await simpleParser(source, { skipImageLinks: true, skipTextLinks: true });
    return decide(parsed, inbound, fallbackMessageId(source));
  } catch (err) {
    return { kind: 'ignored', reason: 'malformed', detail: `unreadable mail: ${(err as Error).message}` };
  }
}

/**
 * Runs one session and returns the cursor it reached. Cancelled, it logs out first and then throws the
 * signal's reason: the attempt fails, the cursor is in the last heartbeat, and the next attempt resumes there.
 */
export async function runInboxSession(input: InboxSessionInput, ctx: InboxSessionContext): Promise<InboxCursor> {
  const { imap } = input;
  const app = input.inbound.appId;
  const waker = createWaker(imap, ctx.signal);
  imap.on('error', (err: Error) => ctx.log.warn('IMAP connection error', { app, error: err.message }));
  await imap.connect();
  let cursor: InboxCursor;
  try {
    cursor = await openMailbox(input, ctx);
    await watch(input, ctx, cursor, waker);
  } finally {
    waker.detach();
    if (imap.usable) await imap.logout().catch(() => imap.close());
    else imap.close();
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;
  return cursor;
}

async function openMailbox(input: InboxSessionInput, ctx: InboxSessionContext): Promise<InboxCursor> {
  const app = input.inbound.appId;
  const mailbox = await input.imap.mailboxOpen(input.mailbox);
  const { cursor, change } = startCursor(input.cursor, mailbox);
  if (change?.kind === 'validity_changed')
    ctx.log.warn('mailbox UIDVALIDITY changed: reading it again from the start', {
      app,
      before: change.before,
      now: change.now,
    });
  if (change?.kind === 'first_session')
    ctx.log.info('inbox watcher starts after the mail already there', { app, fromUid: change.fromUid });
  if (!mailbox.permanentFlags?.has('\\*'))
    ctx.log.warn('the mailbox does not keep custom keywords: Parley relies on its UID cursor and reply ids alone', {
      app,
      mailbox: input.mailbox,
    });
  return cursor;
}

type Waker = ReturnType<typeof createWaker>;

/** Wakes the session's wait on new mail and on a closed connection (which then ends the session in error). */
function createWaker(imap: InboxImap, signal: AbortSignal) {
  let wake: () => void = () => undefined;
  const wakeUp = (): void => wake();
  imap.on('exists', wakeUp);
  imap.on('close', wakeUp);
  return {
    /** Resolves on new mail, a closed connection, cancellation, or after `ms`. */
    pause(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        signal.addEventListener('abort', done);
        wake = done;
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = () => undefined;
          resolve();
        }
      });
    },
    detach(): void {
      imap.off('exists', wakeUp);
      imap.off('close', wakeUp);
    },
  };
}

/** Reads and waits, heart-beating, until the session's time is over or it is cancelled. */
async function watch(input: InboxSessionInput, ctx: InboxSessionContext, cursor: InboxCursor, waker: Waker) {
  const deadline = Date.now() + input.sessionMs;
  while (Date.now() < deadline && !ctx.signal.aborted) {
    const found = await input.imap.search(
      { uid: `${cursor.lastUid + 1}:*`, unKeyword: PROCESSED_KEYWORD },
      { uid: true },
    );
    for (const uid of pastCursor(found || [], cursor.lastUid)) {
      if (ctx.signal.aborted) break;
      await processMail(input, ctx, cursor, uid);
      cursor.lastUid = uid;
      ctx.heartbeat(cursor);
    }
    // Wait in IDLE for new mail (or look again every 10 s), until the session is over. A lost connection fails
    // the session: the caller retries it with backoff, from the cursor.
    await waker.pause(Math.min(MAX_PAUSE_MS, Math.max(0, deadline - Date.now())));
    if (!input.imap.usable) throw new Error('the IMAP connection closed');
    ctx.heartbeat(cursor);
  }
}

/** Deals with one mail and marks it, so no later search finds it again. */
async function processMail(input: InboxSessionInput, ctx: InboxSessionContext, cursor: InboxCursor, uid: number) {
  const app = input.inbound.appId;
  const decision = await decideMail(input, ctx, uid);
  await input.imap.messageFlagsAdd(String(uid), [PROCESSED_KEYWORD], { uid: true });
  ctx.count(
    decision.kind === 'reply' || decision.kind === 'user_reply'
      ? 'relayed'
      : decision.kind === 'bounce'
        ? 'bounce'
        : decision.reason,
  );
  if (decision.kind === 'reply') {
    cursor.relayed += 1;
    ctx.log.info('email reply relayed', { app, uid, thread: decision.threadId, via: decision.via });
    if (decision.cutFromBytes !== undefined)
      ctx.log.warn("email reply over its budget: relayed cut, the whole of it stays in the team's mailbox", {
        app,
        uid,
        messageId: decision.messageId,
        bytes: decision.cutFromBytes,
      });
  } else if (decision.kind === 'user_reply') {
    cursor.relayed += 1;
    ctx.log.info("a user's answer by mail relayed", { app, uid, thread: decision.threadId });
  } else if (decision.kind === 'bounce') {
    cursor.ignored += 1;
    ctx.log.info('a fallback mail bounced: mail to the address stops', { app, uid, thread: decision.threadId });
  } else {
    cursor.ignored += 1;
    ctx.log.info('email ignored', { app, uid, reason: decision.reason, detail: decision.detail });
  }
}

/**
 * Fetches, reads and (a reply) relays one mail. Only a transient failure (the IMAP connection, Temporal unreachable
 * or overloaded) fails the session, which is retried from the cursor; a mail that can never be relayed (too large,
 * unreadable, refused by Temporal as invalid) is ignored with its reason, so it cannot hold up the mail behind it.
 */
export async function decideMail(
  input: Pick<InboxSessionInput, 'imap' | 'inbound' | 'maxMailBytes'>,
  ctx: Pick<InboxSessionContext, 'relay' | 'relayUser'>,
  uid: number,
): Promise<InboundDecision> {
  const max = input.maxMailBytes ?? DEFAULT_MAX_MAIL_BYTES;
  // The size first (RFC822.SIZE), so an oversized mail is never downloaded into memory.
  const head = await input.imap.fetchOne(String(uid), { uid: true, size: true, envelope: true }, { uid: true });
  if (head && typeof head.size === 'number' && head.size > max)
    return {
      kind: 'ignored',
      reason: 'oversized',
      detail:
        `the mail is ${head.size} bytes, over email.maxMailBytes (${max}): read it in the mailbox ` +
        `(Message-ID ${head.envelope?.messageId ?? 'none'})`,
    };
  const message = await input.imap.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
  if (!message || !message.source)
    return { kind: 'ignored', reason: 'malformed', detail: 'the server returned no source' };
  if (message.source.length > max)
    return { kind: 'ignored', reason: 'oversized', detail: `the mail is ${message.source.length} bytes, over ${max}` };
  const decision = await readMail(message.source, input.inbound);
  if (decision.kind === 'user_reply' || decision.kind === 'bounce') {
    if (!ctx.relayUser) return decision;
    try {
      return await ctx.relayUser(decision);
    } catch (err) {
      if (temporalFault(err) !== 'refused') throw err;
      return { kind: 'ignored', reason: 'refused', detail: `Temporal refused the answer: ${(err as Error).message}` };
    }
  }
  if (decision.kind !== 'reply') return decision;
  try {
    return await ctx.relay(decision);
  } catch (err) {
    if (temporalFault(err) !== 'refused') throw err;
    return { kind: 'ignored', reason: 'refused', detail: `Temporal refused the reply: ${(err as Error).message}` };
  }
}
