import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { dataConverterFor, encryptionSettings } from '../common/codec';
import { createActivities } from '../activities';
import type { ParleyConfig } from '../common/config';
import { loadConfig } from '../common/config';
import { createLogger, type Logger } from '../common/logger';
import { installTemporalRuntime } from './runtime';
import { connectionOptions, temporalSettings } from './temporal-env';
import { runProcess } from './process';

export interface ParleyWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  config: ParleyConfig;
  /** A prebuilt workflow bundle (tests build it once); default: bundle `workflows/` now. */
  workflowBundle?: WorkflowBundleOption;
  fetch?: typeof fetch;
  dataConverter?: { payloadCodecs: PayloadCodec[] };
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

export async function createParleyWorker(options: ParleyWorkerOptions): Promise<Worker> {
  const deps = { config: options.config, ...(options.fetch ? { fetch: options.fetch } : {}) };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(deps),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    // Activities wait on vendors; a graceful stop lets the ones in flight finish.
    shutdownGraceTime: '10 seconds',
  });
}

/** `npm run worker`: a worker alone, against TEMPORAL_ADDRESS (the production shape). */
async function main(log: Logger): Promise<() => Promise<void>> {
  const settings = temporalSettings();
  if (!settings.address)
    throw new Error(
      'TEMPORAL_ADDRESS is not set: `npm run worker` joins a running Temporal (use `npm start` for the all-in-one)',
    );
  const { config } = loadConfig();
  installTemporalRuntime(log);
  const connection = await NativeConnection.connect(connectionOptions(settings, settings.address));
  // A bundle built ahead of time (container image, tests) skips bundling at start.
  const bundle = process.env.PARLEY_WORKFLOW_BUNDLE;
  const dataConverter = dataConverterFor(encryptionSettings().keys);
  const worker = await createParleyWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    config,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
    ...(dataConverter ? { dataConverter } : {}),
  });
  const running = worker.run();
  log.info({ taskQueue: settings.taskQueue, namespace: settings.namespace }, 'worker running');
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
}

if (require.main === module) runProcess(main, createLogger({ name: 'parley-worker' }));
