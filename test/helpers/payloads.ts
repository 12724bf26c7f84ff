/**
 * What a workflow's history says about the payloads Parley handed Temporal: the largest signal, activity input and
 * continue-as-new input (bytes of the payloads' data as stored), and whether any workflow task failed.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface PayloadFigures {
  signal: number;
  /** The largest signal of each name. */
  signals: Record<string, number>;
  activityInput: number;
  continueAsNewInput: number;
  workflowTaskFailures: number;
  /**
   * Completions the server turned down because a signal arrived meanwhile (`UnhandledCommand`): Temporal's normal
   * answer to a continue-as-new racing a signal; the worker takes the new signal and completes again.
   */
  unhandledCommands: number;
  /** The failures' messages, when there were any (e.g. TMPRL1103 for a payload over the limit). */
  failures: string[];
}

function size(payloads: temporal.api.common.v1.IPayloads | null | undefined): number {
  let bytes = 0;
  for (const p of payloads?.payloads ?? []) {
    bytes += p.data?.length ?? 0;
    for (const value of Object.values(p.metadata ?? {})) bytes += value?.length ?? 0;
  }
  return bytes;
}

export function payloadFigures(history: temporal.api.history.v1.IHistory): PayloadFigures {
  const figures: PayloadFigures = {
    signal: 0,
    signals: {},
    activityInput: 0,
    continueAsNewInput: 0,
    workflowTaskFailures: 0,
    unhandledCommands: 0,
    failures: [],
  };
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal) {
      const bytes = size(signal.input);
      figures.signal = Math.max(figures.signal, bytes);
      const name = signal.signalName ?? '';
      figures.signals[name] = Math.max(figures.signals[name] ?? 0, bytes);
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) figures.activityInput = Math.max(figures.activityInput, size(scheduled.input));
    const continued = event.workflowExecutionContinuedAsNewEventAttributes;
    if (continued) figures.continueAsNewInput = Math.max(figures.continueAsNewInput, size(continued.input));
    const failed = event.workflowTaskFailedEventAttributes;
    if (failed?.failure?.message === 'UnhandledCommand') figures.unhandledCommands++;
    else if (failed) {
      figures.workflowTaskFailures++;
      if (figures.failures.length < 3) figures.failures.push(failed.failure?.message ?? String(failed.cause));
    }
  }
  return figures;
}

/** A run's history in small pages: a page of 100 big events passes gRPC's default 4 MB message size. */
export async function historyOf(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<temporal.api.history.v1.IHistory> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId ? { runId } : {}) },
      maximumPageSize: 10,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    if (!page.nextPageToken || page.nextPageToken.length === 0) break;
    nextPageToken = page.nextPageToken;
  }
  return { events };
}

/** The figures over every run of a workflow id (newest first in visibility; all of them counted). */
export async function payloadFiguresOf(client: Client, workflowId: string, runIds: string[]): Promise<PayloadFigures> {
  const total: PayloadFigures = {
    signal: 0,
    signals: {},
    activityInput: 0,
    continueAsNewInput: 0,
    workflowTaskFailures: 0,
    unhandledCommands: 0,
    failures: [],
  };
  for (const runId of runIds) {
    const f = payloadFigures(await historyOf(client, workflowId, runId));
    total.signal = Math.max(total.signal, f.signal);
    for (const [name, bytes] of Object.entries(f.signals))
      total.signals[name] = Math.max(total.signals[name] ?? 0, bytes);
    total.activityInput = Math.max(total.activityInput, f.activityInput);
    total.continueAsNewInput = Math.max(total.continueAsNewInput, f.continueAsNewInput);
    total.workflowTaskFailures += f.workflowTaskFailures;
    total.unhandledCommands += f.unhandledCommands;
    total.failures.push(...f.failures);
  }
  return total;
}

export function kB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

/**
 * Every run of a workflow id, first to current, by following continue-as-new from the first run (no visibility:
 * a closed run may show there only later).
 */
export async function runChain(client: Client, workflowId: string): Promise<string[]> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  let runId: string | undefined =
    raw.workflowExecutionInfo?.firstRunId ?? raw.workflowExecutionInfo?.execution?.runId ?? undefined;
  const runs: string[] = [];
  while (runId && runs.length < 1000) {
    runs.push(runId);
    const last = (await historyOf(client, workflowId, runId)).events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}
