/** A workflow id's continue-as-new chain, read from Temporal. */
import type { Client } from '@temporalio/client';

/** Every run of the workflow id, newest first (visibility). */
export async function runIdsOf(client: Client, workflowId: string): Promise<string[]> {
  const runIds: string[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runIds.push(info.runId);
  return runIds;
}

/** The event count of every run's history. */
export async function runsOf(client: Client, workflowId: string): Promise<number[]> {
  const counts: number[] = [];
  for (const runId of await runIdsOf(client, workflowId)) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    counts.push(history.events?.length ?? 0);
  }
  return counts;
}
