/**
 * The outbox engine: one ordered queue per enabled integration and per client webhook URL, each drained by
 * its own coroutine inside the conversation workflow. Pure workflow code: timers and activities only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  upsertSearchAttributes,
  TimeoutFailure,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  EmailThread,
  HelpScoutConversation,
  SENDER_ACTIVITIES,
  SlackChannel,
  ZendeskTicket,
  type OutboxKind,
} from './definitions';
import type {
  ConversationState,
  OutboxBatch,
  OutboxFailureDetails,
  OutboxItem,
  OutboxPolicy,
  OutboxSendResult,
  OutboxState,
} from './definitions';

export const MAX_BATCH = 50;
const DEFAULT_RECHECK_MS = 60_000;
const DEFAULT_MAX_RECHECK_MS = 3_600_000;

export const WEBHOOK_POLICY: OutboxPolicy = { batchWindowMs: 0 };

const SEND_OPTIONS = {
  // One call sends a batch, heartbeating before each vendor request (each times out within 10 s), so a
  // worker that dies mid-send is noticed within 20 s and the batch is retried elsewhere.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  // Transient faults: Temporal retries with backoff for a week, then the outbox shows them as a fault.
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
} as const;

const senders: ActivityInterfaceFor<Activities> = proxyActivities<Activities>(SEND_OPTIONS);

/** References that are also search attributes, so a developer finds a conversation by its Slack channel. */
const SEARCHABLE_REFS = {
  slackChannelId: SlackChannel,
  zendeskTicketId: ZendeskTicket,
  helpscoutConversationId: HelpScoutConversation,
  emailThread: EmailThread,
} as const;

/** How many recent messages a reopened conversation's fresh channel (or ticket) gets. */
const RECENT_ON_REOPEN = 10;

export function outboxKind(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

export function newOutbox(key: string, policy: OutboxPolicy): OutboxState {
  return {
    key,
    policy,
    enabled: true,
    queue: [],
    status: 'idle',
    recentSends: [],
    delivered: 0,
    batches: 0,
    rateLimits: 0,
  };
}

function describe(key: string, items: OutboxItem[]): string {
  const n = items.length;
  const what = n === 1 ? (items[0]?.kind ?? 'item') : `${n} items`;
  return outboxKind(key) === 'webhook'
    ? `Deliver ${what} to ${key.slice('webhook:'.length)}`
    : `Send ${what} to ${key}`;
}

export interface OutboxRunner {
  /** Sends in flight right now (continue-as-new waits for zero). */
  inFlight(): number;
  /** Stops starting new sends; called before continue-as-new. */
  drain(): void;
  /** Starts the coroutine of an outbox once. */
  ensureRunning(key: string): void;
}

export function createOutboxRunner(state: ConversationState, conversationId: string): OutboxRunner {
  let inFlight = 0;
  let draining = false;
  const running: string[] = [];

  /** Sleeps until `deadline` (epoch ms, workflow time) or until `wake()` is true; a durable timer. */
  async function sleepUntil(deadline: number, wake: () => boolean): Promise<void> {
    const ms = deadline - Date.now();
    if (ms > 0) await condition(() => draining || wake(), ms);
  }

  function applyRefs(refs: Record<string, string> | undefined): void {
    if (!refs) return;
    for (const [name, value] of Object.entries(refs)) {
      if (state.refs[name] === value) continue;
      state.refs[name] = value;
      const key = SEARCHABLE_REFS[name as keyof typeof SEARCHABLE_REFS];
      if (key) upsertSearchAttributes([{ key, value }]);
    }
  }

  async function send(box: OutboxState, items: OutboxItem[]): Promise<OutboxSendResult | void> {
    const batch: OutboxBatch = {
      appId: state.appId,
      userId: state.userId,
      conversationId,
      outbox: box.key,
      profile: state.profile,
      refs: state.refs,
      items,
    };
    if (box.reopened) batch.recent = state.messages.slice(-RECENT_ON_REOPEN);
    const kind = outboxKind(box.key) as OutboxKind;
    const activity = senders[SENDER_ACTIVITIES[kind]];
    return activity.executeWithOptions({ ...SEND_OPTIONS, summary: describe(box.key, items) }, [batch]);
  }

  function onFailure(box: OutboxState, err: unknown): void {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const details = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as
      OutboxFailureDetails | undefined;
    applyRefs(details?.refs);
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
    const type =
      cause instanceof ApplicationFailure
        ? (cause.type ?? 'ApplicationFailure')
        : cause instanceof TimeoutFailure
          ? 'timeout'
          : 'unknown';
    if (type.endsWith('_rate_limited')) {
      box.rateLimits += 1;
      box.holdUntil = Date.now() + Math.max(0, details?.retryAfterMs ?? 1000);
      box.status = 'rate_limited';
      return;
    }
    // A permanent fault (revoked token, deleted mailbox, retries exhausted): pause visibly, keep everything.
    const attempts = (box.fault?.attempts ?? 0) + 1;
    const first = box.policy.recheckMs ?? DEFAULT_RECHECK_MS;
    const max = box.policy.maxRecheckMs ?? DEFAULT_MAX_RECHECK_MS;
    box.fault = {
      type,
      message: cause instanceof Error ? cause.message : String(cause),
      since: box.fault?.since ?? new Date(Date.now()).toISOString(),
      attempts,
      nextCheckAt: Date.now() + Math.min(max, first * 2 ** (attempts - 1)),
    };
    box.status = 'faulted';
  }

  async function run(key: string): Promise<void> {
    for (;;) {
      const box = state.outboxes[key];
      if (!box) return;
      if (box.queue.length === 0 || draining) box.status = box.fault ? 'faulted' : 'idle';
      await condition(() => box.queue.length > 0 && !draining);

      if (box.holdUntil !== undefined) {
        const until = box.holdUntil;
        box.status = 'rate_limited';
        await sleepUntil(until, () => box.holdUntil !== until);
        if (draining) continue;
        if (box.holdUntil === until && Date.now() < until) continue;
        box.holdUntil = undefined;
      }
      if (box.fault) {
        const fault = box.fault;
        box.status = 'faulted';
        await sleepUntil(fault.nextCheckAt, () => box.fault !== fault);
        if (draining) continue;
        // Either resumed (fault cleared) or time for the re-check: try again below.
      }
      const oldest = box.queue[0];
      if (oldest && box.policy.batchWindowMs > 0) {
        box.status = 'batching';
        await sleepUntil(oldest.enqueuedAt + box.policy.batchWindowMs, () => false);
        if (draining) continue;
      }
      const budget = box.policy.budget;
      if (budget) {
        box.recentSends = box.recentSends.filter((t) => t > Date.now() - budget.periodMs);
        const first = box.recentSends[0];
        if (box.recentSends.length >= budget.max && first !== undefined) {
          box.status = 'budget_wait';
          await sleepUntil(first + budget.periodMs, () => false);
          continue;
        }
      }

      const items = box.queue.slice(0, MAX_BATCH);
      box.status = 'sending';
      inFlight += 1;
      try {
        const result = await send(box, items);
        box.queue.splice(0, items.length);
        box.delivered += items.length;
        box.batches += 1;
        if (budget) box.recentSends.push(Date.now());
        box.fault = undefined;
        box.reopened = undefined;
        applyRefs(result?.refs ?? undefined);
      } catch (err) {
        onFailure(box, err);
      } finally {
        inFlight -= 1;
      }
    }
  }

  return {
    inFlight: () => inFlight,
    drain: () => {
      draining = true;
    },
    ensureRunning(key) {
      if (running.includes(key)) return;
      running.push(key);
      void run(key);
    },
  };
}
