/**
 * The worst state the API allows (issue 15, item 2), built through the real API against a real dev server: the
 * largest messages it accepts (8,000 control characters, about 48 kB each as Temporal stores them, with as much
 * metadata as it takes), long CJK messages, a large profile, many short messages with the longest ids, all queued
 * behind a paused outbox until the API answers 429; agent replies of 1 and 1.8 MB signalled as an inbound path
 * would if it did not cut them (the workflow cuts them itself). Continue-as-new is forced every few dozen events,
 * so the carried state is measured many times. The largest signal, activity input and continue-as-new input,
 * read from every run's history, stay under 512 kB; the figures are printed. Sends go by the regular activity only
 * (a local first attempt's input never reaches the server; a send that falls back hands it the same batch).
 */
import { conversationWorkflowId } from '../common/ids';
import { startTestSink, type TestSink } from './emulators/test-sink';
import { agentReply, conversationState } from './helpers/agent';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { kB, payloadFiguresOf, runChain } from './helpers/payloads';
import { waitFor } from './helpers/wait';

const key = testKey('worst');
let sink: TestSink;
let parley: TestParley;
const LIMIT = 512 * 1024;

beforeAll(async () => {
  sink = await startTestSink();
  parley = await startTestParley({
    config: testConfig({
      apps: [
        { id: 'worst', apiKeys: [key], sink: { url: sink.url, policy: { batchWindowMs: 0, recheckMs: 3_600_000 } } },
      ],
    }),
    continueAsNewAfterEvents: 80,
    maxLocalSends: 0,
  });
});
afterAll(async () => {
  await parley?.stop();
  await sink?.close();
});

/** Posts the first of `bodies` the API accepts (its budgets may be tighter than these); the status of the last try. */
async function postLargest(call: ReturnType<typeof apiClient>, path: string, bodies: object[]): Promise<number> {
  let status = 0;
  for (const body of bodies) {
    status = (await call('POST', path, body)).status;
    if (status !== 400 && status !== 413) return status;
  }
  return status;
}

it('keeps every signal, activity input and continue-as-new input under 512 kB in the worst state', async () => {
  const call = apiClient(parley.apiUrl, key);
  const admin = apiClient(parley.apiUrl, testAdminKey);
  const base = '/v1/apps/worst/users/worst-user';
  const conversationId = conversationWorkflowId('worst', 'worst-user');
  const accepted: string[] = [];

  // A profile as large as the API takes.
  for (const size of [90_000, 60_000, 16_000, 4_000]) {
    const res = await call('PUT', base, {
      givenName: '名'.repeat(200),
      properties: { notes: '\u0002'.repeat(size / 6) },
    });
    if (res.status === 202) break;
  }
  expect((await call('POST', `${base}/messages`, { id: 'w-first', text: 'hello' })).status).toBe(202);
  accepted.push('w-first');
  await waitFor(() => sink.items(conversationId).length === 1, { what: 'the first delivery' });

  // The outbox pauses (a revoked token); the client keeps posting the largest messages the API accepts.
  sink.setOutage({ status: 403, body: '{"error":"token revoked"}' });
  expect((await call('POST', `${base}/messages`, { id: 'w-pause', text: 'pause' })).status).toBe(202);
  accepted.push('w-pause');
  await waitFor(async () => (await call('GET', `${base}/conversation`)).body.outboxes?.[0]?.status === 'faulted', {
    what: 'the outbox paused',
  });

  const controls = (i: number) => '\u0001'.repeat(7990) + ` #${i}`;
  const cjk = (i: number) => '語'.repeat(7990) + ` #${i}`;
  const longId = (i: number) => `w-${String(i).padStart(6, '0')}-${'x'.repeat(119)}`;
  let refusals = 0;
  for (let i = 0; i < 1500 && refusals < 3; i++) {
    const text = i === 0 ? controls(i) : i === 1 ? cjk(i) : `short message ${i}`;
    const id = longId(i);
    // The largest first; then what the API's own budgets take (24 kB of text, 8 kB of metadata).
    const bodies =
      i <= 1
        ? [
            { id, text, metadata: { blob: 'm'.repeat(60_000) } },
            { id, text, metadata: { blob: 'm'.repeat(16_000) } },
            { id, text: cjk(i), metadata: { blob: 'm'.repeat(8000) } },
            { id, text: cjk(i) },
          ]
        : [{ id, text, metadata: { device: { os: 'iOS 19', app: '7.1' } } }];
    const status = await postLargest(call, `${base}/messages`, bodies);
    if (status === 202) accepted.push(id);
    else {
      expect(status).toBe(429);
      refusals++;
    }
    // Once the backlog is full, two agent replies of 1 and 1.8 MB, as a path that did not cut them would signal
    // them: an agent cannot be told to wait, so they go on top of the full backlog.
    if (refusals === 1 && status === 429) {
      await agentReply(parley.client, 'worst', 'worst-user', 'zendesk:big-1', 'A'.repeat(1_000_000), 'zendesk');
      await agentReply(parley.client, 'worst', 'worst-user', 'helpscout:big-2', '語'.repeat(600_000), 'helpscout');
    }
  }
  expect(refusals).toBeGreaterThan(0);
  const full = await call('GET', `${base}/conversation`);
  expect(full.body.backlog).toMatchObject({ full: true });
  const queried = JSON.stringify(await conversationState(parley.client, 'worst', 'worst-user')).length;

  // The agent replies were kept cut, at a marker naming where to read them whole.
  const window = (await call('GET', `${base}/messages`)).body.messages as { id: string; text: string }[];
  const state = await conversationState(parley.client, 'worst', 'worst-user');
  const stored = [...state.messages, ...(state.held ?? [])].find((m) => m.id === 'zendesk:big-1');
  if (stored) expect(stored.text).toMatch(/\[… cut by Parley: the reply was 977 kB; read it whole in Zendesk\]$/);

  // Resumed: everything accepted drains, in batches cut by bytes.
  sink.setOutage(undefined);
  expect((await admin('POST', `${base}/outboxes/resume`, {})).status).toBe(202);
  const userMessages = () => sink.items(conversationId).filter((item) => item.kind === 'message:user');
  await waitFor(() => userMessages().length >= accepted.length, { timeoutMs: 120_000, what: 'the backlog delivered' });
  expect(userMessages().map((item) => item.messageId)).toEqual(accepted);

  const runs = await runChain(parley.client, conversationId);
  const figures = await payloadFiguresOf(parley.client, conversationId, runs);
  const apiSignal = Math.max(figures.signals.userMessage ?? 0, figures.signals.profileUpdate ?? 0);
  process.stdout.write(
    `worst state: ${accepted.length} messages accepted, ${refusals} answered 429, window ${window.length} messages, ` +
      `${runs.length} runs; largest signal from the API ${kB(apiSignal)} (raw agent replies ${kB(figures.signals.agentReply ?? 0)}), ` +
      `activity input ${kB(figures.activityInput)}, continue-as-new input ${kB(figures.continueAsNewInput)}, ` +
      `query answer ${kB(queried)}; ${figures.workflowTaskFailures} failed workflow tasks ` +
      `(and ${figures.unhandledCommands} completions that raced a signal)\n`,
  );
  expect(figures.failures).toEqual([]);
  expect(apiSignal).toBeLessThan(LIMIT);
  expect(figures.activityInput).toBeGreaterThan(0);
  expect(figures.activityInput).toBeLessThan(LIMIT);
  expect(figures.continueAsNewInput).toBeLessThan(LIMIT);
  expect(figures.continueAsNewInput).toBeGreaterThan(0);
}, 300_000);
