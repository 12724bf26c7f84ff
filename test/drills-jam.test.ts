/**
 * Drill (issue 15, 7a): the jam. 50 maximum-size messages (8,000 control characters, about 48 kB each as Temporal
 * stores them, with as much metadata as the API takes) posted inside one 5-second batch window to one conversation.
 * Before batches were cut by bytes, the one batch was a 2.4 MB activity input: over Temporal's 2 MB payload limit,
 * the workflow task failed about three times a second, forever, and nothing was delivered. Every message must
 * arrive once, in order, and no workflow task may fail. The worker sends by the regular activity only: a local
 * first attempt's input never reaches the server (its result does, in a marker), while a send that falls back to the
 * regular activity (a slow vendor, a retry) hands Temporal the same batch, so that is the input measured here.
 */
import { conversationWorkflowId } from '../common/ids';
import { startTestSink, type TestSink } from './emulators/test-sink';
import { expectClean, reportDrill, tallyDrill } from './helpers/drill';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { kB, payloadFiguresOf, runChain } from './helpers/payloads';
import { waitFor } from './helpers/wait';

const key = testKey('jam');
let sink: TestSink;
let parley: TestParley;

beforeAll(async () => {
  sink = await startTestSink();
  parley = await startTestParley({
    maxLocalSends: 0,
    config: testConfig({
      // A Zendesk-like batch window: everything posted within 5 s of the first pending message goes together.
      apps: [{ id: 'jam', apiKeys: [key], sink: { url: sink.url, policy: { batchWindowMs: 5000 } } }],
    }),
  });
});
afterAll(async () => {
  await parley?.stop();
  await sink?.close();
});

/** The biggest message bodies the API may accept, largest first: the drill uses the first one it takes. */
function candidates(i: number): { text: string; metadata?: Record<string, string> }[] {
  const tag = ` #${i}`;
  const controls = '\u0001'.repeat(8000 - tag.length) + tag;
  return [
    { text: controls, metadata: { blob: 'm'.repeat(60_000) } },
    { text: controls, metadata: { blob: 'm'.repeat(16_000) } },
    { text: controls },
    // What the API's own budgets take (common/limits.ts): 8,000 CJK characters (24 kB) and 8 kB of metadata.
    { text: '語'.repeat(8000 - tag.length) + tag, metadata: { blob: 'm'.repeat(8000) } },
    { text: '語'.repeat(8000 - tag.length) + tag },
  ];
}

it('delivers 50 maximum-size messages posted in one batch window, once and in order, with no failed workflow task', async () => {
  const startedAt = Date.now();
  const call = apiClient(parley.apiUrl, key);
  const path = '/v1/apps/jam/users/jammer/messages';
  const conversationId = conversationWorkflowId('jam', 'jammer');
  const sent: string[] = [];

  // The first message finds the largest body the API accepts (its own budgets may be tighter than 48 kB + 60 kB).
  let variant = -1;
  for (const [v, body] of candidates(0).entries()) {
    const res = await call('POST', path, { id: 'jam-0', ...body });
    if (res.status === 202) {
      variant = v;
      break;
    }
    expect([400, 413]).toContain(res.status);
  }
  expect(variant).toBeGreaterThanOrEqual(0);
  sent.push('jam-0');
  for (let i = 1; i < 50; i++) {
    const res = await call('POST', path, { id: `jam-${i}`, ...candidates(i)[variant] });
    expect(res.status).toBe(202);
    sent.push(`jam-${i}`);
  }
  // All 50 inside the window (sequential posts of ~100 kB take well under 5 s here).
  const postedIn = Date.now() - startedAt;

  const received = () => sink.items(conversationId).map((item) => item.messageId ?? '');
  await waitFor(() => received().length >= sent.length, { timeoutMs: 60_000, what: 'all 50 messages at the sink' });

  // Every run: the history may pass Temporal's size for continue-as-new (4 MB) on the way.
  const runs = await runChain(parley.client, conversationId);
  const figures = await payloadFiguresOf(parley.client, conversationId, runs);
  const tally = tallyDrill('jam', { jammer: sent }, { jammer: received() }, sink.duplicates());
  reportDrill(
    tally,
    startedAt,
    `posted in ${postedIn} ms as variant ${variant} (${kB(JSON.stringify(candidates(1)[variant]).length)} of JSON ` +
      `before escapes); ${sink.batches(conversationId).length} batches; largest activity input ` +
      `${kB(figures.activityInput)}, largest signal ${kB(figures.signal)}, largest continue-as-new input ` +
      `${kB(figures.continueAsNewInput)} over ${runs.length} runs; ${figures.workflowTaskFailures} failed workflow tasks`,
  );
  expect(figures.failures).toEqual([]);
  expect(figures.workflowTaskFailures).toBe(0);
  expect(figures.activityInput).toBeGreaterThan(0);
  expect(figures.activityInput).toBeLessThan(512 * 1024);
  expect(figures.continueAsNewInput).toBeLessThan(512 * 1024);
  expectClean(tally);
}, 120_000);
