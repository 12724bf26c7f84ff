/**
 * `npm start` as a user runs it: a real child process with its embedded Temporal dev server, the printed
 * curl pasted into a shell, a clean stop on SIGTERM/SIGINT, and conversations that survive a restart.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { createLogger } from '../common/logger';
import { databaseFile } from '../workers/dev-server';
import { missingSearchAttributes } from '../workers/search-attributes';
import { findOrInstallTemporalCli } from '../workers/temporal-cli';
import { freePort, portInUse } from './helpers/ports';
import { waitFor } from './helpers/wait';

const root = path.resolve(__dirname, '..');
const tsxLoader = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const main = path.join(root, 'workers', 'main.ts');
const sh = promisify(execFile);

/** Waits for a line on the process's output; fails at once, with the output, if the process exits first. */
async function waitForOutput(p: Started, text: string): Promise<void> {
  let gone = false;
  void p.exited.then(() => (gone = true));
  const deadline = Date.now() + 90_000;
  while (!p.output().includes(text)) {
    if (gone || Date.now() > deadline) {
      throw new Error(`${gone ? 'exited' : 'timed out'} before "${text}":\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(cwd: string, env: Record<string, string>): Started {
  // What `npm start` runs, without npm in between, so signals reach Parley itself.
  const child = spawn(process.execPath, ['--import', tsxLoader, main], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', TEMPORAL_ADDRESS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('npm start', () => {
  let dir: string;
  let env: Record<string, string>;
  let temporalPort: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-start-'));
    temporalPort = await freePort();
    env = {
      PARLEY_HOME: path.join(dir, '.parley'),
      PORT: String(await freePort()),
      PARLEY_TEMPORAL_PORT: String(temporalPort),
      PARLEY_TEMPORAL_UI_PORT: String(await freePort()),
      TEMPORAL_CLI_PATH: process.env.PARLEY_TEST_TEMPORAL_CLI ?? '',
    };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts everything, prints a curl that works, stops cleanly and keeps conversations', async () => {
    const metricsPort = await freePort();
    const first = start(dir, { ...env, PARLEY_METRICS_PORT: String(metricsPort) });
    try {
      await waitForOutput(first, 'Parley is running');
      const out = first.output();
      // The demo keys: a client key that says it is secret, printed; an admin key in its own file, never printed.
      const home = env.PARLEY_HOME as string;
      const clientKey = fs.readFileSync(path.join(home, 'demo-api-key'), 'utf8').trim();
      const adminFile = path.join(home, 'demo-admin-key');
      const adminKey = fs.readFileSync(adminFile, 'utf8').trim();
      expect(clientKey).toMatch(/^sk_demo_/);
      expect(adminKey).toMatch(/^sk_admin_/);
      expect(fs.statSync(adminFile).mode & 0o777).toBe(0o600);
      expect(out).toContain(`Admin key (integrations, outbox resume, /metrics): in ${adminFile}`);
      expect(out).not.toContain(adminKey);
      const adminCurl = out.split('\n').find((l) => l.trim().startsWith('curl') && l.includes('/integrations'));
      expect(JSON.parse((await sh('sh', ['-c', adminCurl as string])).stdout)).toEqual({ integrations: [] });
      const asClient = await fetch(`http://localhost:${env.PORT}/v1/apps/demo/integrations`, {
        headers: { authorization: `Bearer ${clientKey}` },
      });
      expect(asClient.status).toBe(403);
      // /metrics: on the metrics port (loopback) without a key, and not on the API's port without the admin key.
      expect(out).toContain(`Metrics:      http://127.0.0.1:${metricsPort}/metrics`);
      expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain(
        'parley_http_requests_total',
      );
      expect((await fetch(`http://localhost:${env.PORT}/metrics`)).status).toBe(401);
      expect(out).toContain(
        `Temporal UI:  http://127.0.0.1:${env.PARLEY_TEMPORAL_UI_PORT}/namespaces/default/workflows`,
      );
      const curl = out.split('\n').find((l) => l.trim().startsWith('curl -X POST'));
      expect(curl).toBeDefined();
      const { stdout } = await sh('sh', ['-c', curl as string]);
      expect(JSON.parse(stdout)).toMatchObject({
        conversationId: 'conversation:demo:jane',
        message: { text: 'Hello from Jane' },
      });
      const ready = await fetch(`http://localhost:${env.PORT}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    expect(await portInUse(temporalPort)).toBe(false);
    expect(fs.existsSync(path.join(env.PARLEY_HOME as string, `temporal-${temporalPort}.pid`))).toBe(false);

    // A key kept by an older Parley (`pk_demo_…`) keeps working: an upgrade does not rotate anyone's key.
    const olderKey = `pk_demo_${'0123456789abcdef'.repeat(2)}`;
    fs.writeFileSync(path.join(env.PARLEY_HOME as string, 'demo-api-key'), `${olderKey}\n`, { mode: 0o600 });
    const second = start(dir, env);
    try {
      await waitForOutput(second, 'Parley is running');
      const key = fs.readFileSync(path.join(env.PARLEY_HOME as string, 'demo-api-key'), 'utf8').trim();
      expect(key).toBe(olderKey);
      expect(second.output()).toContain(`Bearer ${key}`);
      const res = await fetch(`http://localhost:${env.PORT}/v1/apps/demo/users/jane/messages`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = (await res.json()) as { messages: { text: string }[] };
      expect(body.messages.map((m) => m.text)).toEqual(['Hello from Jane']);
    } finally {
      second.child.kill('SIGINT');
    }
    expect(await second.exited).toBe(0);
    expect(await portInUse(temporalPort)).toBe(false);
  });

  it('starts on the data of an older Parley whose namespace lacks a newer search attribute', async () => {
    // An older Parley's database: the dev server registered only the search attributes it was given then.
    const home = path.join(dir, 'older', '.parley');
    fs.mkdirSync(home, { recursive: true });
    const cli = await findOrInstallTemporalCli(home, createLogger({ level: 'error' }), {
      TEMPORAL_CLI_PATH: env.TEMPORAL_CLI_PATH,
    });
    const port = await freePort();
    const older = spawn(
      cli.path,
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--namespace',
        'default',
      ].concat([
        '--db-filename',
        databaseFile(home, cli),
        '--search-attribute',
        'ParleyApp=Keyword',
        '--log-level',
        'error',
      ]),
      { stdio: 'ignore' },
    );
    const address = `127.0.0.1:${port}`;
    try {
      await waitFor(
        async () => {
          const connection = await Connection.connect({ address, connectTimeout: 1000 });
          try {
            return (await missingSearchAttributes(connection, 'default')).includes('EmailThread');
          } finally {
            await connection.close();
          }
        },
        { timeoutMs: 60_000, intervalMs: 250, what: 'the older dev server' },
      );
    } finally {
      older.kill('SIGTERM');
      await new Promise((resolve) => (older.exitCode === null ? older.once('exit', resolve) : resolve(null)));
    }

    // Fresh ports: those picked when the file began may have been taken since by another test file's processes.
    const upgradedPort = await freePort();
    const upgraded = start(path.dirname(home), {
      ...env,
      PARLEY_HOME: home,
      PORT: String(await freePort()),
      PARLEY_TEMPORAL_PORT: String(upgradedPort),
      PARLEY_TEMPORAL_UI_PORT: String(await freePort()),
    });
    try {
      await waitForOutput(upgraded, 'Parley is running');
      const connection = await Connection.connect({ address: `127.0.0.1:${upgradedPort}` });
      try {
        expect(await missingSearchAttributes(connection, 'default')).toEqual([]);
      } finally {
        await connection.close();
      }
    } finally {
      upgraded.child.kill('SIGTERM');
    }
    expect(await upgraded.exited).toBe(0);
  });

  it('refuses a wrong configuration with one message naming the file, the field and the problem', async () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'apps:\n  - id: acme\n    apiKeys: [ short ]\n');
    const bad = start(dir, { ...env, PARLEY_CONFIG: file });
    expect(await bad.exited).toBe(1);
    expect(bad.output().trim()).toBe(
      `parley: Invalid configuration: ${file}: apps[0].apiKeys[0]: must be at least 16 characters`,
    );
    expect(await portInUse(temporalPort)).toBe(false);
  });
});
