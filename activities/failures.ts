import { ApplicationFailure } from '@temporalio/common';
import type { AppConfig, ParleyConfig } from '../common/config';
import { IntegrationError, OutboxBatchError } from '../common/errors';
import { type OutboxFailureDetails } from '../common/conversation';

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
  if (err instanceof OutboxBatchError)
    return toApplicationFailure(err.cause, err.completed, err.refs, err.needsHistory);
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

/** The app of a batch, with the integration the outbox sends to, or a non-retryable `<system>_not_configured`. */
export function appFor<K extends 'slack' | 'zendesk' | 'helpscout' | 'email' | 'sink'>(
  config: ParleyConfig,
  appId: string,
  system: K,
): AppConfig & { [P in K]-?: NonNullable<AppConfig[P]> } {
  const app = config.apps.find((a) => a.id === appId);
  if (!app?.[system]) {
    throw toApplicationFailure(
      new IntegrationError(`${system}_not_configured`, `app ${appId} has no ${system} integration any more`, {
        retryable: false,
      }),
    );
  }
  return app as AppConfig & { [P in K]-?: NonNullable<AppConfig[P]> };
}
