/**
 * The production shape run for real (issue 22): compose's Temporal server on PostgreSQL 16 (bench/production-stack.ts
 * sets both up under .parley/production/, idempotently), Parley's workers and two API processes behind one port
 * (bench/round-robin-proxy.ts), the sink as the integration.
 *
 *   npm run bench:production    end-to-end throughput: the dev server with one worker, production with one, with two
 *   npm run drills:production   kill -9 of one worker and one API mid-run: sent / delivered / lost / duplicated / order
 *
 * Sizes: PROD_CONVERSATIONS (200), PROD_MESSAGES (2000) for the bench; PROD_DRILL_CONVERSATIONS (20) ×
 * PROD_DRILL_MESSAGES (30) for the drill.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { conversationWorkflowId } from '../common/ids';
import { postUntilAccepted, reportDrill, tallyDrill } from '../test/helpers/drill';
import { startWorkerProcess, type WorkerProcess } from '../test/helpers/drill-worker';
import { freePort } from '../test/helpers/ports';
import { waitFor } from '../test/helpers/wait';
import { startDevServer } from '../workers/dev-server';
import { findOrInstallTemporalCli } from '../workers/temporal-cli';
import { cpuSeconds, log, pool, root, spawnNode, type Child } from './harness';
import { ensureProduction, HISTORY_SHARDS, TEMPORAL_SERVER_VERSION, type Production } from './production-stack';
import { envNumber, machine, num, printTable } from './report';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy';
import { startTimedSink, type TimedSink } from './timed-sink';

interface Deployment {
  apiUrl: string;
  workers: WorkerProcess[];
  apis: Child[];
  proxy: RoundRobinProxy;
  stop(): Promise<void>;
}

/** `workers` worker processes and two API processes behind one port, on a task queue of their own. */
async function deploy(
  dir: string,
  temporalAddress: string,
  bundlePath: string,
  sink: TimedSink,
  key: string,
  workers: number,
): Promise<Deployment> {
  const configPath = path.join(dir, `parley-${randomUUID()}.json`);
  fs.writeFileSync(configPath, JSON.stringify({ apps: [{ id: 'prod', apiKeys: [key], sink: { url: sink.url } }] }));
  const taskQueue = `prod-${randomUUID().slice(0, 8)}`;
  const started: WorkerProcess[] = [];
  for (let i = 0; i < workers; i++) {
    const w = await startWorkerProcess({ cwd: dir, temporalAddress, taskQueue, configPath, bundlePath });
    started.push(w);
  }
  await Promise.all(started.map((w) => w.ready));
  const ports = [await freePort(), await freePort()];
  const apis = await Promise.all(
    ports.map((port) =>
      spawnNode(
        path.join(root, 'workers', 'api.ts'),
        {
          TEMPORAL_ADDRESS: temporalAddress,
          PARLEY_TASK_QUEUE: taskQueue,
          PARLEY_CONFIG: configPath,
          PORT: String(port),
        },
        'api listening',
      ),
    ),
  );
  const proxy = await startRoundRobinProxy(ports.map((port) => ({ host: '127.0.0.1', port })));
  const apiUrl = `http://127.0.0.1:${proxy.port}`;
  await waitFor(async () => (await fetch(`${apiUrl}/readyz`)).status === 200, { what: 'the APIs ready' });
  return {
    apiUrl,
    workers: started,
    apis,
    proxy,
    async stop() {
      await proxy.close();
      await Promise.all(apis.map((a) => a.stop()));
      await Promise.all(started.map((w) => w.stop()));
    },
  };
}

/** CPU seconds of every process run by the `postgres` user (the postmaster and its backends). */
function postgresCpu(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^Uid:\s+101\s/m.test(status)) continue;
      total += cpuSeconds(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

async function bundle(dir: string): Promise<string> {
  const code = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const file = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(file, code.code);
  return file;
}

/** Sends `total` messages over `conversations` (each conversation in order) and waits for all at the sink. */
async function endToEnd(
  d: Deployment,
  sink: TimedSink,
  key: string,
  prefix: string,
  conversations: number,
  total: number,
) {
  const t0 = Date.now();
  const per = Math.ceil(total / conversations);
  await pool(conversations, 32, async (c) => {
    for (let i = 0; i < per; i++) {
      const text = `${prefix} ${c} ${i}`;
      await postUntilAccepted(d.apiUrl, key, `/v1/apps/prod/users/${prefix}-${c}/messages`, {
        text,
        id: `${prefix}-${c}-${i}`,
      });
    }
  });
  const accepted = Date.now();
  await waitFor(() => sink.count(`${prefix} `) >= per * conversations, {
    timeoutMs: 1_800_000,
    intervalMs: 250,
    what: `${prefix}: every message at the sink`,
  });
  const last = Date.now();
  return {
    ingest: (per * conversations) / ((accepted - t0) / 1000),
    delivered: (per * conversations) / ((last - t0) / 1000),
  };
}

async function bench(prod: Production, dir: string, bundlePath: string): Promise<void> {
  const conversations = envNumber('PROD_CONVERSATIONS', 200);
  const messages = envNumber('PROD_MESSAGES', 2000);
  const key = `bench_${randomUUID().replace(/-/g, '')}`;
  const sink = await startTimedSink();
  const cli = await findOrInstallTemporalCli(path.join(root, '.parley'), log);
  const dev = await startDevServer({
    cli,
    home: path.join(dir, 'dev'),
    port: await freePort(),
    uiPort: await freePort(),
    persist: true,
    log,
  });
  const rows: (string | number)[][] = [];
  try {
    const runs = [
      { label: `dev server (SQLite file), 1 worker`, address: dev.address, pid: dev.pid, workers: 1 },
      {
        label: `Temporal ${TEMPORAL_SERVER_VERSION} on PostgreSQL 16, 1 worker`,
        address: prod.temporalAddress,
        pid: prod.temporalPid,
        workers: 1,
      },
      {
        label: `Temporal ${TEMPORAL_SERVER_VERSION} on PostgreSQL 16, 2 workers`,
        address: prod.temporalAddress,
        pid: prod.temporalPid,
        workers: 2,
      },
    ];
    for (const [n, run] of runs.entries()) {
      process.stderr.write(`  production bench: ${run.label}\n`);
      const d = await deploy(dir, run.address, bundlePath, sink, key, run.workers);
      try {
        // Warm-up: every conversation open, so the run measures messages.
        await endToEnd(d, sink, key, `warm${n}`, conversations, conversations);
        const cpu0 = {
          server: cpuSeconds(run.pid),
          pg: postgresCpu(),
          workers: d.workers.map((w) => cpuSeconds(w.child.pid)),
        };
        const r = await endToEnd(d, sink, key, `run${n}`, conversations, messages);
        const per1000 = (a: number, b: number) => num((1000 * (a - b)) / messages, 1);
        const workerCpu = d.workers.reduce((s, w, i) => s + cpuSeconds(w.child.pid) - (cpu0.workers[i] ?? 0), 0);
        rows.push([
          run.label,
          num(r.ingest, 1),
          num(r.delivered, 1),
          per1000(cpuSeconds(run.pid), cpu0.server),
          n === 0 ? '–' : per1000(postgresCpu(), cpu0.pg),
          num((1000 * workerCpu) / messages, 1),
          `${d.proxy.counts().join(' / ')}`,
        ]);
      } finally {
        await d.stop();
      }
    }
  } finally {
    await dev.stop();
    await sink.close();
  }
  printTable(
    'Production shape: end to end through two APIs behind one port',
    {
      conversations,
      messages,
      clients: 32,
      historyShards: HISTORY_SHARDS,
      dynamicConfig: 'deploy/temporal/dynamicconfig.yaml',
      load: os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / '),
    },
    [
      'Temporal',
      'accepted per second',
      'delivered per second, end to end',
      'Temporal CPU s / 1,000 msgs',
      'PostgreSQL CPU s / 1,000 msgs',
      'workers CPU s / 1,000 msgs',
      'connections per API',
    ],
    rows,
    ['Each client posts its conversation in order (the same idempotency key until 202); the machine is shared.'],
  );
}

async function drill(prod: Production, dir: string, bundlePath: string): Promise<void> {
  const conversations = envNumber('PROD_DRILL_CONVERSATIONS', 20);
  const per = envNumber('PROD_DRILL_MESSAGES', 30);
  const key = `bench_${randomUUID().replace(/-/g, '')}`;
  const sink = await startTimedSink({ latencyMs: 50 });
  const d = await deploy(dir, prod.temporalAddress, bundlePath, sink, key, 2);
  const startedAt = Date.now();
  const sent: Record<string, string[]> = {};
  let posted = 0;
  let failedAttempts = 0;
  const total = conversations * per;
  const killed: string[] = [];
  try {
    const sending = pool(conversations, conversations, async (c) => {
      const user = `kill-${c}`;
      for (let i = 0; i < per; i++) {
        const text = `kill ${c} ${i}`;
        (sent[user] ??= []).push(text);
        failedAttempts += await postUntilAccepted(
          d.apiUrl,
          key,
          `/v1/apps/prod/users/${user}/messages`,
          {
            text,
            id: `kill-${c}-${i}`,
          },
          { timeoutMs: 300_000 },
        );
        posted++;
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await waitFor(() => posted >= total / 3, { timeoutMs: 600_000, what: 'a third posted' });
    await d.workers[0]?.kill();
    killed.push(`worker 1 (SIGKILL) at ${posted} posted, ${sink.count('kill ')} delivered`);
    await waitFor(() => posted >= total / 2, { timeoutMs: 600_000, what: 'half posted' });
    d.apis[0]?.child.kill('SIGKILL');
    killed.push(`API 1 (SIGKILL) at ${posted} posted, ${sink.count('kill ')} delivered`);
    await sending;
    await waitFor(() => sink.count('kill ') >= total, { timeoutMs: 600_000, intervalMs: 250, what: 'all delivered' });
    const received: Record<string, string[]> = {};
    for (const user of Object.keys(sent)) received[user] = sink.texts(conversationWorkflowId('prod', user));
    const tally = tallyDrill('production-kill', sent, received, sink.duplicates());
    reportDrill(
      tally,
      startedAt,
      `two workers and two APIs on Temporal ${TEMPORAL_SERVER_VERSION} + PostgreSQL 16; killed ${killed.join(', then ')}; ` +
        `POST attempts that failed and were retried with the same id ${failedAttempts}; connections per API ${d.proxy.counts().join(' / ')}`,
    );
    if (tally.lost || tally.duplicated || tally.outOfOrder || tally.delivered !== tally.sent) process.exitCode = 1;
  } finally {
    await d.stop();
    await sink.close();
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'bench';
  if (mode !== 'bench' && mode !== 'drill') throw new Error(`unknown mode ${mode}: bench or drill`);
  process.stdout.write(`## Parley, production shape (${mode})\n\nMachine: ${machine()}.\n\n`);
  const prod = await ensureProduction();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-prod-'));
  try {
    const bundlePath = await bundle(dir);
    if (mode === 'bench') await bench(prod, dir, bundlePath);
    else await drill(prod, dir, bundlePath);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(
      `production ${process.argv[2] ?? 'bench'} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
