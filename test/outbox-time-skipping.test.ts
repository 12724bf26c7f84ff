/**
 * The outbox's long waits, in seconds of real time: a week of retries becoming a fault, re-checks backing off to an
 * hour, a Zendesk ticket locked for minutes, a batch window of an hour. Parley's real workflows, activities and API on
 * Temporal's time-skipping test server (test/helpers/time-skipping.ts); the activities talk real HTTP to the sink and
 * Zendesk emulators. Between `skip`s the server's clock runs at real speed, and every wait checked here is a minute or
 * more, so a skip decides what has happened and an assertion right after it sees a settled state.
 */
import { resolveItem } from '../workflows/bounds';
import { conversationWorkflowId } from '../common/ids';
import type { OutboxState } from '../common/conversation';
import { conversationState } from './helpers/agent';
import { apiClient, testAdminKey, testConfig, testKey } from './helpers/parley';
import { startTimeSkippingParley, type TimeSkippingParley } from './helpers/time-skipping';
import { waitFor } from './helpers/wait';
import { startTestSink, type SinkItem, type TestSink } from './emulators/test-sink';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let sink: TestSink;
let zd: ZendeskEmulator;
let ts: TimeSkippingParley;

beforeAll(async () => {
  sink = await startTestSink();
  zd = await startZendeskEmulator();
});
afterAll(async () => {
  await zd?.close();
  await sink?.close();
});
// A server of its own for each test: skipped time is global to a server, and each test starts at the real clock.
beforeEach(async () => {
  const sinkOf = (policy: Record<string, unknown>) => ({ url: sink.url, policy });
  ts = await startTimeSkippingParley({
    config: testConfig({
      apps: [
        // Re-checks six hours apart, so the week's fault stays in view until the test resumes it.
        { id: 'weekly', apiKeys: [testKey('weekly')], sink: sinkOf({ batchWindowMs: 0, recheckMs: 6 * HOUR }) },
        // Parley's default re-check backoff: 1 min, doubling, at most an hour.
        { id: 'recheck', apiKeys: [testKey('recheck')], sink: sinkOf({ batchWindowMs: 0 }) },
        { id: 'digest', apiKeys: [testKey('digest')], sink: sinkOf({ batchWindowMs: HOUR }) },
        {
          id: 'zd',
          apiKeys: [testKey('zd')],
          zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
        },
      ],
    }),
  });
}, 60_000);
afterEach(async () => {
  await ts?.stop();
});

function as(appId: string) {
  const key = ts.config.apps.find((a) => a.id === appId)?.apiKeys[0] as string;
  const call = apiClient(ts.apiUrl, key);
  const admin = apiClient(ts.apiUrl, testAdminKey);
  return {
    post: async (user: string, text: string) => {
      const res = await call('POST', `/v1/apps/${appId}/users/${user}/messages`, { text, id: `${user}-${text}` });
      expect(res.status).toBe(202);
    },
    resume: (user: string, outbox: string) =>
      admin('POST', `/v1/apps/${appId}/users/${user}/outboxes/resume`, { outbox }),
    /** The outbox as the `conversation` query shows it, its queue items with their messages (stored once, by seq). */
    box: async (user: string, outbox = 'sink'): Promise<OutboxState | undefined> => {
      const state = await conversationState(ts.client, appId, user);
      const box = state.outboxes[outbox];
      return box && { ...box, queue: box.queue.map((item) => resolveItem(state, item)) };
    },
  };
}

const texts = (items: SinkItem[]) => items.map((i) => i.text);
const batchesOf = (appId: string, user: string) => sink.batches(conversationWorkflowId(appId, user)).map(texts);
const queued = (box: OutboxState | undefined) => box?.queue.map((i) => i.message?.text);

describe('outbox long waits, time skipped', () => {
  it('turns a week of transient failures into a fault, loses nothing, and delivers each message once on resume', async () => {
    const a = as('weekly');
    sink.setOutage({ status: 503 });
    const start = await ts.now();
    await a.post('w', 'w1');
    await a.post('w', 'w2');
    await waitFor(() => sink.requests() > 0, { what: 'the first attempt' });

    await ts.skip('3 days');
    // Temporal retries the send (its activity retry policy, backing off to 10 minutes); the outbox is not faulted yet.
    const midweek = await a.box('w');
    expect(midweek).toMatchObject({ status: 'sending', delivered: 0 });
    expect(midweek?.fault).toBeUndefined();
    expect(sink.requests()).toBeGreaterThan(3 * 24 * 5);
    await a.post('w', 'w3');

    // The send's scheduleToClose is 7 days: past it, the outbox shows the last failure as a fault.
    await ts.skip('4 days');
    const faultedBox = async () => {
      const box = await a.box('w');
      return box?.status === 'faulted' ? box : undefined;
    };
    // On a loaded machine the last attempts of the week run in real time; if the week's end is not reached yet, an
    // hour more is skipped (the re-check is 6 hours off, so the fault is still the first one).
    let faulted: OutboxState | undefined = await waitFor(faultedBox, {
      what: 'the fault after a week',
      timeoutMs: 20_000,
    }).catch(() => undefined);
    if (!faulted) {
      await ts.skip('1 hour');
      faulted = await waitFor(faultedBox, { what: 'the fault after a week and an hour' });
    }
    expect(faulted.fault).toMatchObject({ type: 'sink_unavailable', attempts: 1 });
    expect(faulted.fault?.message).toMatch(/503/);
    const since = Date.parse(faulted.fault?.since ?? '');
    expect(since - start).toBeGreaterThan(7 * DAY - 15 * MINUTE);
    expect(since - start).toBeLessThanOrEqual(7 * DAY + HOUR + 2 * MINUTE);
    // Nothing lost, nothing half-sent.
    expect(queued(faulted)).toEqual(['w1', 'w2', 'w3']);
    expect(batchesOf('weekly', 'w')).toEqual([]);

    sink.setOutage(undefined);
    expect((await a.resume('w', 'sink')).status).toBe(202);
    await waitFor(() => batchesOf('weekly', 'w').length === 1, { what: 'delivery after resume' });
    const done = await waitFor(async () => {
      const box = await a.box('w');
      return box?.status === 'idle' ? box : undefined;
    });
    expect(batchesOf('weekly', 'w')).toEqual([['w1', 'w2', 'w3']]);
    expect(sink.duplicates()).toBe(0);
    expect(done).toMatchObject({ delivered: 3, batches: 1, queue: [] });
    expect(done.fault).toBeUndefined();
  });

  it('re-checks a permanent fault after 1, 2, 4 … minutes, at most an hour apart, and delivers when it heals', async () => {
    const a = as('recheck');
    sink.setOutage({ status: 403, body: '{"error":"token revoked"}' });
    await a.post('r', 'r1');
    let box = await waitFor(async () => {
      const b = await a.box('r');
      return b?.fault?.attempts === 1 ? b : undefined;
    });
    expect(box.status).toBe('faulted');
    expect((box.fault?.nextCheckAt ?? 0) - Date.parse(box.fault?.since ?? '')).toBe(MINUTE);

    const gaps: number[] = [];
    for (let attempts = 1; attempts <= 8; attempts++) {
      const due = box.fault?.nextCheckAt ?? 0;
      const requests = sink.requests();
      // Half a minute before the re-check is due (the clock runs at real speed between skips): nothing tried yet.
      await ts.skip(due - (await ts.now()) - 30_000);
      expect((await a.box('r'))?.fault?.attempts).toBe(attempts);
      expect(sink.requests()).toBe(requests);
      // A second past it, it has been tried once, and failed again.
      await ts.skip(31_000);
      box = await waitFor(async () => {
        const b = await a.box('r');
        return b?.fault?.attempts === attempts + 1 ? b : undefined;
      });
      expect(box.status).toBe('faulted');
      expect(sink.requests()).toBe(requests + 1);
      gaps.push((box.fault?.nextCheckAt ?? 0) - due);
    }
    // Each gap is the backoff plus the moment the re-check itself took (under a second of skipped time).
    const minutes = [2, 4, 8, 16, 32, 60, 60, 60];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual((minutes[i] ?? 0) * MINUTE);
      expect(gap).toBeLessThan((minutes[i] ?? 0) * MINUTE + 5000);
    });

    sink.setOutage(undefined);
    await ts.skip((box.fault?.nextCheckAt ?? 0) - (await ts.now()) + 1000);
    await waitFor(() => batchesOf('recheck', 'r').length === 1, { what: 'delivery on the re-check' });
    const healed = await waitFor(async () => {
      const b = await a.box('r');
      return b?.status === 'idle' ? b : undefined;
    });
    expect(batchesOf('recheck', 'r')).toEqual([['r1']]);
    expect(healed.fault).toBeUndefined();
    expect(sink.duplicates()).toBe(0);
  });

  it('holds through a Zendesk ticket lock of five minutes, then sends what is pending as one comment', async () => {
    const a = as('zd');
    const comments = (ticket: number) => (zd.ticket(ticket)?.comments ?? []).filter((c) => c.public).map((c) => c.body);
    // The workflow's clock must stay near Zendesk's here (a fresh server starts at real time): the adapter takes a
    // comment as already made only if Zendesk's `created_at` is at most a minute before the batch was queued.
    await a.post('zoe', 'z0');
    // Zendesk's outbox gathers a user's messages for 5 s into one comment.
    await ts.skip('6 seconds');
    const ticket = Number(
      await waitFor(async () => (await conversationState(ts.client, 'zd', 'zoe')).refs.zendeskTicketId, {
        what: 'the ticket',
      }),
    );
    await waitFor(() => comments(ticket).length === 1, { what: 'the first comment' });

    // The per-ticket update limit: a plain-text 429 with Retry-After in seconds.
    zd.failNext(`/api/v2/tickets/${ticket}`, {
      status: 429,
      retryAfter: 300,
      body: 'Too Many Requests',
      method: 'PUT',
    });
    await a.post('zoe', 'z1');
    await ts.skip('6 seconds');
    const held = await waitFor(
      async () => {
        const box = await a.box('zoe', 'zendesk');
        return box?.status === 'rate_limited' ? box : undefined;
      },
      { what: 'rate_limited' },
    );
    const left = (held.holdUntil ?? 0) - (await ts.now());
    expect(left).toBeGreaterThan(4 * MINUTE);
    expect(left).toBeLessThanOrEqual(5 * MINUTE);
    await a.post('zoe', 'z2');
    await a.post('zoe', 'z3');

    await ts.skip('4 minutes');
    const holding = await a.box('zoe', 'zendesk');
    expect(holding?.status).toBe('rate_limited');
    expect(queued(holding)).toEqual(['z1', 'z2', 'z3']);
    expect(comments(ticket)).toEqual(['z0']);

    await ts.skip('2 minutes');
    await waitFor(() => comments(ticket).length === 2, { what: 'the comment after the lock' });
    expect(comments(ticket)).toEqual(['z0', 'z1\n\nz2\n\nz3']);
    const after = await waitFor(async () => {
      const box = await a.box('zoe', 'zendesk');
      return box?.status === 'idle' ? box : undefined;
    });
    expect(after).toMatchObject({ rateLimits: 1, delivered: 4, batches: 2, queue: [] });
  });

  it('gathers forty minutes of messages into one batch when the window is an hour (the most config allows)', async () => {
    const a = as('digest');
    await a.post('d', 'd1');
    const opened = await waitFor(async () => (await a.box('d'))?.queue[0]?.enqueuedAt);
    for (const text of ['d2', 'd3', 'd4', 'd5']) {
      await ts.skip('10 minutes');
      await a.post('d', text);
    }
    // A minute before the window closes, everything waits.
    await ts.skip(opened + HOUR - (await ts.now()) - MINUTE);
    const waiting = await a.box('d');
    expect(waiting?.status).toBe('batching');
    expect(queued(waiting)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(batchesOf('digest', 'd')).toEqual([]);

    await ts.skip('2 minutes');
    await waitFor(() => batchesOf('digest', 'd').length === 1, { what: 'the batch' });
    expect(batchesOf('digest', 'd')).toEqual([['d1', 'd2', 'd3', 'd4', 'd5']]);

    // The next message opens a window of its own.
    await a.post('d', 'd6');
    await ts.skip('61 minutes');
    await waitFor(() => batchesOf('digest', 'd').length === 2, { what: 'the second batch' });
    expect(batchesOf('digest', 'd')).toEqual([['d1', 'd2', 'd3', 'd4', 'd5'], ['d6']]);
    expect(sink.duplicates()).toBe(0);
  });
});
