/**
 * The worker killed with SIGKILL in the middle of a stream of messages and replies, then restarted: every user
 * message reaches the integration exactly once and every agent reply reaches the client app, in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { conversationWorkflowId } from '../common/ids';
import { agentReply } from './helpers/agent';
import { apiClient, startTestParley, temporalAddress, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startTestSink, type TestSink } from './emulators/test-sink';

const root = path.resolve(__dirname, '..');
const tsxLoader = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const key = testKey('crash');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const taskQueue = `crash-${randomBytes(4).toString('hex')}`;
let sink: TestSink;
let receiver: WebhookReceiver;
let api: TestParley;
let dir: string;

function startWorker(): { child: ChildProcess; output: () => string; ready: Promise<void> } {
  // `node --import tsx`, not the tsx launcher, so the pid killed is the worker itself.
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(root, 'workers', 'worker.ts')], {
    cwd: dir,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      PARLEY_TASK_QUEUE: taskQueue,
      PARLEY_CONFIG: path.join(dir, 'parley.config.yaml'),
      PARLEY_WORKFLOW_BUNDLE: process.env.PARLEY_TEST_WORKFLOW_BUNDLE ?? '',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('worker running')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}):\n${out}`)));
  });
  return { child, output: () => out, ready };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-crash-'));
  sink = await startTestSink();
  receiver = await startWebhookReceiver(secret);
  const raw = {
    apps: [{ id: 'crash', apiKeys: [key], webhooks: [{ url: receiver.url, secret }], test: { url: sink.url } }],
  };
  fs.writeFileSync(path.join(dir, 'parley.config.yaml'), JSON.stringify(raw));
  api = await startTestParley({ config: testConfig(raw), taskQueue, worker: false });
});
afterAll(async () => {
  await api?.stop();
  await sink?.close();
  await receiver?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('delivers every message exactly once, in order, across a SIGKILL of the worker', async () => {
  const call = apiClient(api.apiUrl, key);
  const users = ['ada', 'bob'];
  const total = 24;
  sink.setLatency(1000);
  let worker = startWorker();
  await worker.ready;

  // What the integration should see: each user message, and each agent reply mirrored after it.
  const sent: Record<string, string[]> = { ada: [], bob: [] };
  const replies: Record<string, string[]> = { ada: [], bob: [] };
  async function post(from: number, to: number): Promise<void> {
    for (let i = from; i <= to; i++) {
      for (const user of users) {
        const text = `${user} ${i}`;
        expect((await call('POST', `/v1/apps/crash/users/${user}/messages`, { text, id: `${user}-${i}` })).status).toBe(
          202,
        );
        sent[user]?.push(text);
        if (i % 4 === 0) {
          await agentReply(api.client, 'crash', user, `${user}-reply-${i}`, `reply to ${text}`);
          replies[user]?.push(`reply to ${text}`);
          sent[user]?.push(`reply to ${text}`);
        }
      }
    }
  }
  try {
    await post(1, total / 2);
    // Kill it while it is sending: part of the stream delivered, a batch in flight, the rest queued.
    await waitFor(() => sink.items(conversationWorkflowId('crash', 'ada')).length > 0 && sink.inFlight() > 0, {
      what: 'a send in flight after the first deliveries',
    });
    worker.child.kill('SIGKILL');
    const deliveredBeforeKill = sink.items(conversationWorkflowId('crash', 'ada')).length;
    expect(deliveredBeforeKill).toBeLessThan(total / 2);
    await post(total / 2 + 1, total);
    worker = startWorker();
    await worker.ready;
    for (const user of users) {
      await waitFor(() => sink.items(conversationWorkflowId('crash', user)).length >= total + total / 4, {
        timeoutMs: 90_000,
        what: `all of ${user}'s messages at the integration`,
      });
      await waitFor(() => receiver.events().filter((d) => d.body.userId === user).length >= total / 4, {
        timeoutMs: 90_000,
        what: `all replies to ${user} at the client app`,
      });
    }
    let duplicatedAtReceiver = 0;
    for (const user of users) {
      const items = sink.items(conversationWorkflowId('crash', user));
      expect(items.map((i) => i.text)).toEqual(sent[user]);
      const events = receiver.events().filter((d) => d.body.userId === user);
      expect(events.map((d) => d.body.data.message?.text)).toEqual(replies[user]);
      expect(events.every((d) => d.signatureValid)).toBe(true);
      duplicatedAtReceiver += receiver.deliveries.filter((d) => d.body.userId === user).length - events.length;
    }
    expect(sink.duplicates()).toBe(0);
    // Attempts > 1 are the sends the killed worker had in flight, retried by the new one.
    let retried = 0;
    for (const user of users) {
      const history = await api.client.workflow.getHandle(conversationWorkflowId('crash', user)).fetchHistory();
      retried += (history.events ?? []).filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
    }
    process.stdout.write(
      `crash drill: killed with ${deliveredBeforeKill} of ada's items delivered and a batch in flight; ` +
        `sent ${total * users.length} messages + ${(total / 4) * users.length} replies; ` +
        `integration received ${users.reduce((n, u) => n + sink.items(conversationWorkflowId('crash', u)).length, 0)} ` +
        `(duplicates ${sink.duplicates()}); webhook deliveries ${receiver.deliveries.length} ` +
        `(repeated event ids ${duplicatedAtReceiver}); sends retried after the kill ${retried}\n`,
    );
  } finally {
    const gone = new Promise((resolve) => worker.child.once('exit', resolve));
    worker.child.kill('SIGKILL');
    await gone;
  }
});
