/**
 * A send's first attempt as a local activity (issue 22): it runs in the worker inside the workflow task that queued
 * it, so a message costs one workflow task and one marker instead of three activity events and a second workflow
 * task (10 history events per message with one integration before, 5 after). Anything but a quick success falls
 * back to the regular activity, with its retries for days, its heartbeats and its fairness on the task queue:
 * - a non-retryable failure (a rate limit, a permanent fault) is the outbox's to handle, exactly as from the
 *   activity: it is thrown on;
 * - a retryable failure: the regular activity at once (its first retry, which would come after 1 s anyway);
 * - the local attempt ran past LOCAL_SEND_MS (a long send): the regular activity once LOCAL_SEND_MS more have passed,
 *   so a vendor request the abandoned attempt had in flight (each times out within 10 s, see outbox.ts) has ended
 *   before the regular activity checks what the vendor already holds.
 * Exactly once holds because only senders whose adapter looks at the vendor before every post take this path
 * (FAST_KINDS); client webhooks keep their progress in heartbeats and email cannot be looked up, so both always
 * use the regular activity. Behind `patched(FAST_SEND_PATCH)`: histories recorded before replay the activity.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyLocalActivities,
  sleep,
  TimeoutFailure,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { OutboxBatch, OutboxSendResult } from '../common/conversation';

export const FAST_SEND_PATCH = 'send-first-attempt-locally';

/** Senders that check the vendor for what an earlier attempt delivered before every post. */
const FAST_KINDS: readonly string[] = ['sink', 'test', 'slack', 'zendesk', 'helpscout'];

/** A local attempt longer than this gives the send to the regular activity. */
const LOCAL_SEND_MS = 10_000;

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: LOCAL_SEND_MS,
  // One attempt: retries belong to the regular activity, whose backoff and heartbeats survive a worker's death.
  retry: { maximumAttempts: 1 },
});

export async function sendWithFastPath(
  kind: string,
  name: keyof Activities,
  options: ActivityOptions,
  batch: OutboxBatch,
  regular: (options: ActivityOptions, batch: OutboxBatch) => Promise<OutboxSendResult | void>,
): Promise<OutboxSendResult | void> {
  if (!FAST_KINDS.includes(kind) || !patched(FAST_SEND_PATCH)) return regular(options, batch);
  try {
    // Every sender takes one batch (outbox.ts SENDER_ACTIVITIES); the proxy's type cannot say so per name.
    const sender = local[name] as unknown as {
      executeWithOptions(o: object, args: [OutboxBatch]): Promise<OutboxSendResult | void>;
    };
    return await sender.executeWithOptions(
      {
        startToCloseTimeout: LOCAL_SEND_MS,
        retry: { maximumAttempts: 1 },
        ...(options.summary ? { summary: options.summary } : {}),
      },
      [batch],
    );
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) throw err;
    if (cause instanceof TimeoutFailure) await sleep(LOCAL_SEND_MS);
    return regular(options, batch);
  }
}
