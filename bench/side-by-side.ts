/**
 * Figure 0: Parley read against its ceilings, in one run on one dev server with one sink (bench/timed-sink.ts):
 * - ingest: raw `signalWithStart` of the trivial workflow against `POST …/messages`;
 * - end-to-end throughput and open-loop latency: the minimal relay (bench/reference-workflows.ts: one workflow per
 *   conversation, one activity per message) against Parley with the sink integration, send → arrival at the sink.
 * `--quick` (or BENCH_SIDE_MESSAGES / BENCH_SIDE_SECONDS) makes it smaller.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { waitFor } from '../test/helpers/wait';
import { pool, postJson, root, spawnNode, startStack, type Harness } from './harness';
import { envNumber, latencies, ms, num, printTable, workerSettings, type Latency } from './report';
import { minimalRelay, pingSignal, relayMessageSignal, trivial } from './reference-workflows';
import { startTimedSink, type TimedSink } from './timed-sink';

interface Rate {
  perSecond: number;
  latency: Latency;
}

/** `total` calls at `concurrency`: calls per second and each call's latency. */
async function closedLoop(total: number, concurrency: number, call: (i: number) => Promise<void>): Promise<Rate> {
  const times: number[] = [];
  const t0 = performance.now();
  await pool(total, concurrency, async (i) => {
    const started = performance.now();
    await call(i);
    times.push(performance.now() - started);
  });
  return { perSecond: total / ((performance.now() - t0) / 1000), latency: latencies(times) };
}

/** Sends `total` messages named `<prefix><i>` and waits for all at the sink: delivered per second, end to end. */
async function endToEnd(
  sink: TimedSink,
  prefix: string,
  total: number,
  concurrency: number,
  send: (i: number, text: string) => Promise<void>,
): Promise<Rate> {
  const sentAt = new Map<string, number>();
  const t0 = Date.now();
  await pool(total, concurrency, async (i) => {
    const text = `${prefix}${i}`;
    sentAt.set(text, Date.now());
    await send(i, text);
  });
  await waitFor(() => sink.count(prefix) >= total, { timeoutMs: 900_000, intervalMs: 200, what: `${prefix}all` });
  const arrivals = [...sentAt.keys()].map((t) => sink.arrivedAt(t) ?? NaN);
  const last = Math.max(...arrivals);
  return {
    perSecond: total / ((last - t0) / 1000),
    latency: latencies([...sentAt].map(([t, at]) => (sink.arrivedAt(t) ?? NaN) - at)),
  };
}

/** Open loop: message i leaves at t0 + i / rate whatever the answers do; latency send → arrival. */
async function openLoop(
  sink: TimedSink,
  prefix: string,
  rate: number,
  seconds: number,
  send: (i: number, text: string) => Promise<void>,
): Promise<Latency & { achieved: number }> {
  const total = Math.max(1, Math.round(rate * seconds));
  const sentAt = new Map<string, number>();
  const inFlight: Promise<void>[] = [];
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const text = `${prefix}${i}`;
    sentAt.set(text, Date.now());
    inFlight.push(send(i, text));
  }
  await Promise.all(inFlight);
  await waitFor(() => sink.count(prefix) >= total, { timeoutMs: 600_000, intervalMs: 100, what: `${prefix}all` });
  const arrivals = [...sentAt].map(([t, at]) => (sink.arrivedAt(t) ?? NaN) - at);
  const last = Math.max(...[...sentAt.keys()].map((t) => sink.arrivedAt(t) ?? NaN));
  return { ...latencies(arrivals), achieved: total / ((last - start) / 1000) };
}

const ratio = (parley: number, reference: number): string => num(parley / reference, 2);

export async function sideBySide(h: Harness, quick: boolean): Promise<void> {
  const messages = envNumber('BENCH_SIDE_MESSAGES', quick ? 500 : 3000);
  const seconds = envNumber('BENCH_SIDE_SECONDS', quick ? 10 : 20);
  const concurrency = envNumber('BENCH_CONCURRENCY', 32);
  const ingestConversations = quick ? 50 : 100;
  const relayConversations = quick ? 50 : 200;
  const step = (what: string): void => void process.stderr.write(`  side by side: ${what}\n`);
  const sink = await startTimedSink();
  const taskQueue = 'bench-reference';
  const reference = await spawnNode(
    path.join(root, 'bench', 'trivial-worker.ts'),
    { TEMPORAL_ADDRESS: h.server.address, BENCH_TASK_QUEUE: taskQueue, BENCH_SINK_URL: sink.url },
    'worker running',
  );
  const key = `bench_${randomUUID().replace(/-/g, '')}`;
  const stack = await startStack(h, 'side', { apps: [{ id: 'side', apiKeys: [key], sink: { url: sink.url } }] });
  const parley = async (user: string, text: string): Promise<void> => {
    const res = await postJson(`${stack.apiUrl}/v1/apps/side/users/${user}/messages`, key, { text });
    if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
  };
  const relay = async (conversation: string, text: string): Promise<void> => {
    await h.client.workflow.signalWithStart(minimalRelay, {
      workflowId: `side-relay-${conversation}`,
      taskQueue,
      args: [`side-relay-${conversation}`],
      signal: relayMessageSignal,
      signalArgs: [{ eventId: `evt_${randomUUID()}`, text }],
    });
  };
  const rows: (string | number)[][] = [];
  try {
    step('warm-up');
    // Warm-up: every conversation of both relays exists, so the figures measure messages, not starts.
    await pool(relayConversations, concurrency, async (c) => {
      await Promise.all([relay(`c${c}`, `warm-r ${c}`), parley(`c${c}`, `warm-p ${c}`)]);
    });
    await waitFor(() => sink.count('warm-r ') + sink.count('warm-p ') >= 2 * relayConversations, {
      timeoutMs: 300_000,
      intervalMs: 250,
      what: 'the warm-up delivered',
    });

    step('ingest');
    const raw = await closedLoop(messages, concurrency, async (i) => {
      await h.client.workflow.signalWithStart(trivial, {
        workflowId: `side-trivial-${i % ingestConversations}`,
        taskQueue,
        args: [],
        signal: pingSignal,
        signalArgs: [i],
      });
    });
    const ingest = await closedLoop(messages, concurrency, (i) => parley(`i${i % ingestConversations}`, `in ${i}`));
    rows.push([
      `ingest: ${num(messages)} messages over ${ingestConversations} conversations, ${concurrency} clients`,
      'raw signalWithStart',
      `${num(raw.perSecond)}/s, p99 ${ms(raw.latency.p99)}`,
      `${num(ingest.perSecond)}/s, p99 ${ms(ingest.latency.p99)}`,
      ratio(ingest.perSecond, raw.perSecond),
    ]);
    await waitFor(() => sink.count('in ') >= messages, { timeoutMs: 900_000, intervalMs: 250, what: 'ingest drained' });

    step('end to end');
    const relayMax = await endToEnd(sink, 'e2e-r ', messages, concurrency, (i, t) =>
      relay(`c${i % relayConversations}`, t),
    );
    const parleyMax = await endToEnd(sink, 'e2e-p ', messages, concurrency, (i, t) =>
      parley(`c${i % relayConversations}`, t),
    );
    rows.push([
      `end to end: ${num(messages)} messages over ${relayConversations} conversations`,
      'minimal relay',
      `${num(relayMax.perSecond, 1)}/s`,
      `${num(parleyMax.perSecond, 1)}/s`,
      ratio(parleyMax.perSecond, relayMax.perSecond),
    ]);

    // Half of the lower maximum, so both run at the same rate and neither is saturated.
    const rate = envNumber(
      'BENCH_SIDE_RATE',
      Math.max(1, Math.round(Math.min(relayMax.perSecond, parleyMax.perSecond) / 2)),
    );
    step(`open loop at ${rate}/s`);
    const relayOpen = await openLoop(sink, 'open-r ', rate, seconds, (i, t) => relay(`c${i % relayConversations}`, t));
    const parleyOpen = await openLoop(sink, 'open-p ', rate, seconds, (i, t) =>
      parley(`c${i % relayConversations}`, t),
    );
    rows.push([
      `open loop at ${num(rate)} msg/s for ${seconds} s, send → arrival: p50`,
      'minimal relay',
      ms(relayOpen.p50),
      ms(parleyOpen.p50),
      ratio(parleyOpen.p50, relayOpen.p50),
    ]);
    rows.push([
      `open loop at ${num(rate)} msg/s: p99 (goal ≤ 1.2)`,
      'minimal relay',
      ms(relayOpen.p99),
      ms(parleyOpen.p99),
      ratio(parleyOpen.p99, relayOpen.p99),
    ]);
    rows.push(['duplicates at the sink', '–', '–', num(sink.duplicates()), '–']);
  } finally {
    await stack.stop();
    await reference.stop();
    await sink.close();
  }
  printTable(
    '0. Side by side: Parley against raw Temporal and a minimal relay',
    { messages, concurrency, openLoopSeconds: seconds, sink: 'bench/timed-sink.ts (no latency)', ...workerSettings() },
    ['figure', 'reference', 'the reference', 'Parley', 'Parley ÷ reference'],
    rows,
    [
      'The same dev server, the same sink, one after the other in this run. Parley is reached over HTTP through its',
      'API process (which calls signalWithStart); the references are called by the bench’s own Temporal client.',
      'Minimal relay: one workflow per conversation, one activity per message, the sink’s retry check before each post.',
    ],
  );
}
