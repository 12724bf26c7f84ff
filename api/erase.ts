/**
 * `DELETE /v1/apps/{appId}/users/{userId}`'s work with Temporal: the `eraseUser` update, then, once the erased run
 * has closed, the deletion of its history and of every run it continued from (`DeleteWorkflowExecution`): those
 * histories hold everything the user said. The runs are found by walking the chain back through each run's start
 * event (`continuedExecutionRunId`), never by a visibility query, so a fresh conversation of the same user (the
 * same workflow id) is never touched.
 */
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import type { ErasureReport } from '../common/erasure';
import type { Logger } from '../common/logger';
import { eraseUserUpdate, type EraseUserRequest } from '../workflows/definitions';
import { HttpError } from './errors';

/** gRPC's NOT_FOUND. */
const NOT_FOUND = 5;

export interface HistoryDeletion {
  /** Whether the erased run's history (and its chain's) was deleted. */
  deleted: boolean;
  /** How many runs' histories were deleted. */
  runs: number;
}

export type EraseOutcome =
  { kind: 'erased'; report: ErasureReport; history: HistoryDeletion } | { kind: 'erasing' } | { kind: 'not_found' };

export interface EraseDeps {
  temporal: Client;
  log?: Logger;
  /** How long the API waits for the erasure before answering 202 (it goes on, and deletes the history, after). */
  waitMs: number;
  /** How long it waits for the erased run to close before deleting its history. */
  closeWaitMs?: number;
}

function notFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && Number(err.code) === NOT_FOUND);
}

function isReport(value: unknown): value is ErasureReport {
  const v = value as Partial<ErasureReport> | undefined;
  return typeof v === 'object' && v !== null && typeof v.runId === 'string' && Array.isArray(v.erased);
}

/** The run this one continued from (its start event says), or undefined for a first run or a history gone. */
async function previousRun(temporal: Client, workflowId: string, runId: string): Promise<string | undefined> {
  try {
    const page = await temporal.workflowService.getWorkflowExecutionHistory({
      namespace: temporal.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 1,
    });
    const started = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    return started?.continuedExecutionRunId || undefined;
  } catch (err) {
    // Gone already (Temporal's retention, or an earlier deletion): nothing further back to find.
    if (notFound(err)) return undefined;
    throw err;
  }
}

/** The run and every run it continued from, newest first, as far back as their histories exist. */
async function chainOf(temporal: Client, workflowId: string, runId: string): Promise<string[]> {
  const chain: string[] = [];
  let run: string | undefined = runId;
  while (run !== undefined && !chain.includes(run)) {
    chain.push(run);
    run = await previousRun(temporal, workflowId, run);
  }
  return chain;
}

async function waitClosed(temporal: Client, workflowId: string, runId: string, ms: number): Promise<boolean> {
  const handle = temporal.workflow.getHandle(workflowId, runId);
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return true;
    } catch (err) {
      if (notFound(err)) return true;
      throw err;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Deletes the erased run's history and those it continued from, once the run has closed (deleting a running one
 * would terminate it, and with it a fresh conversation it is about to continue into).
 */
export async function deleteErasedHistory(
  temporal: Client,
  workflowId: string,
  runId: string,
  closeWaitMs = 30_000,
): Promise<HistoryDeletion> {
  if (!(await waitClosed(temporal, workflowId, runId, closeWaitMs))) return { deleted: false, runs: 0 };
  const chain = await chainOf(temporal, workflowId, runId);
  let runs = 0;
  for (const run of chain) {
    try {
      await temporal.workflowService.deleteWorkflowExecution({
        namespace: temporal.options.namespace,
        workflowExecution: { workflowId, runId: run },
      });
      runs += 1;
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  return { deleted: true, runs };
}

/** The answer within `ms`, or `undefined` when it takes longer (the promise goes on). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** After a 202: the erasure goes on in the workflow; this process still deletes the history when it is done. */
async function finishLater(deps: EraseDeps, workflowId: string, result: Promise<ErasureReport>) {
  try {
    const report = await result;
    const history = await deleteErasedHistory(deps.temporal, workflowId, report.runId, deps.closeWaitMs);
    deps.log?.info({ workflowId, runs: history.runs }, 'erasure finished; history deleted');
  } catch (err) {
    // The next DELETE of the user finishes it (the closed run is found and deleted), else Temporal's retention.
    deps.log?.warn({ err, workflowId }, 'erasure: the history could not be deleted yet');
  }
}

/** The latest run has closed: an erasure whose history was not deleted yet (a 202, or an API that stopped). */
async function finishClosed(deps: EraseDeps, workflowId: string): Promise<EraseOutcome> {
  const { temporal } = deps;
  let description;
  try {
    description = await temporal.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (notFound(err)) return { kind: 'not_found' };
    throw err;
  }
  if (description.status.name === 'RUNNING')
    throw new HttpError(503, 'temporal_unavailable', 'the conversation changed while it was being erased; try again');
  const { runId } = description;
  const result: unknown =
    description.status.name === 'COMPLETED' ? await temporal.workflow.getHandle(workflowId, runId).result() : undefined;
  const history = await deleteErasedHistory(temporal, workflowId, runId, deps.closeWaitMs);
  const now = new Date().toISOString();
  const report: ErasureReport = isReport(result)
    ? result
    : {
        conversationId: workflowId,
        runId,
        requestedAt: now,
        completedAt: now,
        parley: { profile: false, messages: 0, queued: 0, totalMessages: 0 },
        erased: [],
        remains: [
          {
            system: 'parley',
            kind: 'conversation',
            detail:
              `the conversation had ended without an erasure (${description.status.name}): its Temporal history ` +
              'was deleted, but what it made in the vendors was not cleaned up',
          },
        ],
        webhooks: [],
      };
  return { kind: 'erased', report, history };
}

export async function eraseUser(deps: EraseDeps, workflowId: string, request: EraseUserRequest): Promise<EraseOutcome> {
  const { temporal } = deps;
  let update: WorkflowUpdateHandle<ErasureReport> | undefined;
  for (let attempt = 1; !update; attempt++) {
    try {
      update = await temporal.workflow
        .getHandle(workflowId)
        .startUpdate(eraseUserUpdate, { args: [request], waitForStage: WorkflowUpdateStage.ACCEPTED });
    } catch (err) {
      if (!notFound(err))
        throw new HttpError(503, 'temporal_unavailable', 'the erasure could not be started right now; try again', {
          cause: err,
        });
      // The run closed between the update and now, and another runs (continued as new, or a fresh conversation):
      // ask that one, once.
      if (attempt === 1 && (await isRunning(temporal, workflowId))) continue;
      return finishClosed(deps, workflowId);
    }
  }
  const result = update.result();
  const report = await within(result, deps.waitMs);
  if (report === undefined) {
    void finishLater(deps, workflowId, result);
    return { kind: 'erasing' };
  }
  const history = await deleteErasedHistory(temporal, workflowId, report.runId, deps.closeWaitMs);
  return { kind: 'erased', report, history };
}

async function isRunning(temporal: Client, workflowId: string): Promise<boolean> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}
