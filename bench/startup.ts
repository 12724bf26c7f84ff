/** Figure 7: `npm start` to ready (fresh and existing data), and a worker's start with and without a prebuilt bundle. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startWorkerProcess } from '../test/helpers/drill-worker';
import { freePort } from '../test/helpers/ports';
import { waitFor } from '../test/helpers/wait';
import { root, type Harness } from './harness';
import { num, printTable } from './report';

async function npmStart(h: Harness, home: string): Promise<{ printed: number; ready: number }> {
  const port = await freePort();
  const t0 = Date.now();
  // Its own process group, so the stop reaches npm's child (Parley) too.
  const child = spawn('npm', ['start'], {
    cwd: root,
    detached: true,
    env: {
      ...process.env,
      PARLEY_HOME: home,
      PORT: String(port),
      PARLEY_TEMPORAL_PORT: String(await freePort()),
      PARLEY_TEMPORAL_UI_PORT: String(await freePort()),
      TEMPORAL_CLI_PATH: h.cli.path,
      TEMPORAL_ADDRESS: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitFor(() => out.includes('Parley is running') || child.exitCode !== null, {
      timeoutMs: 120_000,
      intervalMs: 20,
      what: '"Parley is running"',
    });
    if (!out.includes('Parley is running')) throw new Error(`npm start failed:\n${out}`);
    const printed = Date.now() - t0;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: '/readyz',
    });
    return { printed, ready: Date.now() - t0 };
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}

export async function startup(h: Harness): Promise<void> {
  const home = path.join(h.dir, 'start-home');
  const rows: (string | number)[][] = [];
  for (const label of ['`npm start`, fresh `.parley/`', '`npm start`, existing data']) {
    const t = await npmStart(h, home);
    rows.push([label, `${num(t.printed / 1000, 2)} s`, `${num(t.ready / 1000, 2)} s`]);
  }
  const configPath = path.join(h.dir, 'startup.config.json');
  fs.writeFileSync(configPath, JSON.stringify({ apps: [{ id: 'a', apiKeys: ['bench_startup_key_0001'] }] }));
  for (const bundled of [true, false]) {
    const t0 = Date.now();
    const worker = await startWorkerProcess({
      cwd: h.dir,
      temporalAddress: h.server.address,
      taskQueue: `bench-startup-${bundled ? 'b' : 'n'}`,
      configPath,
      ...(bundled ? { bundlePath: h.bundlePath } : {}),
    });
    await worker.ready;
    const ms = Date.now() - t0;
    await worker.stop();
    rows.push([bundled ? 'worker, pre-bundled workflows' : 'worker, bundling at start', `${num(ms / 1000, 2)} s`, '–']);
  }
  printTable(
    '7. Start-up',
    { temporal: 'embedded dev server (npm start); the bench server (workers)' },
    ['what', 'until it says so', 'until /readyz 200'],
    rows,
    ['"Says so": `Parley is running` for npm start, `worker running` for a worker (spawn to log line).'],
  );
}
