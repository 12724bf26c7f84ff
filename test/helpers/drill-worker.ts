/**
 * A Parley worker as its own process (`node --import tsx workers/worker.ts`, the production shape), so a drill can
 * SIGKILL it and the bench can read its RSS and profile it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, portInUse } from './ports';

const root = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Parley's worker metrics; the SDK's are on the next port. */
  metricsPort: number;
  output: () => string;
  /** Resolves at the "worker running" log line; rejects if the process exits first. */
  ready: Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then waits for the exit. */
  stop(): Promise<void>;
}

/** A free port whose next port is free too: the worker serves metrics on it and the SDK's on the next one. */
async function freeMetricsPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && !(await portInUse(port + 1))) return port;
  }
}

export async function startWorkerProcess(options: {
  cwd: string;
  temporalAddress: string;
  taskQueue: string;
  configPath: string;
  /** Prebuilt workflow bundle; without it the worker bundles at start. */
  bundlePath?: string;
  metricsPort?: number;
  env?: Record<string, string>;
  nodeArgs?: string[];
}): Promise<WorkerProcess> {
  const metricsPort = options.metricsPort ?? (await freeMetricsPort());
  const tsxLoader = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  // `node --import tsx`, not the tsx launcher, so the pid signalled is the worker itself.
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', tsxLoader, path.join(root, 'workers', 'worker.ts')],
    {
      cwd: options.cwd,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: options.temporalAddress,
        PARLEY_TASK_QUEUE: options.taskQueue,
        PARLEY_CONFIG: options.configPath,
        PARLEY_WORKFLOW_BUNDLE: options.bundlePath ?? '',
        LOG_LEVEL: 'info',
        PARLEY_WORKER_METRICS_PORT: String(metricsPort),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out = (out + d.toString()).slice(-20_000);
      if (out.includes('worker running')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${signal ?? code}):\n${out}`)));
  });
  // A kill before "ready" must not surface as an unhandled rejection.
  ready.catch(() => undefined);
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    child,
    metricsPort,
    output: () => out,
    ready,
    exited,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}
