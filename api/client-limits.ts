/**
 * The client API's rate limits (`apps[].limits`, api/rate-limit.ts) as its routes apply them: every write to a
 * conversation (a message, a profile, an archive) draws from the app's and the user's buckets, and one that would
 * start a conversation also from the app's new-conversation bucket. Over a limit: `429 rate_limited` with
 * `Retry-After`; every answer carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` of the tightest bucket.
 */
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Response } from 'express';
import type { AppConfig } from '../common/config';
import type { Metrics } from '../common/metrics';
import { HttpError } from './errors';
import { createRateLimiter, createRecentSet, type BucketCheck, type RateDecision } from './rate-limit';

const { WORKFLOW_EXECUTION_STATUS_RUNNING: RUNNING } = temporal.api.enums.v1.WorkflowExecutionStatus;
/** gRPC's NOT_FOUND: no such workflow. */
const GRPC_NOT_FOUND = 5;

export interface ClientLimitsDeps {
  temporal: Client;
  /** `server.apiReplicas`: this process enforces 1/n of each limit. */
  replicas: number;
  metrics?: Metrics;
  now?: () => number;
  /** Buckets kept per process (users beyond it are forgotten least-recent first, their buckets full again). */
  maxBuckets?: number;
}

export interface ClientLimits {
  /**
   * Admits one write to the conversation `workflowId` or throws the 429; `starts` says the write may start the
   * conversation (signalWithStart), so it counts as new unless this process knows it is running.
   */
  admit(res: Response, app: AppConfig, userId: string, workflowId: string, starts: boolean): Promise<void>;
  /** The conversation is running (it was just signalled or started): later writes are not new. */
  known(workflowId: string): void;
}

export function createClientLimits(deps: ClientLimitsDeps): ClientLimits {
  const limiter = createRateLimiter({ ...(deps.now ? { now: deps.now } : {}), maxBuckets: deps.maxBuckets ?? 10_000 });
  const running = createRecentSet(deps.maxBuckets ?? 10_000);
  const share = (n: number) => n / deps.replicas;
  const burstShare = (n: number) => Math.max(1, Math.ceil(n / deps.replicas));

  function checks(app: AppConfig, userId: string): BucketCheck[] {
    const { limits } = app;
    return [
      {
        key: `app:${app.id}`,
        scope: 'app',
        spec: { ratePerSecond: share(limits.messagesPerSecond), burst: burstShare(limits.burst) },
      },
      {
        key: `user:${app.id}:${userId}`,
        scope: 'user',
        spec: { ratePerSecond: share(limits.perUser.messagesPerSecond), burst: burstShare(limits.perUser.burst) },
      },
    ];
  }

  function newConversation(app: AppConfig): BucketCheck {
    const perMinute = app.limits.newConversationsPerMinute;
    return {
      key: `new:${app.id}`,
      scope: 'new_conversation',
      spec: { ratePerSecond: share(perMinute) / 60, burst: burstShare(perMinute) },
    };
  }

  function answer(res: Response, app: AppConfig, decision: RateDecision): void {
    res.set({
      'X-RateLimit-Limit': String(decision.limit),
      'X-RateLimit-Remaining': String(decision.remaining),
      'X-RateLimit-Reset': String(decision.resetSeconds),
    });
    if (decision.ok) return;
    deps.metrics?.rateLimited.inc({ app: app.id, scope: decision.scope });
    const what =
      decision.scope === 'new_conversation'
        ? `new conversations (limits.newConversationsPerMinute: ${app.limits.newConversationsPerMinute})`
        : decision.scope === 'user'
          ? `messages to this user (limits.perUser: ${app.limits.perUser.messagesPerSecond}/s, burst ${app.limits.perUser.burst})`
          : `messages of app ${app.id} (limits: ${app.limits.messagesPerSecond}/s, burst ${app.limits.burst})`;
    throw new HttpError(429, 'rate_limited', `too many ${what}; try again in ${decision.retryAfterSeconds} s`, {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  }

  /**
   * Is the conversation running? Asked once per conversation and process; a closed or missing one is new. The raw
   * describe: only the status is needed, so no memo is decoded (a memo sealed with keys this process lacks, or a
   * large one, costs nothing here).
   */
  async function isRunning(workflowId: string): Promise<boolean> {
    if (running.has(workflowId)) return true;
    try {
      const { workflowExecutionInfo } = await deps.temporal.workflowService.describeWorkflowExecution({
        namespace: deps.temporal.options.namespace,
        execution: { workflowId },
      });
      const yes = workflowExecutionInfo?.status === RUNNING;
      if (yes) running.add(workflowId);
      return yes;
    } catch (err) {
      // grpc-js types the code with its own enum (not a dependency of Parley's); NOT_FOUND is 5 there.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison
      if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return false;
      throw err;
    }
  }

  return {
    async admit(res, app, userId, workflowId, starts) {
      const base = checks(app, userId);
      // Refused by the app's or the user's bucket: answered before asking Temporal anything.
      const first = limiter.peek(base);
      if (!first.ok) answer(res, app, first);
      const all = starts && !(await isRunning(workflowId)) ? [...base, newConversation(app)] : base;
      answer(res, app, limiter.take(all));
    },
    known(workflowId) {
      running.add(workflowId);
    },
  };
}
