/**
 * Drill: the worker killed with SIGKILL in the middle of a burst of messages and replies, then restarted. Every
 * user message reaches the integration exactly once and every agent reply reaches the client app, in order: once
 * for a client that drops repeats by `X-Parley-Event-Id`, as the webhook contract says (a delivery acknowledged just
 * before the kill can come again; the drill counts those and checks each repeats its event exactly).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conversationWorkflowId } from '../common/ids';
import { agentReply } from './helpers/agent';
import { expectClean, reportDrill, tallyDrill } from './helpers/drill';
import { startWorkerProcess, type WorkerProcess } from './helpers/drill-worker';
import { apiClient, startTestParley, temporalAddress, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startTestSink, type TestSink } from './emulators/test-sink';

const key = testKey('crash');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const taskQueue = `crash-${randomBytes(4).toString('hex')}`;
let sink: TestSink;
let receiver: WebhookReceiver;
let api: TestParley;
let dir: string;

function startWorker(): Promise<WorkerProcess> {
  return startWorkerProcess({
    cwd: dir,
    temporalAddress: temporalAddress(),
    taskQueue,
    configPath: path.join(dir, 'parley.config.yaml'),
    ...(process.env.PARLEY_TEST_WORKFLOW_BUNDLE ? { bundlePath: process.env.PARLEY_TEST_WORKFLOW_BUNDLE } : {}),
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-crash-'));
  sink = await startTestSink();
  receiver = await startWebhookReceiver(secret);
  const raw = {
    apps: [{ id: 'crash', apiKeys: [key], webhooks: [{ url: receiver.url, secret }], sink: { url: sink.url } }],
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
  const startedAt = Date.now();
  const call = apiClient(api.apiUrl, key);
  const users = ['ada', 'bob'];
  const total = 24;
  sink.setLatency(1000);
  let worker = await startWorker();
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
    await worker.kill();
    const deliveredBeforeKill = sink.items(conversationWorkflowId('crash', 'ada')).length;
    expect(deliveredBeforeKill).toBeLessThan(total / 2);
    await post(total / 2 + 1, total);
    worker = await startWorker();
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
    // Two streams per user: the integration's (messages and mirrored replies) and the client app's (replies).
    const expected: Record<string, string[]> = {};
    const received: Record<string, string[]> = {};
    for (const user of users) {
      expected[`sink:${user}`] = sent[user] ?? [];
      received[`sink:${user}`] = sink.items(conversationWorkflowId('crash', user)).map((i) => i.text ?? '');
      expected[`app:${user}`] = replies[user] ?? [];
      // What the client app sees after dropping repeats by X-Parley-Event-Id, as docs/api/webhooks.md tells it to.
      received[`app:${user}`] = receiver
        .events()
        .filter((d) => d.body.userId === user)
        .map((d) => d.body.data.message?.text ?? '');
    }
    expect(receiver.deliveries.every((d) => d.signatureValid)).toBe(true);
    // A webhook the receiver acknowledged just before the kill, whose attempt had not reported it yet, is delivered
    // again by the retry: at least once, under the same event id and with the same body, so a client drops it.
    const firstBody = new Map<string, string>();
    for (const d of receiver.deliveries) {
      const body = JSON.stringify(d.body);
      expect(firstBody.get(d.eventId) ?? body).toBe(body);
      firstBody.set(d.eventId, body);
    }
    const redelivered = receiver.deliveries.length - receiver.events().length;
    // Attempts > 1 are the sends the killed worker had in flight, retried by the new one.
    let retried = 0;
    for (const user of users) {
      const history = await api.client.workflow.getHandle(conversationWorkflowId('crash', user)).fetchHistory();
      retried += (history.events ?? []).filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
    }
    const tally = tallyDrill('worker-kill', expected, received, sink.duplicates());
    reportDrill(
      tally,
      startedAt,
      `SIGKILL with ${deliveredBeforeKill} of ada's items delivered and a batch in flight; ` +
        `sends retried after the restart ${retried}; webhooks delivered again under their event id ${redelivered}`,
    );
    expectClean(tally);
  } finally {
    await worker.kill();
  }
});
