/**
 * The outbox's policy as pure functions: when a batch may go, how big it is, how a failure changes the outbox.
 * The engine in workflows/outbox.ts waits and sends as these say; they take the time as an argument, so a table
 * test runs them without Temporal. Imports nothing but the domain types.
 */
import type { OutboxFailureDetails, OutboxPolicy, OutboxState } from './conversation';

/** At most this many items go out in one send. */
export const MAX_BATCH = 50;
export const DEFAULT_RECHECK_MS = 60_000;
export const DEFAULT_MAX_RECHECK_MS = 3_600_000;

/** A client webhook's outbox: each event as it comes, in order (the workflow sets it for every webhook URL). */
export const CLIENT_WEBHOOK_POLICY: OutboxPolicy = { batchWindowMs: 0 };

type Pacing = Pick<OutboxState, 'queue' | 'policy' | 'holdUntil' | 'fault' | 'recentSends'>;

/**
 * What an outbox with pending items does next at workflow time `now`, checked in this order:
 * `hold` (a rate limit holds it), `recheck` (faulted, until its next automatic re-check), `batch` (the oldest
 * item's batch window is open), `budget` (the budget of the period is spent), else `send` the first `count`.
 */
export type OutboxStep =
  | { kind: 'hold'; until: number }
  | { kind: 'recheck'; until: number }
  | { kind: 'batch'; until: number }
  | { kind: 'budget'; until: number }
  | { kind: 'send'; count: number };

/** Until when a rate limit holds the outbox, if it still does. */
export function holdDeadline(box: Pick<OutboxState, 'holdUntil'>, now: number): number | undefined {
  return box.holdUntil !== undefined && now < box.holdUntil ? box.holdUntil : undefined;
}

/** Until when a faulted outbox waits for its automatic re-check, if it still does. */
export function recheckDeadline(box: Pick<OutboxState, 'fault'>, now: number): number | undefined {
  return box.fault && now < box.fault.nextCheckAt ? box.fault.nextCheckAt : undefined;
}

/** When the batch window of the oldest pending item closes; undefined without a window or pending item. */
export function batchDeadline(box: Pick<OutboxState, 'queue' | 'policy'>): number | undefined {
  const oldest = box.queue[0];
  return oldest && box.policy.batchWindowMs > 0 ? oldest.enqueuedAt + box.policy.batchWindowMs : undefined;
}

/** Sends of the budget's period that still count at `now`, oldest first. */
export function sendsInPeriod(recentSends: readonly number[], periodMs: number, now: number): number[] {
  return recentSends.filter((t) => t > now - periodMs);
}

/** Until when the budget is spent, given the sends that still count (`sendsInPeriod`); undefined if it is not. */
export function budgetDeadline(policy: OutboxPolicy, recent: readonly number[]): number | undefined {
  const budget = policy.budget;
  const first = recent[0];
  return budget && recent.length >= budget.max && first !== undefined ? first + budget.periodMs : undefined;
}

export function batchSize(box: Pick<OutboxState, 'queue'>): number {
  return Math.min(MAX_BATCH, box.queue.length);
}

export function nextOutboxStep(box: Pacing, now: number): OutboxStep {
  const hold = holdDeadline(box, now);
  if (hold !== undefined) return { kind: 'hold', until: hold };
  const recheck = recheckDeadline(box, now);
  if (recheck !== undefined) return { kind: 'recheck', until: recheck };
  const window = batchDeadline(box);
  if (window !== undefined && now < window) return { kind: 'batch', until: window };
  const budget = box.policy.budget;
  const spent = budget ? budgetDeadline(box.policy, sendsInPeriod(box.recentSends, budget.periodMs, now)) : undefined;
  if (spent !== undefined) return { kind: 'budget', until: spent };
  return { kind: 'send', count: batchSize(box) };
}

/** When a faulted outbox is looked at again after its `attempts`-th failure: doubling, up to the policy's max. */
export function recheckDelayMs(policy: OutboxPolicy, attempts: number): number {
  const first = policy.recheckMs ?? DEFAULT_RECHECK_MS;
  const max = policy.maxRecheckMs ?? DEFAULT_MAX_RECHECK_MS;
  return Math.min(max, first * 2 ** (attempts - 1));
}

/** A failed send as the engine reads it off Temporal's failure: its type, message and Parley's details. */
export interface SendFailure {
  /** The failure's type: `<system>_rate_limited`, another error code, `timeout`, `unknown`. */
  type: string;
  message: string;
  details?: OutboxFailureDetails;
}

/**
 * What a failed send does to its outbox (which it changes in place): items that did go out leave the queue; a
 * lost vendor conversation makes it send again at once with the recent history; a rate limit holds it until
 * `now + retryAfterMs`; anything else pauses it visibly as `faulted`, re-checked with backoff. Nothing is dropped.
 */
export function applySendFailure(box: OutboxState, failure: SendFailure, now: number): void {
  const details = failure.details;
  const completed = Math.min(details?.completed ?? 0, box.queue.length);
  if (completed > 0) {
    box.queue.splice(0, completed);
    box.delivered += completed;
  }
  if (details?.needsHistory && !box.reopened) {
    // Send again at once, this time with the recent messages for the new conversation.
    box.reopened = true;
    box.status = 'idle';
    return;
  }
  if (failure.type.endsWith('_rate_limited')) {
    box.rateLimits += 1;
    box.holdUntil = now + Math.max(0, details?.retryAfterMs ?? 1000);
    box.status = 'rate_limited';
    return;
  }
  // A permanent fault (revoked token, deleted mailbox, retries exhausted): pause visibly, keep everything.
  const attempts = (box.fault?.attempts ?? 0) + 1;
  box.fault = {
    type: failure.type,
    message: failure.message,
    since: box.fault?.since ?? new Date(now).toISOString(),
    attempts,
    nextCheckAt: now + recheckDelayMs(box.policy, attempts),
  };
  box.status = 'faulted';
}
