/**
 * Which sends a worker runs as local first attempts (workflows/send-fast-path.ts). A local attempt runs inside its
 * workflow task and holds that task's slot for as long as the vendor takes. Workflow-task slots are meant for
 * milliseconds: held by slow sends they become the scarce thing, and a workflow task waiting for a slot is handed
 * out from the worker's sticky queue first in, first out, so one app's flood of slow sends stood in front of every
 * other app's messages (the fairness drill measured a calm app's relay p99 at 5–6× its calm value). So the gate
 * declines a local attempt, at once and before any vendor request, when
 * - the worker already runs `limit` local sends (half its workflow-task slots unless set), or
 * - the same app's sends through the same outbox have lately been slow (an average of the last few over `slowMs`).
 * The workflow then gives the send to the regular activity, whose task queue hands sends out fairly between apps
 * (common/fairness.ts). Every send, local or regular, updates the average, so a vendor that is fast again gets the
 * fast path back after a few sends. A declined attempt is a failed local-activity marker in the history, which the
 * workflow records like any other result: replay is unaffected by what the gate decided.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/** The failure type of a declined local attempt (retryable: the workflow sends by the regular activity at once). */
export const LOCAL_SEND_DECLINED = 'LocalSendDeclined';

/** The SDK's default `maxConcurrentWorkflowTaskExecutions`. */
export const SDK_DEFAULT_WORKFLOW_TASK_SLOTS = 40;

/** A send slower than this on average is not worth a workflow-task slot (vendors here answer in 100–400 ms). */
export const DEFAULT_SLOW_LOCAL_SEND_MS = 500;

/** Weight of the newest send in the average: three fast sends bring a 1 s average under 500 ms. */
const NEWEST_WEIGHT = 0.3;

/** Averages kept, one per app and outbox (config bounds them; this bounds a worker serving many configs). */
const MAX_TRACKED = 10_000;

export type DeclineReason = 'busy' | 'slow';

export interface LocalSendGate {
  readonly limit: number;
  readonly slowMs: number;
  /** Local sends running now. */
  inFlight(): number;
  /** The average send time of `key` (app and outbox), if it has sent. */
  averageMs(key: string): number | undefined;
  /** Counts one send of `key` that took `ms`, local or not. */
  observe(key: string, ms: number): void;
  /** Runs `send` as a local attempt of `key` if allowed, else throws the retryable LocalSendDeclined failure. */
  run<R>(key: string, send: () => Promise<R>): Promise<R>;
}

/** Half the workflow-task slots, at least one: the other half stays free for workflow tasks that take milliseconds. */
export function defaultLocalSendLimit(workflowTaskSlots = SDK_DEFAULT_WORKFLOW_TASK_SLOTS): number {
  return Math.max(1, Math.floor(workflowTaskSlots / 2));
}

export function createLocalSendGate(options: {
  limit: number;
  slowMs?: number;
  onDeclined?: (reason: DeclineReason) => void;
}): LocalSendGate {
  const { limit, slowMs = DEFAULT_SLOW_LOCAL_SEND_MS, onDeclined } = options;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`a local send limit is a whole number, not ${limit}`);
  if (!(slowMs >= 0)) throw new Error(`a slow local send threshold is a number of ms, not ${slowMs}`);
  let running = 0;
  const averages = new Map<string, number>();
  const decline = (reason: DeclineReason, why: string): never => {
    onDeclined?.(reason);
    throw ApplicationFailure.retryable(`not sent locally: ${why}; the regular activity sends it`, LOCAL_SEND_DECLINED);
  };
  const gate: LocalSendGate = {
    limit,
    slowMs,
    inFlight: () => running,
    averageMs: (key) => averages.get(key),
    observe(key, ms) {
      const before = averages.get(key);
      averages.delete(key);
      averages.set(key, before === undefined ? ms : before + NEWEST_WEIGHT * (ms - before));
      if (averages.size > MAX_TRACKED) averages.delete(averages.keys().next().value as string);
    },
    async run(key, send) {
      if (running >= limit)
        decline('busy', `this worker already runs ${running} local sends (PARLEY_WORKER_MAX_LOCAL_SENDS)`);
      const average = averages.get(key);
      if (average !== undefined && average > slowMs)
        decline('slow', `these sends take ${Math.round(average)} ms on average (over ${slowMs} ms)`);
      running += 1;
      try {
        return await send();
      } finally {
        running -= 1;
      }
    },
  };
  return gate;
}

/** True inside a local activity; false in a regular one or outside any activity (a test calling it directly). */
export function runningLocally(): boolean {
  try {
    return Context.current().info.isLocal;
  } catch {
    return false;
  }
}
