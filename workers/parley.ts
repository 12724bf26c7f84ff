/**
 * Starts Parley's parts in one process: the embedded Temporal dev server (when no address is given), the
 * worker and the API. Used by `npm start`, `npm run api`, and the tests that restart Parley.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createApp } from '../api/app';
import { installationSealKeys, lazySealer } from '../common/seal';
import { createMetricsApp } from '../api/metrics';
import { createEncryptionCodec, dataConverterFor, type EncryptionSettings } from '../common/codec';
import { createMetrics } from '../common/metrics';
import { createFileStore } from '../integrations/files';
import { startFileSweeper } from '../integrations/files/sweeper';
import { createZendeskClient } from '../integrations/zendesk/client';
import { connectZendesk } from '../integrations/zendesk/connect';
import type { LoadedConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { parleyHome } from '../common/paths';
import { startDevServer, type DevServer } from './dev-server';
import { createReadiness } from './readiness';
import { installTemporalRuntime } from './runtime';
import { ensureSearchAttributes } from './search-attributes';
import { findOrInstallTemporalCli } from './temporal-cli';
import { connectionOptions, type TemporalSettings } from './temporal-env';
import { createParleyWorker } from './worker';

export interface ParleyOptions {
  loaded: LoadedConfig;
  temporal: TemporalSettings;
  log: Logger;
  home?: string;
  port?: number;
  host?: string;
  worker?: boolean;
  api?: boolean;
  devServer?: { port?: number; uiPort?: number; persist?: boolean };
  workflowBundle?: WorkflowBundleOption;
  /** The worker's local first attempts at once (default: PARLEY_WORKER_MAX_LOCAL_SENDS, see workers/worker.ts). */
  maxLocalSends?: number;
  continueAsNewAfterEvents?: number;
  /** Payload encryption and the codec endpoint; off when there are no keys. */
  encryption?: EncryptionSettings;
  /** Loopback port where the Temporal SDK exports its metrics, appended to the API's `/metrics`. */
  temporalMetricsPort?: number;
  /** `PARLEY_METRICS_PORT`: `/metrics` without a key on its own listener (0: any free port); unset, none. */
  metricsPort?: number;
  /** `PARLEY_METRICS_HOST`: where that listener binds (default 127.0.0.1, so only this machine reaches it). */
  metricsHost?: string;
  /** The Temporal UI the admin console links to (`PARLEY_TEMPORAL_UI_URL`; default http://localhost:8233). */
  temporalUiUrl?: string;
}

/** The metrics listener's settings from the environment: `PARLEY_METRICS_PORT`, `PARLEY_METRICS_HOST`. */
export function metricsSettings(
  env: NodeJS.ProcessEnv = process.env,
): Pick<ParleyOptions, 'metricsPort' | 'metricsHost'> {
  const raw = env.PARLEY_METRICS_PORT;
  if (raw === undefined || raw === '') return {};
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PARLEY_METRICS_PORT=${raw} is not a port number`);
  return { metricsPort: port, ...(env.PARLEY_METRICS_HOST ? { metricsHost: env.PARLEY_METRICS_HOST } : {}) };
}

export interface RunningParley {
  apiUrl?: string;
  /** The metrics listener's `/metrics`, when `metricsPort` was given. */
  metricsUrl?: string;
  temporalAddress: string;
  uiUrl?: string;
  devServer?: DevServer;
  client: Client;
  stop: () => Promise<void>;
}

/**
 * Connects each Zendesk account the config names (webhook, trigger, requester triggers), once per account, and
 * keeps the webhooks' signing secrets for the API. A failure is logged; `POST …/integrations/zendesk/connect`
 * retries it.
 */
async function connectZendeskAccounts(config: LoadedConfig['config'], log: Logger): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  const publicUrl = config.server.publicUrl;
  const accounts = new Map(config.apps.flatMap((a) => (a.zendesk ? [[a.zendesk.url, a.zendesk] as const] : [])));
  if (!publicUrl || accounts.size === 0) return secrets;
  await Promise.all(
    [...accounts].map(async ([url, account]) => {
      try {
        const connection = await connectZendesk(createZendeskClient(account), publicUrl);
        secrets.set(url, connection.signingSecret);
        log.info({ zendesk: url, excludedFrom: connection.excludedFrom }, 'Zendesk connected');
      } catch (err) {
        log.warn(
          { zendesk: url, err: (err as Error).message },
          'could not connect Zendesk; replies from it wait until it is connected',
        );
      }
    }),
  );
  return secrets;
}

export async function startParley(options: ParleyOptions): Promise<RunningParley> {
  const { log, temporal: settings } = options;
  const home = options.home ?? parleyHome();
  const keys = options.encryption?.keys ?? [];
  const dataConverter = dataConverterFor(keys);
  // The API seals Slack installation secrets and the worker opens them: the same keys in both (common/seal.ts).
  const sealer = lazySealer(() => installationSealKeys(keys, home));
  const metrics = createMetrics();
  const cleanups: (() => Promise<void>)[] = [];
  const temporalUiUrl = options.temporalUiUrl ?? process.env.PARLEY_TEMPORAL_UI_URL;
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
    cleanups.length = 0;
  };

  for (const warning of options.loaded.warnings ?? []) log.warn({ file: options.loaded.file }, `config: ${warning}`);
  if (!options.loaded.config.admin && options.api !== false)
    log.warn(
      { file: options.loaded.file },
      'config: no admin keys (admin.keys): the integration routes and outbox resume answer 403 forbidden_scope to every client key',
    );
  try {
    let address = settings.address;
    let devServer: DevServer | undefined;
    if (!address) {
      const cli = await findOrInstallTemporalCli(home, log);
      const uiCodecEndpoint = keys.length > 0 ? `http://localhost:${options.port ?? 3000}/codec` : undefined;
      devServer = await startDevServer({
        cli,
        home,
        log,
        ...options.devServer,
        ...(uiCodecEndpoint ? { uiCodecEndpoint } : {}),
      });
      const server = devServer;
      cleanups.push(() => server.stop());
      address = devServer.address;
    }

    const connection = await Connection.connect(connectionOptions(settings, address));
    cleanups.push(() => connection.close());
    await ensureSearchAttributes(connection, settings.namespace, log);
    const client = new Client({
      connection,
      namespace: settings.namespace,
      ...(dataConverter ? { dataConverter } : {}),
    });

    // One file store per process (storage: fs | s3), shared by the API and the worker's activities.
    const files = createFileStore(options.loaded.config.storage, home);

    let worker: Worker | undefined;
    if (options.worker !== false) {
      installTemporalRuntime(
        log,
        options.temporalMetricsPort ? { metricsBindAddress: `127.0.0.1:${options.temporalMetricsPort}` } : {},
      );
      const native = await NativeConnection.connect(connectionOptions(settings, address));
      cleanups.push(() => native.close());
      const created = await createParleyWorker({
        connection: native,
        namespace: settings.namespace,
        taskQueue: settings.taskQueue,
        config: options.loaded.config,
        metrics,
        log,
        files,
        sealer,
        ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
        ...(options.maxLocalSends !== undefined ? { maxLocalSends: options.maxLocalSends } : {}),
        ...(dataConverter ? { dataConverter } : {}),
      });
      worker = created;
      const running = created.run();
      cleanups.push(async () => {
        if (created.getState() === 'RUNNING') created.shutdown();
        await running;
      });
    }

    let apiUrl: string | undefined;
    if (options.api !== false) {
      const sweeper = startFileSweeper(files, options.loaded.config.storage, log);
      cleanups.push(() => Promise.resolve(sweeper.stop()));
      const zendeskSecrets = await connectZendeskAccounts(options.loaded.config, log);
      const app = createApp({
        temporal: client,
        config: options.loaded.config,
        taskQueue: settings.taskQueue,
        log,
        metrics,
        zendeskSecrets,
        files,
        ...(options.loaded.file ? { configFile: options.loaded.file } : {}),
        ...(temporalUiUrl ? { temporalUiUrl } : {}),
        onAdminConsole: (adminConsole) => {
          cleanups.push(() => Promise.resolve(adminConsole.stop()));
        },
        sealer,
        ...(options.temporalMetricsPort
          ? { temporalMetricsUrl: `http://127.0.0.1:${options.temporalMetricsPort}/metrics` }
          : {}),
        codec: {
          ...(keys.length > 0 ? { codec: createEncryptionCodec(keys) } : {}),
          ...(options.encryption?.codecToken ? { token: options.encryption.codecToken } : {}),
          corsOrigins: options.encryption?.corsOrigins ?? [],
        },
        readiness: createReadiness({
          client,
          namespace: settings.namespace,
          taskQueue: settings.taskQueue,
          ...(worker ? { worker } : {}),
        }),
        ...(options.continueAsNewAfterEvents !== undefined
          ? { continueAsNewAfterEvents: options.continueAsNewAfterEvents }
          : {}),
      });
      const server: Server = await new Promise((resolve, reject) => {
        const s = app.listen(options.port ?? 3000, options.host ?? '0.0.0.0', () => resolve(s));
        s.once('error', reject);
      });
      cleanups.push(
        // Graceful: no new connections, requests in flight finish (10 s at most), idle keep-alives close now.
        () =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => server.closeAllConnections(), 10_000);
            server.close(() => {
              clearTimeout(force);
              resolve();
            });
            server.closeIdleConnections();
          }),
      );
      const { port } = server.address() as AddressInfo;
      apiUrl = `http://localhost:${port}`;
    }

    let metricsUrl: string | undefined;
    const metricsPort = options.metricsPort;
    if (metricsPort !== undefined) {
      const metricsApp = createMetricsApp(
        metrics,
        log,
        options.temporalMetricsPort ? `http://127.0.0.1:${options.temporalMetricsPort}/metrics` : undefined,
      );
      const host = options.metricsHost ?? '127.0.0.1';
      const listener: Server = await new Promise((resolve, reject) => {
        const s = metricsApp.listen(metricsPort, host, () => resolve(s));
        s.once('error', reject);
      });
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            listener.close(() => resolve());
            listener.closeAllConnections();
          }),
      );
      const { port } = listener.address() as AddressInfo;
      metricsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
    }

    return {
      ...(apiUrl ? { apiUrl } : {}),
      ...(metricsUrl ? { metricsUrl } : {}),
      temporalAddress: address,
      ...(devServer ? { uiUrl: devServer.uiUrl, devServer } : {}),
      client,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
