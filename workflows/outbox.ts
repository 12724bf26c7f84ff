/**
 * The outbox engine: one ordered queue per enabled integration and per client webhook URL, each drained by
 * its own coroutine inside the conversation workflow. Pure workflow code: timers and activities only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  upsertSearchAttributes,
  TimeoutFailure,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  outboxKind,
  type OutboxBatch,
  type OutboxFailureDetails,
  type OutboxItem,
  type OutboxPolicy,
  type OutboxSendResult,
  type OutboxState,
  type WebhookReceipt,
} from '../common/conversation';
import {
  applySendFailure,
  batchDeadline,
  batchSize,
  budgetDeadline,
  holdDeadline,
  sendsInPeriod,
} from '../common/outbox';
import { jsonBytes } from '../common/budgets';
import { BATCH_BYTES_PATCH, batchCount, recentMessages, releaseHeld, resolveItem } from './bounds';
import { sendWithFastPath } from './send-fast-path';
import {
  EmailThread,
  HelpScoutConversation,
  SlackChannel,
  SlackThread,
  ZendeskTicket,
  type ConversationState,
} from './definitions';

/**
 * The activity that sends for each kind of outbox (the part of its key before `:`). `test` is the sink's old name:
 * outboxes of conversations started before the rename keep it, and their activity type, so they replay unchanged.
 */
export const SENDER_ACTIVITIES = {
  sink: 'sendSinkBatch',
  test: 'sendTestIntegrationBatch',
  webhook: 'deliverClientWebhooks',
  slack: 'postSlackMessages',
  helpscout: 'postHelpScoutThreads',
  zendesk: 'commentOnZendeskTicket',
  email: 'sendEmailNotifications',
} as const satisfies Record<string, keyof Activities>;
export type OutboxKind = keyof typeof SENDER_ACTIVITIES;

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
  slackThread: SlackThread,
  zendeskTicketId: ZendeskTicket,
  helpscoutConversationId: HelpScoutConversation,
  emailThread: EmailThread,
} as const;

/** How many recent messages a reopened conversation's fresh channel (or ticket) gets. */
const RECENT_ON_REOPEN = 10;

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

/** What the conversation hears from its outboxes' sends. */
export interface OutboxHooks {
  /** A client app answered its webhook deliveries with receipts (`{"delivered": false}`): workflows/receipts.ts. */
  answered?(receipts: WebhookReceipt[]): void;
  /** After each send, done or failed: queues changed (the conversation re-checks its backlog). */
  afterSend?: () => void;
}

export function createOutboxRunner(
  state: ConversationState,
  conversationId: string,
  hooks: OutboxHooks = {},
): OutboxRunner {
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

  /** The batch without its items: what every send carries whatever its size. */
  function batchFrame(box: OutboxState): Omit<OutboxBatch, 'items'> {
    const frame: Omit<OutboxBatch, 'items'> = {
      appId: state.appId,
      userId: state.userId,
      conversationId,
      outbox: box.key,
      profile: state.profile,
      refs: state.refs,
    };
    // Bounded in bytes as well as in count (workflows/bounds.ts).
    if (box.reopened) frame.recent = recentMessages(state, RECENT_ON_REOPEN);
    // Slack routes and shows the status (workflows/assignment.ts); nobody else needs them.
    if (outboxKind(box.key) === 'slack') {
      if (state.routing) frame.routing = state.routing;
      if (state.assignment) frame.assignment = state.assignment;
    }
    return frame;
  }

  async function send(box: OutboxState, items: OutboxItem[]): Promise<OutboxSendResult | void> {
    // Queue items refer to their message; the activity gets the messages themselves.
    const batch: OutboxBatch = { ...batchFrame(box), items: items.map((item) => resolveItem(state, item)) };
    if (box.resumedFrom !== undefined) batch.resumedFrom = box.resumedFrom;
    const kind = outboxKind(box.key) as OutboxKind;
    const name = SENDER_ACTIVITIES[kind];
    // The app's fairness key here too, for conversations started before the API set it (common/fairness.ts).
    const options = { ...SEND_OPTIONS, summary: describe(box.key, items), priority: { fairnessKey: state.appId } };
    // The first attempt locally where that is safe (workflows/send-fast-path.ts), else the activity.
    return sendWithFastPath(kind, name, options, batch, (o, b) => senders[name].executeWithOptions(o, [b]));
  }

  function onFailure(box: OutboxState, err: unknown): void {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const details = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as
      OutboxFailureDetails | undefined;
    applyRefs(details?.refs);
    const type =
      cause instanceof ApplicationFailure
        ? (cause.type ?? 'ApplicationFailure')
        : cause instanceof TimeoutFailure
          ? 'timeout'
          : 'unknown';
    const message = cause instanceof Error ? cause.message : String(cause);
    applySendFailure(box, { type, message, ...(details ? { details } : {}) }, Date.now());
  }

  async function run(key: string): Promise<void> {
    for (;;) {
      const box = state.outboxes[key];
      if (!box) return;
      if (box.queue.length === 0 || draining) box.status = box.fault ? 'faulted' : 'idle';
      await condition(() => box.queue.length > 0 && !draining);

      // The waits of common/outbox.ts's policy, in its order. Each block is entered and awaited exactly as before the
      // policy moved there: a wait already over still passes through `sleepUntil` (no timer), so running
      // conversations replay unchanged.
      if (box.holdUntil !== undefined) {
        const until = box.holdUntil;
        box.status = 'rate_limited';
        await sleepUntil(until, () => box.holdUntil !== until);
        if (draining) continue;
        if (box.holdUntil === until && holdDeadline(box, Date.now()) !== undefined) continue;
        box.holdUntil = undefined;
      }
      if (box.fault) {
        const fault = box.fault;
        box.status = 'faulted';
        await sleepUntil(fault.nextCheckAt, () => box.fault !== fault);
        if (draining) continue;
        // Either resumed (fault cleared) or time for the re-check: try again below.
      }
      const window = batchDeadline(box);
      if (window !== undefined) {
        box.status = 'batching';
        await sleepUntil(window, () => false);
        if (draining) continue;
      }
      const budget = box.policy.budget;
      if (budget) {
        box.recentSends = sendsInPeriod(box.recentSends, budget.periodMs, Date.now());
        const spent = budgetDeadline(box.policy, box.recentSends);
        if (spent !== undefined) {
          box.status = 'budget_wait';
          await sleepUntil(spent, () => false);
          continue;
        }
      }

      // Cut by bytes as well as by count (a batch of 50 large messages was over Temporal's 2 MB payload limit and
      // failed the workflow task forever); behind a patch, as it changes how many sends a queue takes.
      const count = patched(BATCH_BYTES_PATCH)
        ? batchCount(state, box, batchSize(box), jsonBytes(batchFrame(box)))
        : batchSize(box);
      const items = box.queue.slice(0, count);
      box.status = 'sending';
      box.sendingSince = Date.now();
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
        if (result?.receipts?.length) hooks.answered?.(result.receipts);
      } catch (err) {
        onFailure(box, err);
      } finally {
        inFlight -= 1;
        box.sendingSince = undefined;
        box.resumedFrom = undefined;
      }
      releaseHeld(state);
      hooks.afterSend?.();
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
