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
import { cpuSeconds, pool, postJson, root, rssMiB, spawnNode, startStack, type Harness, type Stack } from './harness';
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
    conversations: envList('BENCH_CONVERSATIONS', [1, 100, 10_000]),
    messages: envNumber('BENCH_MESSAGES', 2000),
    concurrency: envNumber('BENCH_CONCURRENCY', 32),
  };
}

/** A run's row: size, rate, latency percentiles and errors. */
function cells(r: Run): (string | number)[] {
  return [
    num(r.conversations),
    num(r.requests),
    num(r.perSecond),
    ms(r.latency.p50),
    ms(r.latency.p95),
    ms(r.latency.p99),
    r.errors,
  ];
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
    runs.map(cells),
    ['The same dev server, the same run; a worker process runs the trivial workflow meanwhile.'],
  );
  return runs;
}

/** How much of a core counts as idle: 2 %, or 10 % under the profiler (which alone costs a few %). */
const IDLE_CPU = process.env.BENCH_CPU_PROF ? 0.1 : 0.02;

/** CPU seconds used so far by the worker, the Temporal dev server and the API. */
function processCpu(h: Harness, stack: Stack): { worker: number; server: number; api: number } {
  return {
    worker: cpuSeconds(stack.worker.child.pid),
    server: cpuSeconds(h.server.pid),
    api: cpuSeconds(stack.api.child.pid),
  };
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
  const stack = await startStack(h, 'ingest', { apps: [{ id: 'bench', apiKeys: [key], sink: { url: sink.url } }] });
  const runs: Run[] = [];
  const memory: (string | number)[][] = [];
  try {
    for (const m of conversations) {
      const total = Math.max(messages, m);
      const user = (i: number) => `m${m}-${i % m}`;
      const cpu0 = processCpu(h, stack);
      const runT0 = Date.now();
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
      let lastReport = t0;
      const progress = (): boolean => {
        const n = delivered();
        if (Date.now() - lastReport >= 15_000) {
          lastReport = Date.now();
          const pid = stack.worker.child.pid;
          process.stderr.write(
            `  delivering: ${num(n)} of ${num(total)} after ${num((Date.now() - t0) / 1000)} s, worker ${num(rssMiB(pid))} MiB\n`,
          );
        }
        return n >= total;
      };
      await waitFor(progress, {
        timeoutMs: envNumber('BENCH_DRAIN_TIMEOUT_S', 1800) * 1000,
        intervalMs: 500,
        what: 'every message delivered',
      });
      const drainSeconds = (Date.now() - t0) / 1000;
      const endToEnd = total / ((Date.now() - runT0) / 1000);
      const cpu1 = processCpu(h, stack);
      const perThousand = (k: keyof typeof cpu0) => num((1000 * (cpu1[k] - cpu0[k])) / total, 1);
      const pid = stack.worker.child.pid;
      const open = rssMiB(pid);
      const cached = metricValue(await metricsText(stack.worker.metricsPort), 'temporal_sticky_cache_size');
      // Idle: the worker has used less than IDLE_CPU of a core for 5 s in a row (the profiler alone costs a few %).
      let quietSince = Date.now();
      let lastCpu = cpuSeconds(pid);
      const wentIdle = await waitFor(
        () => {
          const cpu = cpuSeconds(pid);
          if (cpu - lastCpu > IDLE_CPU) quietSince = Date.now();
          lastCpu = cpu;
          return Date.now() - quietSince >= 5000;
        },
        { timeoutMs: 300_000, intervalMs: 1000, what: 'the worker idle' },
      ).catch(() => false);
      const idle = rssMiB(pid);
      memory.push([
        num(m),
        `${num(open)} MiB`,
        num(cached),
        wentIdle ? `${num(idle)} MiB` : `${num(idle)} MiB (not idle in 300 s)`,
        `${num(drainSeconds, 1)} s`,
        num(endToEnd, 1),
        `${perThousand('worker')} / ${perThousand('server')} / ${perThousand('api')} s`,
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
      return [...cells(r), b ? `${num((100 * r.perSecond) / b.perSecond)} %` : '–'];
    }),
    ['API and worker are separate processes (as `npm run api` / `npm run worker`); the load comes over HTTP.'],
  );
  if (memory.length) {
    printTable(
      '5. Memory: worker RSS with many open conversations',
      { ...workerSettings() },
      [
        'conversations',
        'RSS, all open',
        'workflows in sticky cache',
        'RSS, idle',
        'delivering after the last POST',
        'delivered per second, end to end',
        'CPU per 1,000 messages: worker / Temporal / API',
      ],
      memory,
      [
        `"Idle": the worker used under ${num(IDLE_CPU * 100)} % of a core for 5 s in a row. "End to end": from the first POST`,
        'to the last message at the sink. CPU: user + system seconds of each process over the run.',
      ],
    );
  }
}
