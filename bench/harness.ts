/**
 * The bench's moving parts, all real: one Temporal dev server for the run, the workflow bundle built once, Parley's
 * worker and API as their own processes (the production shape, so each one's RSS and CPU profile is its own), and
 * a keep-alive HTTP client that measures every request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../common/logger';
import { startDevServer, type DevServer } from '../workers/dev-server';
import { findOrInstallTemporalCli, type TemporalCli } from '../workers/temporal-cli';
import { startWorkerProcess, type WorkerProcess } from '../test/helpers/drill-worker';
import { freePort } from '../test/helpers/ports';
import { waitFor } from '../test/helpers/wait';

export const root = path.resolve(__dirname, '..');
export const tsxLoader = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
export const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', name: 'bench' });

export interface Harness {
  cli: TemporalCli;
  server: DevServer;
  client: Client;
  bundlePath: string;
  dir: string;
  /** Extra node flags for the worker and API processes (`--cpu-prof` when profiling). */
  nodeArgs: string[];
  profileDir?: string;
  close(): Promise<void>;
}

/** `BENCH_DYNAMIC_CONFIG="system.enableActivityEagerExecution=true,…"`: dynamic config for the bench's dev server. */
export function dynamicConfigFromEnv(raw: string | undefined): Record<string, string | number | boolean> {
  const values: Record<string, string | number | boolean> = {};
  for (const pair of (raw ?? '').split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i < 1) throw new Error(`BENCH_DYNAMIC_CONFIG: "${pair}" is not key=value`);
    const value = pair.slice(i + 1);
    values[pair.slice(0, i)] =
      value === 'true' ? true : value === 'false' ? false : Number.isNaN(Number(value)) ? value : Number(value);
  }
  return values;
}

export async function startHarness(): Promise<Harness> {
  const cli = await findOrInstallTemporalCli(path.join(root, '.parley'), log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  // In memory unless asked: the figures measure Parley, not SQLite's fsyncs (BENCH_PERSIST=1 for SQLite).
  const server = await startDevServer({
    cli,
    home: dir,
    port: await freePort(),
    uiPort: await freePort(),
    persist: process.env.BENCH_PERSIST === '1',
    dynamicConfig: dynamicConfigFromEnv(process.env.BENCH_DYNAMIC_CONFIG),
    log,
  });
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const profileDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  return {
    cli,
    server,
    client,
    bundlePath,
    dir,
    nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
    ...(profileDir ? { profileDir } : {}),
    async close() {
      await connection.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A child process that logs a line when it is ready (the API and the baseline's worker). */
export interface Child {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export function spawnNode(
  script: string,
  env: Record<string, string>,
  readyText: string,
  nodeArgs: string[] = [],
): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', tsxLoader, script], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out = (out + d.toString()).slice(-20_000);
      if (out.includes(readyText))
        resolve({
          child,
          output: () => out,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${script} exited (${signal ?? code}):\n${out}`)));
  });
}

/**
 * The benches measure what Parley can carry, not its client rate limits (`apps[].limits`): each app without limits of
 * its own gets ones it never reaches.
 */
function withoutRateLimits(config: unknown): unknown {
  const apps = (config as { apps?: unknown[] }).apps;
  if (!Array.isArray(apps)) return config;
  const none = {
    messagesPerSecond: 1e6,
    burst: 1e6,
    newConversationsPerMinute: 1e6,
    perUser: { messagesPerSecond: 1e6, burst: 1e6 },
  };
  return {
    ...(config as object),
    apps: apps.map((app) => (app && typeof app === 'object' && !('limits' in app) ? { ...app, limits: none } : app)),
  };
}

/** Parley as deployed: a worker process and an API process on their own task queue, with this config. */
export interface Stack {
  apiUrl: string;
  taskQueue: string;
  worker: WorkerProcess;
  api: Child;
  /** Worker start (spawn → "worker running"), ms. */
  workerStartMs: number;
  stop(): Promise<void>;
}

export async function startStack(h: Harness, name: string, config: unknown): Promise<Stack> {
  const configPath = path.join(h.dir, `${name}.config.json`);
  fs.writeFileSync(configPath, JSON.stringify(withoutRateLimits(config)));
  const taskQueue = `bench-${name}`;
  const t0 = Date.now();
  const worker = await startWorkerProcess({
    cwd: h.dir,
    temporalAddress: h.server.address,
    taskQueue,
    configPath,
    bundlePath: h.bundlePath,
    nodeArgs: h.nodeArgs,
  });
  try {
    await worker.ready;
  } catch (err) {
    await worker.kill();
    throw err;
  }
  const workerStartMs = Date.now() - t0;
  const port = await freePort();
  const api = await spawnNode(
    path.join(root, 'workers', 'api.ts'),
    {
      TEMPORAL_ADDRESS: h.server.address,
      PARLEY_TASK_QUEUE: taskQueue,
      PARLEY_CONFIG: configPath,
      PORT: String(port),
      LOG_LEVEL: 'info',
    },
    'api listening',
    h.nodeArgs,
  );
  const apiUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${apiUrl}/readyz`)).status === 200, { what: 'the API ready' });
  return {
    apiUrl,
    taskQueue,
    worker,
    api,
    workerStartMs,
    async stop() {
      await api.stop();
      await worker.stop();
    },
  };
}

/** Resident set size of a process, in MiB (Linux). */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU seconds (user + system) a process has used so far (Linux). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  // utime and stime: the 14th and 15th fields of /proc/<pid>/stat (12th and 13th after the command name), in clock
  // ticks of 1/100 s on Linux.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

/** One POST with JSON, through a keep-alive agent; resolves with the status and the time it took. */
export function postJson(url: string, key: string, body: unknown): Promise<{ status: number; ms: number }> {
  const data = JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Runs `total` jobs with at most `concurrency` at once. */
export async function pool(total: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await job(next++);
    }),
  );
}
