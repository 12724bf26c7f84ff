/** A workflow id's continue-as-new chain, read from Temporal: every run, with its history's event count. */
import type { Client } from '@temporalio/client';

export async function runsOf(client: Client, workflowId: string): Promise<number[]> {
  const runIds: string[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runIds.push(info.runId);
  const counts: number[] = [];
  for (const runId of runIds) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    counts.push(history.events?.length ?? 0);
  }
  return counts;
}
