import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import type { ReadinessCheck } from '../api/health';
import { missingSearchAttributes } from './search-attributes';

/**
 * Temporal reached, search attributes present, a worker running: this process's own worker, or (for an
 * API-only process) a worker polling the task queue.
 */
export function createReadiness(opts: { client: Client; namespace: string; taskQueue: string; worker?: Worker }) {
  return async (): Promise<ReadinessCheck> => {
    const { client, namespace, taskQueue, worker } = opts;
    const checks: ReadinessCheck['checks'] = {};
    const deadline = () => new Date(Date.now() + 3000);
    try {
      await client.connection.withDeadline(deadline(), () => client.workflowService.getSystemInfo({}));
      checks.temporal = { ok: true };
    } catch (err) {
      checks.temporal = { ok: false, detail: (err as Error).message };
    }
    if (checks.temporal.ok) {
      try {
        const missing = await client.connection.withDeadline(deadline(), () =>
          missingSearchAttributes(client.connection, namespace),
        );
        checks.searchAttributes =
          missing.length === 0 ? { ok: true } : { ok: false, detail: `missing: ${missing.join(', ')}` };
      } catch (err) {
        checks.searchAttributes = { ok: false, detail: (err as Error).message };
      }
    } else {
      checks.searchAttributes = { ok: false, detail: 'Temporal not reached' };
    }
    if (worker) {
      const state = worker.getState();
      checks.worker = state === 'RUNNING' ? { ok: true } : { ok: false, detail: state };
    } else if (checks.temporal.ok) {
      try {
        const res = await client.connection.withDeadline(deadline(), () =>
          client.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: taskQueue },
            taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          }),
        );
        const pollers = res.pollers?.length ?? 0;
        checks.worker =
          pollers > 0
            ? { ok: true, detail: `${pollers} poller(s)` }
            : { ok: false, detail: `no worker polls ${taskQueue}` };
      } catch (err) {
        checks.worker = { ok: false, detail: (err as Error).message };
      }
    } else {
      checks.worker = { ok: false, detail: 'Temporal not reached' };
    }
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}
