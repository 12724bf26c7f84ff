/**
 * The API's side of a conversation's backlog (issue 15). A signal cannot be refused, so the workflow decides when
 * its blocked outboxes are full and says so in its memo (`backlog`, upserted only when that changes); before it
 * signals a user message, the API reads the memo with `describe` (no worker involved: it works while workers are
 * down, as `signalWithStart` does) and answers 429 `conversation_backlogged` with `Retry-After` while it is full.
 *
 * The answer is kept per conversation, "open" for `openTtlMs` (250 ms) and "full" for `fullTtlMs` (1 s), so a busy
 * conversation costs a few `describe`s a second per replica, not one per message. From 80% of a limit the workflow
 * marks its backlog `near`, and the API then reads the memo before every post, so the refusal comes at the limit
 * (give or take the messages the workflow has not yet taken in). The cache is bounded (`maxEntries`).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { backlogRetryAfterSeconds, type BacklogState } from '../common/backlog';

export interface BacklogGate {
  /** The conversation's backlog when its memo shows it full; undefined when open, or with no conversation yet. */
  read(workflowId: string): Promise<BacklogState | undefined>;
  /** Seconds a client should wait, for `Retry-After`. */
  retryAfterSeconds(state: BacklogState): number;
}

export interface BacklogGateOptions {
  temporal: Client;
  openTtlMs?: number;
  fullTtlMs?: number;
  maxEntries?: number;
}

function isBacklogState(value: unknown): value is BacklogState {
  return typeof value === 'object' && value !== null && typeof (value as BacklogState).full === 'boolean';
}

export function createBacklogGate(options: BacklogGateOptions): BacklogGate {
  const openTtlMs = options.openTtlMs ?? 250;
  const fullTtlMs = options.fullTtlMs ?? 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { at: number; state: BacklogState | undefined }>();

  function fresh(entry: { at: number; state: BacklogState | undefined }, now: number): boolean {
    if (entry.state?.full) return now - entry.at < fullTtlMs;
    if (entry.state?.near) return false;
    return now - entry.at < openTtlMs;
  }

  async function describe(workflowId: string): Promise<BacklogState | undefined> {
    try {
      const description = await options.temporal.workflow.getHandle(workflowId).describe();
      if (description.status.name !== 'RUNNING') return undefined;
      const memo = description.memo?.backlog;
      return isBacklogState(memo) && (memo.full || memo.near) ? memo : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      // Temporal unreachable: the signal that follows fails and says so; this check does not decide it.
      return undefined;
    }
  }

  return {
    async read(workflowId) {
      const now = Date.now();
      let entry = cache.get(workflowId);
      if (!entry || !fresh(entry, now)) {
        entry = { at: now, state: await describe(workflowId) };
        cache.delete(workflowId);
        cache.set(workflowId, entry);
        if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      }
      return entry.state?.full ? entry.state : undefined;
    },
    retryAfterSeconds: (state) => backlogRetryAfterSeconds(state, Date.now()),
  };
}
