/**
 * The API's side of a conversation's backlog (issue 15). A signal cannot be refused, so the workflow decides when
 * its blocked outboxes are full and says so in its memo (`backlog`, upserted only when that changes); before it
 * signals a user message, the API reads the memo with `describe` (no worker involved: it works while workers are
 * down, as `signalWithStart` does) and answers 429 `conversation_backlogged` with `Retry-After` while it is full.
 *
 * The answer is kept per conversation for `ttlMs` (1 s), so a busy conversation costs one `describe` a second per
 * replica, not one per message; a conversation that just filled up may take that long to be refused. The cache is
 * bounded (`maxEntries`), oldest first out.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { backlogRetryAfterSeconds, type BacklogState } from '../common/backlog';

export interface BacklogGate {
  /** The conversation's backlog as its memo shows it; undefined when open, or when there is no conversation yet. */
  read(workflowId: string): Promise<BacklogState | undefined>;
  /** Seconds a client should wait, for `Retry-After`. */
  retryAfterSeconds(state: BacklogState): number;
}

export interface BacklogGateOptions {
  temporal: Client;
  ttlMs?: number;
  maxEntries?: number;
}

function isBacklogState(value: unknown): value is BacklogState {
  return typeof value === 'object' && value !== null && typeof (value as BacklogState).full === 'boolean';
}

export function createBacklogGate(options: BacklogGateOptions): BacklogGate {
  const ttlMs = options.ttlMs ?? 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { at: number; state: BacklogState | undefined }>();

  async function describe(workflowId: string): Promise<BacklogState | undefined> {
    try {
      const description = await options.temporal.workflow.getHandle(workflowId).describe();
      if (description.status.name !== 'RUNNING') return undefined;
      const memo = description.memo?.backlog;
      return isBacklogState(memo) && memo.full ? memo : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      // Temporal unreachable: the signal that follows fails and says so; this check does not decide it.
      return undefined;
    }
  }

  return {
    async read(workflowId) {
      const now = Date.now();
      const hit = cache.get(workflowId);
      if (hit && now - hit.at < ttlMs) return hit.state;
      const state = await describe(workflowId);
      cache.delete(workflowId);
      cache.set(workflowId, { at: now, state });
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      return state;
    },
    retryAfterSeconds: (state) => backlogRetryAfterSeconds(state, Date.now()),
  };
}
