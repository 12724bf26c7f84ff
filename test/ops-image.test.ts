/**
 * The container image's start commands, without Docker: compile as the Dockerfile does (tsc → dist/, the
 * workflow bundle built ahead), then run `node dist/workers/worker.js` and `node dist/workers/api.js` with the
 * environment docker-compose.yml gives them, against the test run's Temporal. Both must come up (the API ready
 * because the worker polls), serve the codec the Temporal UI is wired to, and stop with exit code 0 on SIGTERM.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './helpers/ports';
import { temporalAddress } from './helpers/parley';
import { waitFor } from './helpers/wait';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..');
const tsxLoader = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(script: string, cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Polls `check`; fails at once, with the process's output, if the process exits first. */
async function waitWhileRunning<T>(p: Started, what: string, check: () => Promise<T | undefined | false>) {
  let gone = false;
  void p.exited.then(() => (gone = true));
  return waitFor(
    async () => {
      if (gone) throw new Error(`exited before ${what}:\n${p.output()}`);
      return check();
    },
    { timeoutMs: 90_000, what: `${what}\n${p.output()}` },
  );
}

describe('the image’s start commands', () => {
  // Inside the repository (under the git-ignored .parley/), so node_modules resolves from dist/ as it does in /app.
  const dir = path.join(root, '.parley', `test-image-${randomBytes(4).toString('hex')}`);
  const dist = path.join(dir, 'dist');
  const bundle = path.join(dist, 'workflow-bundle.js');
  const started: Started[] = [];

  beforeAll(async () => {
    fs.mkdirSync(dir, { recursive: true });
    // The Dockerfile's build stage: `npm run build`, then the workflow bundle.
    await run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', dist], {
      cwd: root,
    });
    await run(process.execPath, ['--import', tsxLoader, path.join(root, 'scripts', 'bundle-workflows.ts'), bundle], {
      cwd: root,
    });
  }, 180_000);

  afterAll(async () => {
    for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(started.map((p) => p.exited));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('follows the Dockerfile, which docker-compose.yml runs', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => m[2]);
    expect(stages).toEqual(['build', 'runtime']);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci /m);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toContain('node --import tsx scripts/bundle-workflows.ts dist/workflow-bundle.js');
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    expect(dockerfile).toMatch(/^COPY --from=build \/src\/dist \.\/dist$/m);
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production$/m);
    expect(dockerfile).toMatch(/PARLEY_WORKFLOW_BUNDLE=\/app\/dist\/workflow-bundle\.js/);
    expect(dockerfile).toMatch(/^EXPOSE 3000 9464$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/workers\/api\.js"\]$/m);
    // Only sources reach the build: no local state, secrets or dependencies from the host.
    const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '.parley', 'node_modules', 'dist', '.env', 'parley.config.yaml'])
      expect(ignored).toContain(entry);
  });

  it('builds dist/ with both entry points and a workflow bundle', () => {
    expect(fs.existsSync(path.join(dist, 'workers', 'worker.js'))).toBe(true);
    expect(fs.existsSync(path.join(dist, 'workers', 'api.js'))).toBe(true);
    expect(fs.existsSync(path.join(dist, 'workflows', 'index.js'))).toBe(true);
    expect(fs.statSync(bundle).size).toBeGreaterThan(10_000);
  });

  it('starts the worker and the API from dist/, ready together, and stops both on SIGTERM', async () => {
    const config = path.join(dir, 'parley.config.yaml');
    fs.writeFileSync(
      config,
      'admin: { keys: ["ops-admin-0123456789abcdef"] }\napps: [{ id: ops, apiKeys: ["ops-key-0123456789abcdef"] }]\n',
    );
    const codecToken = `codec_${randomBytes(12).toString('hex')}`;
    const port = await freePort();
    // What docker-compose.yml and the Dockerfile set, pointed at the test run's Temporal; nothing inherited
    // from the developer's shell decides the outcome.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|PARLEY_)/.test(k)));
    const env: NodeJS.ProcessEnv = {
      ...base,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_NAMESPACE: 'default',
      PARLEY_TASK_QUEUE: `ops-${randomBytes(6).toString('hex')}`,
      PARLEY_CONFIG: config,
      PARLEY_WORKFLOW_BUNDLE: bundle,
      PARLEY_HOME: path.join(dir, '.parley'),
      PARLEY_ENCRYPTION_KEYS: `ops:${randomBytes(32).toString('base64')}`,
      PARLEY_CODEC_TOKEN: codecToken,
      PARLEY_CODEC_CORS_ORIGINS: 'http://localhost:8233,http://127.0.0.1:8233',
    };

    const worker = start(path.join(dist, 'workers', 'worker.js'), dir, {
      ...env,
      PARLEY_WORKER_METRICS_PORT: String(await freePort()),
    });
    started.push(worker);
    const api = start(path.join(dist, 'workers', 'api.js'), dir, { ...env, PORT: String(port) });
    started.push(api);
    const url = `http://127.0.0.1:${port}`;

    await waitWhileRunning(worker, '"worker running"', () =>
      Promise.resolve(worker.output().includes('worker running')),
    );
    const ready = await waitWhileRunning(api, 'GET /readyz = 200', async () => {
      // The checks' details are for admin keys; anyone else sees only {ready}.
      const headers = { authorization: 'Bearer ops-admin-0123456789abcdef' };
      const res = await fetch(`${url}/readyz`, { headers }).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    });
    expect(await ready.json()).toMatchObject({ checks: { worker: { ok: true }, searchAttributes: { ok: true } } });

    // A conversation runs on the prebuilt workflow bundle, with encrypted payloads.
    const auth = { authorization: 'Bearer ops-key-0123456789abcdef', 'content-type': 'application/json' };
    const posted = await fetch(`${url}/v1/apps/ops/users/jane/messages`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ text: 'Hello from the image', id: 'ops-1' }),
    });
    expect(posted.status).toBe(202);
    await waitWhileRunning(worker, 'the message in the conversation', async () => {
      const res = await fetch(`${url}/v1/apps/ops/users/jane/messages`, { headers: auth });
      const body = (await res.json()) as { messages?: { text: string }[] };
      return body.messages?.some((m) => m.text === 'Hello from the image');
    });

    // The Temporal UI's codec wiring in docker-compose.yml: a CORS preflight from the UI's origin, the cookie
    // set at /codec/login's form, then a credentialed decode.
    const origin = 'http://localhost:8233';
    const preflight = await fetch(`${url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await fetch(`${url}/codec/login`)).status).toBe(200);
    const session = await fetch(`${url}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: codecToken }).toString(),
    });
    expect(session.status).toBe(200);
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^parley_codec=/);
    const decodeBody = JSON.stringify({ payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'e30=' }] });
    const decodeHeaders = { origin, 'content-type': 'application/json', 'x-namespace': 'default' };
    const refused = await fetch(`${url}/codec/decode`, { method: 'POST', headers: decodeHeaders, body: decodeBody });
    expect(refused.status).toBe(401);
    const decoded = await fetch(`${url}/codec/decode`, {
      method: 'POST',
      headers: { ...decodeHeaders, cookie },
      body: decodeBody,
    });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(origin);

    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await worker.exited).toBe(0);
  });
});
