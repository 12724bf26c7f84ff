/**
 * A conversation's backlog (issue 15): what its outboxes hold while they cannot deliver (faulted, rate-limited,
 * waiting for their budget). Past the app's `limits.conversationBacklog` the API refuses new messages with 429
 * `conversation_backlogged` instead of letting the workflow's state grow past its byte budget; nothing already
 * accepted is dropped. Pure, over the domain's outbox state: the workflow decides with it, the API shows it.
 */
import type { OutboxState } from './conversation';

/** How much a conversation's blocked outboxes may hold before the API refuses new messages. */
export interface BacklogLimits {
  /** Deliveries waiting: a message waiting for two outboxes counts twice. */
  messages: number;
  /** Their bytes, as Temporal stores them. */
  bytes: number;
}

/** Whether the backlog is full, as the workflow last decided (and told the API in the memo's `backlog`). */
export interface BacklogState {
  full: boolean;
  /**
   * Past NEAR_AT of a limit: the API then reads the memo before every post instead of trusting its cached view
   * for a while, so a conversation is refused at its limit rather than some posts past it.
   */
  near?: boolean;
  /** ISO 8601: since when it is full. */
  since?: string;
  /** The outbox holding the most. */
  outbox?: string;
  /** When that outbox may deliver again (its rate limit's end or its next re-check), epoch ms. */
  retryAt?: number;
}

const KB = 1024;

/**
 * The defaults: 1,000 deliveries and 128 kB. The bytes bound the workflow's continue-as-new input (messages held
 * for a blocked outbox are carried whole); ordinary messages of a few hundred bytes reach the count first.
 */
export const DEFAULT_BACKLOG: BacklogLimits = { messages: 1000, bytes: 128 * KB };

/** A full backlog opens again once everything pending is below this share of both limits (no flapping). */
export const REOPEN_AT = 0.9;
/** From this share of a limit the backlog is `near` (the API stops caching its view); below NEAR_UNTIL no longer. */
export const NEAR_AT = 0.8;
export const NEAR_UNTIL = 0.7;

/** Outbox statuses in which an outbox cannot deliver now: what it holds counts as backlog. */
export const BLOCKED_STATUSES: readonly OutboxState['status'][] = ['faulted', 'rate_limited', 'budget_wait'];

/** A send still going after this long is being retried (the vendor fails transiently): blocked too. */
export const STUCK_SENDING_MS = 60_000;

/** Whether the outbox cannot deliver now: paused, held, waiting for its budget, or stuck in a retried send. */
export function isBlocked(box: OutboxState, now: number): boolean {
  if (BLOCKED_STATUSES.includes(box.status)) return true;
  return box.status === 'sending' && box.sendingSince !== undefined && now - box.sendingSince >= STUCK_SENDING_MS;
}

export interface BacklogFigures {
  messages: number;
  bytes: number;
  /** The blocked outbox holding the most. */
  outbox?: string;
}

/** What the blocked outboxes hold (or, with `all`, every outbox). Items of older runs without `bytes` count 0. */
export function measureBacklog(outboxes: Record<string, OutboxState>, now: number, all = false): BacklogFigures {
  let messages = 0;
  let bytes = 0;
  let biggest: OutboxState | undefined;
  for (const box of Object.values(outboxes)) {
    if (box.queue.length === 0 || (!all && !isBlocked(box, now))) continue;
    messages += box.queue.length;
    for (const item of box.queue) bytes += item.bytes ?? 0;
    if (!biggest || box.queue.length > biggest.queue.length) biggest = box;
  }
  return { messages, bytes, ...(biggest ? { outbox: biggest.key } : {}) };
}

/** Whether `figures` reach `share` of either limit. */
function reaches(figures: BacklogFigures, limits: BacklogLimits, share: number): boolean {
  return figures.messages >= limits.messages * share || figures.bytes >= limits.bytes * share;
}

/**
 * The backlog's verdict after a change (a message queued, a send done or failed): `full` once the blocked outboxes
 * hold as much as the limits allow, open again once everything pending is below 90% of both; `near` from 80% of a
 * limit until below 70%. Returns the new state when it changes, else undefined (so the workflow upserts its memo
 * only at those changes).
 */
export function nextBacklog(
  outboxes: Record<string, OutboxState>,
  limits: BacklogLimits,
  current: BacklogState | undefined,
  now: number,
): BacklogState | undefined {
  const pending = measureBacklog(outboxes, now, true);
  if (current?.full === true && reaches(pending, limits, REOPEN_AT)) return undefined;
  const blocked = measureBacklog(outboxes, now);
  let next: BacklogState;
  if (reaches(blocked, limits, 1)) {
    if (current?.full === true) return undefined;
    const box = blocked.outbox ? outboxes[blocked.outbox] : undefined;
    const until = box?.holdUntil ?? box?.fault?.nextCheckAt;
    next = {
      full: true,
      since: new Date(now).toISOString(),
      ...(blocked.outbox ? { outbox: blocked.outbox } : {}),
      ...(until !== undefined ? { retryAt: until } : {}),
    };
  } else {
    const wasNear = current?.near === true || current?.full === true;
    const near = reaches(blocked, limits, NEAR_AT) || (wasNear && reaches(pending, limits, NEAR_UNTIL));
    next = near ? { full: false, near: true } : { full: false };
  }
  const same =
    next.full === (current?.full === true) && (next.near === true) === (current?.near === true) && !next.full;
  return same ? undefined : next;
}

/** How long a client should wait before posting again to a full conversation, in whole seconds (1 s … 5 min). */
export function backlogRetryAfterSeconds(state: BacklogState | undefined, now: number): number {
  const wait = state?.retryAt !== undefined ? Math.ceil((state.retryAt - now) / 1000) : 30;
  return Math.min(300, Math.max(1, wait));
}
