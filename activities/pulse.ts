import { CancelledFailure, Context, heartbeat } from '@temporalio/activity';

/**
 * How long a send runs before it heartbeats. Temporal's heartbeat timeout counts from the attempt's start, so a
 * worker that dies in the first seconds is still noticed within the timeout without any heartbeat; but the SDK sends
 * an attempt's first heartbeat at once, a server write for every send, and most sends finish in milliseconds.
 */
export const QUIET_START_MS = 5_000;

/**
 * A heartbeat for one activity attempt that stays silent for its first QUIET_START_MS. Called before each vendor
 * request, it also stops an attempt that was cancelled (a local first attempt past its time, or one the server timed
 * out), so an abandoned attempt makes no further request while its retry runs. A local first attempt only checks:
 * its workflow task is what Temporal watches, and its time is bounded by the local activity's timeout.
 */
export function pulse(quietMs = QUIET_START_MS): (details?: unknown) => void {
  const started = Date.now();
  return (details) => {
    const context = Context.current();
    if (context.cancellationSignal.aborted) throw new CancelledFailure('the attempt was cancelled');
    // A local attempt has no heartbeat on the server (the SDK logs "Activity heartbeat failed … UnknownActivity").
    if (!context.info.isLocal && Date.now() - started >= quietMs) heartbeat(details);
  };
}
