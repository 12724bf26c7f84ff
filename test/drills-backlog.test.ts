/**
 * Drill (issue 15, 7b): a paused outbox fills its backlog. The sink refuses every batch (403: a revoked token), so
 * its outbox pauses as `faulted` while the client keeps posting. At the app's `limits.conversationBacklog` the API
 * answers 429 `conversation_backlogged` with `Retry-After`, `GET …/conversation` says so, and the metric counts it;
 * nothing accepted is dropped. An admin resumes the outbox: the backlog drains in order, once, and posts are
 * accepted again.
 */
import { conversationWorkflowId } from '../common/ids';
import { startTestSink, type TestSink } from './emulators/test-sink';
import { expectClean, reportDrill, tallyDrill } from './helpers/drill';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';

const key = testKey('backlog');
const LIMIT = 60;
let sink: TestSink;
let parley: TestParley;

beforeAll(async () => {
  sink = await startTestSink();
  parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: 'backlog',
          apiKeys: [key],
          // Re-checked only after an hour: the outbox stays paused until the admin resumes it.
          sink: { url: sink.url, policy: { batchWindowMs: 0, recheckMs: 3_600_000 } },
          limits: { conversationBacklog: { messages: LIMIT, bytes: 128 * 1024 } },
        },
      ],
    }),
    metricsPort: 0,
  });
});
afterAll(async () => {
  await parley?.stop();
  await sink?.close();
});

it('answers 429 at the limit while the outbox is paused, then delivers everything once, in order, and accepts again', async () => {
  const startedAt = Date.now();
  const call = apiClient(parley.apiUrl, key);
  const admin = apiClient(parley.apiUrl, testAdminKey);
  const base = '/v1/apps/backlog/users/paused';
  const conversationId = conversationWorkflowId('backlog', 'paused');
  const sent: string[] = [];
  const conversation = async () => (await call('GET', `${base}/conversation`)).body;

  expect((await call('POST', `${base}/messages`, { id: 'b-0', text: 'before the outage' })).status).toBe(202);
  sent.push('b-0');
  await waitFor(() => sink.items(conversationId).length === 1, { what: 'the first message delivered' });

  sink.setOutage({ status: 403, body: '{"error":"token revoked"}' });
  expect((await call('POST', `${base}/messages`, { id: 'b-1', text: 'message 1' })).status).toBe(202);
  sent.push('b-1');
  await waitFor(async () => (await conversation()).outboxes?.[0]?.status === 'faulted', { what: 'the outbox paused' });

  // Post as a client app does, one after another, until Parley says the conversation is backlogged.
  let refused: { status: number; retryAfter: string | null; code?: string } | undefined;
  for (let i = 2; i <= LIMIT * 3 && !refused; i++) {
    const res = await fetch(`${parley.apiUrl}${base}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `b-${i}`, text: `message ${i}` }),
    });
    const body = (await res.json()) as { error?: { code: string } };
    if (res.status === 202) sent.push(`b-${i}`);
    else refused = { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code };
  }
  const acceptedBeforeRefusal = sent.length;
  expect(refused).toMatchObject({ status: 429, code: 'conversation_backlogged' });
  expect(Number(refused?.retryAfter)).toBeGreaterThanOrEqual(1);
  // The queue behind the paused outbox (all but b-0): at the limit, give or take what the API let through while
  // the workflow took in the messages before it (from 80% of the limit the API reads its memo at every post). That
  // lag is a workflow task or two: 0–3 messages on an idle machine, 7 once on a loaded CI machine. The hard bound
  // is the limit plus the few seconds of posts a loaded worker can fall behind (a quarter of the limit here).
  const held = acceptedBeforeRefusal - 1;
  expect(held).toBeGreaterThanOrEqual(LIMIT);
  expect(held).toBeLessThanOrEqual(LIMIT + LIMIT / 4);

  const shown = await conversation();
  expect(shown.backlog).toMatchObject({ full: true, messages: held, limits: { messages: LIMIT } });
  expect(shown.outboxes[0]).toMatchObject({ status: 'faulted', pending: held });
  const metrics = await (await fetch(parley.metricsUrl as string)).text();
  expect(metrics).toMatch(/parley_conversation_backlogged_total\{app="backlog"\} [1-9]/);

  // The vendor is fixed; an admin resumes the outbox.
  sink.setOutage(undefined);
  expect((await admin('POST', `${base}/outboxes/resume`, {})).status).toBe(202);
  await waitFor(() => sink.items(conversationId).length >= sent.length, {
    timeoutMs: 60_000,
    what: 'the backlog delivered',
  });

  // Accepted again once the backlog drained (the API's view of a full backlog is refreshed every second).
  const after = `b-${LIMIT * 3 + 1}`;
  await waitFor(
    async () => (await call('POST', `${base}/messages`, { id: after, text: 'after the resume' })).status === 202,
    { timeoutMs: 15_000, what: 'a post accepted again' },
  );
  sent.push(after);
  await waitFor(() => sink.items(conversationId).length >= sent.length, { what: 'the message after the resume' });
  expect((await conversation()).backlog).toMatchObject({ full: false, messages: 0 });

  const received = sink.items(conversationId).map((item) => item.messageId ?? '');
  const tally = tallyDrill('backlog', { paused: sent }, { paused: received }, sink.duplicates());
  reportDrill(
    tally,
    startedAt,
    `limit ${LIMIT}; ${held} held behind the paused outbox when the API answered 429 (Retry-After ` +
      `${refused?.retryAfter} s); ${sink.batches(conversationId).length} batches`,
  );
  expectClean(tally);
}, 120_000);
