/**
 * A long conversation: thousands of messages in one conversation make a continue-as-new chain whose every run stays
 * under Temporal's suggestion (4,096 events), and every message reaches the integration once and in order.
 */
import { conversationWorkflowId } from '../common/ids';
import { CONTINUE_AS_NEW_AT_EVENTS } from '../workflows/definitions';
import { startTestSink, type TestSink } from './emulators/test-sink';
import { runsOf } from './helpers/history';
import { apiClient, NO_RATE_LIMITS, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';

/** Temporal's default `limit.historyCount.suggestContinueAsNew`. */
const TEMPORAL_SUGGESTS_AT = 4096;
const MESSAGES = 4000;
const CONCURRENCY = 16;

const key = testKey('long');
const app = `long${Date.now().toString(36)}`;
let sink: TestSink;
let parley: TestParley;

beforeAll(async () => {
  sink = await startTestSink();
  parley = await startTestParley({
    config: testConfig({ apps: [{ id: app, apiKeys: [key], sink: { url: sink.url }, limits: NO_RATE_LIMITS }] }),
  });
});
afterAll(async () => {
  await parley?.stop();
  await sink?.close();
});

it(`continues-as-new before ${TEMPORAL_SUGGESTS_AT} events by default, losing and doubling nothing`, async () => {
  const user = 'chatty';
  const call = apiClient(parley.apiUrl, key);
  let next = 0;
  const statuses: number[] = [];
  // Each client sends its next message once the last one was accepted, so its own messages have an order to keep.
  const lanes: number[][] = Array.from({ length: CONCURRENCY }, () => []);
  await Promise.all(
    lanes.map(async (lane) => {
      while (next < MESSAGES) {
        const i = next++;
        lane.push(i);
        const res = await call('POST', `/v1/apps/${app}/users/${user}/messages`, { text: `m${i}`, id: `long-${i}` });
        statuses.push(res.status);
      }
    }),
  );
  expect(statuses.filter((s) => s !== 202)).toEqual([]);

  const id = conversationWorkflowId(app, user);
  await waitFor(() => sink.items(id).length >= MESSAGES, {
    timeoutMs: 240_000,
    intervalMs: 250,
    what: 'every message at the sink',
  });
  const texts = sink.items(id).map((item) => item.text);
  expect(texts).toHaveLength(MESSAGES);
  expect(new Set(texts).size).toBe(MESSAGES);
  expect(sink.duplicates()).toBe(0);
  const position = new Map(texts.map((text, at) => [text, at]));
  for (const lane of lanes) {
    const at = lane.map((i) => position.get(`m${i}`) ?? -1);
    expect(at).toEqual([...at].sort((a, b) => a - b));
  }

  const runs = await runsOf(parley.client, id);
  // Enough events for the chain to continue at least once, and no run near Temporal's suggestion.
  expect(runs.length).toBeGreaterThan(1);
  const longest = Math.max(...runs);
  expect(longest).toBeGreaterThanOrEqual(CONTINUE_AS_NEW_AT_EVENTS);
  expect(longest).toBeLessThan(TEMPORAL_SUGGESTS_AT);
}, 300_000);
