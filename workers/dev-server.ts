/**
 * The embedded Temporal dev server: `temporal server start-dev` as a child process with SQLite under
 * `.parley/`, Parley's search attributes registered, stopped with Parley (and reaped at the next start if a
 * crash left it behind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { ensureSearchAttributes, missingSearchAttributes } from './search-attributes';
import type { TemporalCli } from './temporal-cli';

/** The server version the pinned CLI carries; another server version gets its own database file. */
const PINNED_SERVER_VERSION = '1.32.0';

export interface DevServerOptions {
  cli: TemporalCli;
  home: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  /** The HTTP API's port (the CLI's default is the gRPC port + 1000, which a test run's random port may find taken). */
  httpPort?: number;
  /** false: in memory (tests); default: a SQLite file under `home`. */
  persist?: boolean;
  /** Extra `--dynamic-config-value` pairs. */
  dynamicConfig?: Record<string, string | number | boolean>;
  uiCodecEndpoint?: string;
  log: Logger;
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export function databaseFile(home: string, cli: TemporalCli): string {
  const version = cli.serverVersion;
  return path.join(
    home,
    !version || version === PINNED_SERVER_VERSION ? 'temporal.db' : `temporal-server-${version}.db`,
  );
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** A dev server left by a Parley that was killed outright would keep the port: stop it if it is ours. */
function reapOrphan(pidFile: string, log: Logger): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const cmd = Number.isInteger(pid) && pid > 0 ? cmdlineOf(pid) : undefined;
  if (cmd?.includes('start-dev')) {
    log.warn({ pid }, 'stopping a Temporal dev server left running by an earlier Parley');
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      log.warn({ err: (err as Error).message, pid }, 'could not stop the old dev server');
    }
  }
  fs.rmSync(pidFile, { force: true });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * As compose's deploy/temporal/dynamicconfig.yaml: fairness keys honoured (common/fairness.ts), and new tasks written
 * to one partition of each task queue, since fairness orders the tasks within a partition only (reads stay at the
 * default 4, so the partitions a server wrote before still drain).
 */
const DEV_DYNAMIC_CONFIG: Record<string, string | number | boolean> = {
  'matching.enableFairness': true,
  'matching.numTaskqueueWritePartitions': 1,
};

/** How long a started dev server gets to register Parley's search attributes itself. */
const SEARCH_ATTRIBUTE_GRACE_MS = 3000;

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { cli, home, log } = options;
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? port + 1000;
  const persist = options.persist ?? true;
  fs.mkdirSync(home, { recursive: true });
  const pidFile = path.join(home, `temporal-${port}.pid`);
  reapOrphan(pidFile, log);

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--ui-port', String(uiPort)];
  args.push('--namespace', 'default', '--log-level', 'warn', '--ui-disable-news-fetch');
  if (options.httpPort !== undefined) args.push('--http-port', String(options.httpPort));
  if (persist) args.push('--db-filename', databaseFile(home, cli));
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries({ ...DEV_DYNAMIC_CONFIG, ...options.dynamicConfig }))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);

  const child = spawn(cli.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cli.path}`);
  fs.writeFileSync(pidFile, String(pid));
  // Never leave it behind, whatever way this process ends.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const address = `${ip}:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let failure: string | undefined;
  child.once('exit', (code, signal) => {
    failure = `the Temporal dev server exited (${signal ?? code}) before it was ready:\n${output.trim()}`;
  });
  let lastError: string | undefined;
  let namespaceSince: number | undefined;
  for (;;) {
    if (failure) throw new Error(failure);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        namespaceSince ??= Date.now();
        const missing = await missingSearchAttributes(connection, 'default');
        if (missing.length === 0) break;
        lastError = `search attributes ${missing.join(', ')} not registered yet`;
        // The CLI registers `--search-attribute`s only in a new database: data from an older Parley lacks the
        // ones added since (EmailThread). Register them once the CLI has had its moment.
        if (Date.now() - namespaceSince > SEARCH_ATTRIBUTE_GRACE_MS) {
          await ensureSearchAttributes(connection, 'default', log);
          break;
        }
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (failure) throw new Error(failure);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the Temporal dev server at ${address} was not ready within a minute: ${lastError}\n${output.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log.debug({ address, pid }, 'Temporal dev server ready');

  return {
    address,
    uiUrl: `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}`,
    pid,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited(child);
        clearTimeout(timer);
      }
      fs.rmSync(pidFile, { force: true });
    },
  };
}
