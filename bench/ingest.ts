/**
 * Figures 1, 2 and 5: the baseline (raw signalWithStart of a trivial workflow), the API's ingest rate and latency
 * over 1…10 000 conversations with its ratio to the baseline, and the worker's memory with 10 000 open
 * conversations and after they go idle.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { startTestSink } from '../test/emulators/test-sink';
import { waitFor } from '../test/helpers/wait';
import { cpuSeconds, pool, postJson, root, rssMiB, spawnNode, startStack, type Harness } from './harness';
import { envList, envNumber, latencies, ms, num, printTable, workerSettings, type Latency } from './report';
import { pingSignal, trivial } from './trivial-workflow';

export interface Run {
  conversations: number;
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  latency: Latency;
}

function sizes() {
  return {
    conversations: envList('BENCH_CONVERSATIONS', [1, 100, 2000]),
    messages: envNumber('BENCH_MESSAGES', 2000),
    concurrency: envNumber('BENCH_CONCURRENCY', 32),
  };
}

/** Drives `job` `total` times at `concurrency`, timing each call. */
async function drive(
  conversations: number,
  total: number,
  concurrency: number,
  job: (i: number) => Promise<boolean>,
): Promise<Run> {
  const times: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await pool(total, concurrency, async (i) => {
    const started = performance.now();
    const ok = await job(i).catch(() => false);
    times.push(performance.now() - started);
    if (!ok) errors++;
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    conversations,
    requests: total,
    errors,
    seconds,
    perSecond: (total - errors) / seconds,
    latency: latencies(times),
  };
}

export async function baseline(h: Harness): Promise<Run[]> {
  const { conversations, messages, concurrency } = sizes();
  const taskQueue = 'bench-baseline';
  const worker = await spawnNode(
    path.join(root, 'bench', 'trivial-worker.ts'),
    { TEMPORAL_ADDRESS: h.server.address, BENCH_TASK_QUEUE: taskQueue },
    'worker running',
  );
  const runs: Run[] = [];
  try {
    for (const m of conversations) {
      const total = Math.max(messages, m);
      runs.push(
        await drive(m, total, concurrency, async (i) => {
          await h.client.workflow.signalWithStart(trivial, {
            workflowId: `baseline-${m}-${i % m}`,
            taskQueue,
            args: [],
            signal: pingSignal,
            signalArgs: [i],
          });
          return true;
        }),
      );
    }
  } finally {
    await worker.stop();
  }
  printTable(
    '1. Baseline: raw Temporal signalWithStart of a trivial workflow',
    { concurrency, messagesPerRun: `max(${messages}, conversations)`, client: '@temporalio/client, one connection' },
    ['conversations', 'signalWithStart', 'per second', 'p50', 'p95', 'p99', 'errors'],
    runs.map((r) => [
      num(r.conversations),
      num(r.requests),
      num(r.perSecond),
      ms(r.latency.p50),
      ms(r.latency.p95),
      ms(r.latency.p99),
      r.errors,
    ]),
    ['The same dev server, the same run; a worker process runs the trivial workflow meanwhile.'],
  );
  return runs;
}

async function metricsText(port: number): Promise<string> {
  try {
    return await (await fetch(`http://127.0.0.1:${port + 1}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  } catch {
    return '';
  }
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name) && !l.startsWith('#'));
  return line ? Number(line.trim().split(/\s+/).pop()) : NaN;
}

export async function ingestAndMemory(h: Harness, base: Run[] | undefined): Promise<void> {
  const { conversations, messages, concurrency } = sizes();
  const sink = await startTestSink();
  const key = `bench_${randomUUID().replace(/-/g, '')}`;
  const stack = await startStack(h, 'ingest', { apps: [{ id: 'bench', apiKeys: [key], test: { url: sink.url } }] });
  const runs: Run[] = [];
  const memory: (string | number)[][] = [];
  try {
    for (const m of conversations) {
      const total = Math.max(messages, m);
      const user = (i: number) => `m${m}-${i % m}`;
      runs.push(
        await drive(m, total, concurrency, async (i) => {
          const res = await postJson(`${stack.apiUrl}/v1/apps/bench/users/${user(i)}/messages`, key, {
            text: `message ${i}`,
          });
          return res.status === 202;
        }),
      );
      if (m < 1000) continue;
      // Figure 5: the worker once every conversation of this run is open and has delivered its messages.
      const ids = Array.from({ length: m }, (_, i) => conversationWorkflowId('bench', user(i)));
      const delivered = () => ids.reduce((n, id) => n + sink.items(id).length, 0);
      const t0 = Date.now();
      await waitFor(() => delivered() >= total, {
        timeoutMs: 600_000,
        intervalMs: 500,
        what: 'every message delivered',
      });
      const drainSeconds = (Date.now() - t0) / 1000;
      const pid = stack.worker.child.pid;
      const open = rssMiB(pid);
      const cached = metricValue(await metricsText(stack.worker.metricsPort), 'temporal_sticky_cache_size');
      // Idle: the worker has used less than 2 % of a core for 5 s in a row.
      let quietSince = Date.now();
      let lastCpu = cpuSeconds(pid);
      const idleT0 = Date.now();
      await waitFor(
        () => {
          const cpu = cpuSeconds(pid);
          if (cpu - lastCpu > 0.02) quietSince = Date.now();
          lastCpu = cpu;
          return Date.now() - quietSince >= 5000;
        },
        { timeoutMs: 300_000, intervalMs: 1000, what: 'the worker idle' },
      );
      const idle = rssMiB(pid);
      memory.push([
        num(m),
        `${num(open)} MiB`,
        num(cached),
        `${num(idle)} MiB`,
        `${num(drainSeconds, 1)} s`,
        `${num((Date.now() - idleT0) / 1000, 0)} s`,
      ]);
    }
  } finally {
    await stack.stop();
    await sink.close();
  }
  printTable(
    '2. Ingest: POST …/messages accepted by the API',
    { concurrency, messagesPerRun: `max(${messages}, conversations)`, integration: 'test sink', ...workerSettings() },
    ['conversations', 'requests', 'accepted per second', 'p50', 'p95', 'p99', 'errors', 'ratio to baseline'],
    runs.map((r) => {
      const b = base?.find((x) => x.conversations === r.conversations);
      return [
        num(r.conversations),
        num(r.requests),
        num(r.perSecond),
        ms(r.latency.p50),
        ms(r.latency.p95),
        ms(r.latency.p99),
        r.errors,
        b ? `${num((100 * r.perSecond) / b.perSecond)} %` : '–',
      ];
    }),
    ['API and worker are separate processes (as `npm run api` / `npm run worker`); the load comes over HTTP.'],
  );
  if (memory.length) {
    printTable(
      '5. Memory: worker RSS with many open conversations',
      { ...workerSettings() },
      ['conversations', 'RSS, all open', 'workflows in sticky cache', 'RSS, idle', 'time to deliver all', 'idle after'],
      memory,
      ['"Idle": the worker used under 2 % of a core for 5 s in a row.'],
    );
  }
}
