import type { PayloadCodec } from '@temporalio/common';
import { Client } from '@temporalio/client';
import http from 'node:http';
import v8 from 'node:v8';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { dataConverterFor, encryptionSettings } from '../common/codec';
import { createActivities } from '../activities';
import { createLocalSendGate, defaultLocalSendLimit, DEFAULT_SLOW_LOCAL_SEND_MS } from '../activities/local-sends';
import type { FileStore } from '../integrations/files/store';
import { installationSealKeys, lazySealer, type Sealer } from '../common/seal';
import { type ParleyConfig, loadConfig } from '../common/config';
import { createMetrics, type Metrics } from '../common/metrics';
import { createLogger, type Logger } from '../common/logger';
import { installTemporalRuntime } from './runtime';
import { connectionOptions, temporalSettings } from './temporal-env';
import { ensureInboxes } from './inboxes';
import { runProcess } from './process';

export interface ParleyWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  config: ParleyConfig;
  /** A prebuilt workflow bundle (tests build it once); default: bundle `workflows/` now. */
  workflowBundle?: WorkflowBundleOption;
  /** Local first attempts run at once (activities/local-sends.ts); default: `localSendLimit()` from the environment. */
  maxLocalSends?: number;
  fetch?: typeof fetch;
  dataConverter?: { payloadCodecs: PayloadCodec[] };
  metrics?: Metrics;
  log?: Logger;
  /** The process's file store (one per process, shared with the API in `npm start`). */
  files?: FileStore;
  /** Seals Slack installation secrets; the same keys as the API's (common/seal.ts). */
  sealer?: Sealer;
}

/**
 * The sticky cache Parley keeps by default: 250 conversations per GiB of heap above 200 MiB (the SDK's 600 per GiB
 * held 2,310 conversations and 1,545 MiB RSS with Node's default 4 GiB heap and 10,000 open conversations; a cached
 * conversation costs about 0.25 MiB, a replay of one evicted a few ms, as its history is at most 2,048 events).
 * So a worker's memory follows its heap: `--max-old-space-size` (or a container limit) sets both.
 */
export function defaultCachedWorkflows(heapLimitMiB = v8.getHeapStatistics().heap_size_limit / 1024 / 1024): number {
  return Math.max(Math.floor((Math.max(heapLimitMiB - 200, 0) * 250) / 1024), 10);
}

/**
 * Worker tuning from the environment; each unset variable keeps the Temporal SDK's default (see
 * docs/operate/worker-tuning.md), except the sticky cache: PARLEY_WORKER_MAX_CACHED_WORKFLOWS (default
 * `defaultCachedWorkflows()`, 250 per GiB of heap above 200 MiB),
 * PARLEY_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (40), PARLEY_WORKER_MAX_CONCURRENT_WORKFLOW_POLLS (10),
 * PARLEY_WORKER_MAX_CONCURRENT_ACTIVITIES (100), PARLEY_WORKER_WORKFLOW_THREADS (1).
 */
export function workerTuning(env: NodeJS.ProcessEnv = process.env) {
  const int = (name: string): number | undefined => wholeNumber(env, name);
  const options = {
    maxCachedWorkflows: int('PARLEY_WORKER_MAX_CACHED_WORKFLOWS') ?? defaultCachedWorkflows(),
    maxConcurrentWorkflowTaskExecutions: int('PARLEY_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'),
    maxConcurrentWorkflowTaskPolls: int('PARLEY_WORKER_MAX_CONCURRENT_WORKFLOW_POLLS'),
    maxConcurrentActivityTaskExecutions: int('PARLEY_WORKER_MAX_CONCURRENT_ACTIVITIES'),
    workflowThreadPoolSize: int('PARLEY_WORKER_WORKFLOW_THREADS'),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<
    Record<keyof typeof options, number>
  >;
}

/** A worker setting from the environment: a whole number, or undefined when unset; anything else stops the worker. */
function wholeNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not "${raw}"`);
  return value;
}

/**
 * How many sends the worker runs as local first attempts at once (activities/local-sends.ts):
 * PARLEY_WORKER_MAX_LOCAL_SENDS, else half its workflow-task slots. 0 sends every message by the regular activity.
 */
export function localSendLimit(env: NodeJS.ProcessEnv = process.env): number {
  return (
    wholeNumber(env, 'PARLEY_WORKER_MAX_LOCAL_SENDS') ??
    defaultLocalSendLimit(workerTuning(env).maxConcurrentWorkflowTaskExecutions)
  );
}

/** PARLEY_WORKER_SLOW_LOCAL_SEND_MS: sends slower than this on average go by the regular activity (default 500). */
export function slowLocalSendMs(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumber(env, 'PARLEY_WORKER_SLOW_LOCAL_SEND_MS') ?? DEFAULT_SLOW_LOCAL_SEND_MS;
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

export async function createParleyWorker(options: ParleyWorkerOptions): Promise<Worker> {
  // The worker's own client, on its connection: the inbox watcher signals replies to conversations with it.
  const temporal = new Client({
    connection: options.connection,
    namespace: options.namespace,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
  const deps = {
    config: options.config,
    temporal,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.files ? { files: options.files } : {}),
    ...(options.sealer ? { sealer: options.sealer } : {}),
    localSends: createLocalSendGate({
      limit: options.maxLocalSends ?? localSendLimit(),
      slowMs: slowLocalSendMs(),
      onDeclined: (reason) => options.metrics?.localSendsDeclined.inc({ reason }),
    }),
  };
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(deps),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    // Activities wait on vendors; a graceful stop lets the ones in flight finish.
    shutdownGraceTime: '10 seconds',
    ...workerTuning(),
  });
  await ensureInboxes(
    temporal,
    options.config,
    options.taskQueue,
    options.log ?? createLogger({ name: 'parley-worker' }),
  );
  return worker;
}

/**
 * `npm run worker`: a worker alone, against TEMPORAL_ADDRESS (the production shape). It serves its metrics on
 * PARLEY_WORKER_METRICS_PORT (default 9464): Parley's own (sends, latency, rate limits, webhooks) followed by the
 * Temporal SDK's, which the runtime exports on the next port, on loopback only.
 */
async function main(log: Logger): Promise<() => Promise<void>> {
  const settings = temporalSettings();
  if (!settings.address)
    throw new Error(
      'TEMPORAL_ADDRESS is not set: `npm run worker` joins a running Temporal (use `npm start` for the all-in-one)',
    );
  const { config, file, warnings = [] } = loadConfig();
  for (const warning of warnings) log.warn({ file }, `config: ${warning}`);
  const metricsPort = Number(process.env.PARLEY_WORKER_METRICS_PORT ?? 9464);
  installTemporalRuntime(log, { metricsBindAddress: `127.0.0.1:${metricsPort + 1}` });
  const metrics = createMetrics();
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      let text = await metrics.registry.metrics();
      try {
        const sdk = await fetch(`http://127.0.0.1:${metricsPort + 1}/metrics`, { signal: AbortSignal.timeout(2000) });
        if (sdk.ok) text += `\n${await sdk.text()}`;
      } catch {
        // Not exported yet: Parley's own metrics alone.
      }
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
    })();
  });
  await new Promise<void>((resolve) => server.listen(metricsPort, resolve));
  const connection = await NativeConnection.connect(connectionOptions(settings, settings.address));
  // A bundle built ahead of time (container image, tests) skips bundling at start.
  const bundle = process.env.PARLEY_WORKFLOW_BUNDLE;
  const keys = encryptionSettings().keys;
  const dataConverter = dataConverterFor(keys);
  const worker = await createParleyWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    config,
    metrics,
    log,
    sealer: lazySealer(() => installationSealKeys(keys)),
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
    ...(dataConverter ? { dataConverter } : {}),
  });
  const running = worker.run();
  log.info({ taskQueue: settings.taskQueue, namespace: settings.namespace, metricsPort }, 'worker running');
  // SIGTERM: stop polling, let activities in flight finish (shutdownGraceTime), then close.
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

if (require.main === module) runProcess(main, createLogger({ name: 'parley-worker' }));
