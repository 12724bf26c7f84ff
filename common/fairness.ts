/**
 * Fairness between apps (issue 15): every conversation's tasks (its workflow tasks and its sends) carry the app id as
 * Temporal's fairness key, so the task queue hands out one app's backlog in turn with the others' instead of first
 * in, first out: one app's flood waits behind itself. Needs `matching.enableFairness` on the server (compose's
 * dynamic config and Parley's dev server set it); a server without it ignores the key. App ids are at most 63 ASCII
 * characters (common/config.ts), within Temporal's 64-byte limit for a fairness key.
 */
export function appPriority(appId: string): { fairnessKey: string } {
  return { fairnessKey: appId };
}
