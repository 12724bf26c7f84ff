import { ApplicationFailure } from '@temporalio/common';
import { IntegrationError } from '../common/errors';
import type { OutboxFailureDetails } from '../workflows/definitions';

/**
 * The one place an integration error becomes a Temporal failure: `type` = the error code, rate limits and
 * permanent faults non-retryable, with `{retryAfterMs, completed}` for the outbox.
 */
export function toApplicationFailure(
  err: unknown,
  completed = 0,
  refs?: Record<string, string>,
  needsHistory = false,
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof IntegrationError) {
    const details: OutboxFailureDetails = { completed };
    if (refs) details.refs = refs;
    if (needsHistory) details.needsHistory = true;
    if (err.retryAfterMs !== undefined) details.retryAfterMs = err.retryAfterMs;
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      details: [details],
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type: 'parley_internal',
    message,
    details: [{ completed }],
    cause: err instanceof Error ? err : undefined,
  });
}
