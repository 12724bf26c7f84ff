/**
 * Drill: the Temporal dev server stopped and restarted (same SQLite file, same port) in the middle of a burst. The
 * client app retries with its idempotency keys while Temporal is away; the worker and the API reconnect on their
 * own; every message reaches the integration once, in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conversationWorkflowId } from '../common/ids';
import { createLogger } from '../common/logger';
import { startDevServer, type DevServer } from '../workers/dev-server';
import { startParley, type RunningParley } from '../workers/parley';
import { expectClean, postUntilAccepted, reportDrill, tallyDrill } from './helpers/drill';
import { testConfig, testKey } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startTestSink, type TestSink } from './emulators/test-sink';

const key = testKey('restart');
const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'error', name: 'drill-restart' });
let dir: string;
let sink: TestSink;
let server: DevServer | undefined;
let parley: RunningParley | undefined;
let apiUrl: string;
let ports: { port: number; uiPort: number };

function startServer(): Promise<DevServer> {
  const cliPath = process.env.PARLEY_TEST_TEMPORAL_CLI;
  if (!cliPath) throw new Error('no Temporal CLI: run the drills through jest (globalSetup finds one)');
  // The CLI's version string only picks the database file name; the same CLI keeps the same file.
  return startDevServer({ cli: { path: cliPath, version: '' }, home: dir, persist: true, log, ...ports });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-drill-restart-'));
  ports = { port: await freePort(), uiPort: await freePort() };
  sink = await startTestSink();
  server = await startServer();
  const bundle = process.env.PARLEY_TEST_WORKFLOW_BUNDLE;
  parley = await startParley({
    loaded: { config: testConfig({ apps: [{ id: 'restart', apiKeys: [key], sink: { url: sink.url } }] }) },
    temporal: { address: server.address, namespace: 'default', taskQueue: 'drill-restart' },
    log,
    host: '127.0.0.1',
    port: 0,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  });
  apiUrl = parley.apiUrl ?? '';
});
afterAll(async () => {
  await parley?.stop();
  await server?.stop();
  await sink?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('loses and doubles nothing when Temporal stops and restarts mid-burst', async () => {
  const startedAt = Date.now();
  const users = ['ada', 'bob', 'cy'];
  const perUser = 20;
  const sent: Record<string, string[]> = Object.fromEntries(users.map((u) => [u, []]));
  sink.setLatency(100);
  let failedPosts = 0;
  let attempts = 0;
  // Each user's client posts in order, one at a time, retrying the same id until it is accepted.
  async function burst(from: number, to: number): Promise<void> {
    await Promise.all(
      users.map(async (user) => {
        for (let i = from; i <= to; i++) {
          const text = `${user} ${i}`;
          failedPosts += await postUntilAccepted(
            apiUrl,
            key,
            `/v1/apps/restart/users/${user}/messages`,
            {
              text,
              id: `${user}-${i}`,
            },
            { onAttempt: () => attempts++ },
          );
          sent[user]?.push(text);
        }
      }),
    );
  }

  await burst(1, perUser / 2);
  await waitFor(() => users.some((u) => sink.items(conversationWorkflowId('restart', u)).length > 0), {
    what: 'the first deliveries',
  });
  const deliveredBeforeStop = users.reduce((n, u) => n + sink.items(conversationWorkflowId('restart', u)).length, 0);
  await server?.stop();
  // The second half is posted while Temporal is away (the API holds or refuses those posts); Temporal comes back
  // once every client has a post waiting on it.
  const attemptsBefore = attempts;
  const secondHalf = burst(perUser / 2 + 1, perUser);
  await waitFor(() => attempts - attemptsBefore >= users.length, { what: 'posts made while Temporal is down' });
  const downFor = Date.now();
  server = await startServer();
  const outageMs = Date.now() - downFor;
  await secondHalf;
  for (const user of users) {
    await waitFor(() => sink.items(conversationWorkflowId('restart', user)).length >= perUser, {
      timeoutMs: 90_000,
      what: `all of ${user}'s messages at the integration`,
    });
  }
  const received = Object.fromEntries(
    users.map((u) => [u, sink.items(conversationWorkflowId('restart', u)).map((i) => i.text ?? '')]),
  );
  const tally = tallyDrill('dev-server-restart', sent, received, sink.duplicates());
  reportDrill(
    tally,
    startedAt,
    `server stopped with ${deliveredBeforeStop} delivered; ${failedPosts} posts refused while down and retried ` +
      `with the same id; restart took ${(outageMs / 1000).toFixed(1)} s`,
  );
  expectClean(tally);
});
