/** The conversation's state bounds (workflows/bounds.ts) and the backlog's verdicts (common/backlog.ts), as tables. */
import { jsonBytes } from '../../../common/budgets';
import { nextBacklog, backlogRetryAfterSeconds } from '../../../common/backlog';
import type { OutboxItem, OutboxState } from '../../../common/conversation';
import {
  AGENT_TEXT_BYTES,
  BATCH_BYTES,
  batchCount,
  boundedReply,
  migrateState,
  readyToCarry,
  recentMessages,
  releaseHeld,
  resolveItem,
  seenKey,
  storeMessage,
  WINDOW_BYTES,
} from '../../../workflows/bounds';
import type { ConversationState, StoredMessage } from '../../../workflows/definitions';

function emptyState(): ConversationState {
  return {
    appId: 'a',
    userId: 'u',
    profile: {},
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    messages: [],
    seenIds: [],
    integrations: [],
    outboxes: {},
    refs: {},
    totalMessages: 0,
  };
}

function box(key: string, status: OutboxState['status'] = 'idle'): OutboxState {
  return {
    key,
    policy: { batchWindowMs: 0 },
    enabled: true,
    queue: [],
    status,
    recentSends: [],
    delivered: 0,
    batches: 0,
    rateLimits: 0,
  };
}

const big = (i: number): StoredMessage => ({ id: `m${i}`, role: 'user', text: '\u0001'.repeat(8000), at: `t${i}` });

function queue(state: ConversationState, key: string, message: StoredMessage, bytes: number): void {
  (state.outboxes[key] as OutboxState).queue.push({
    eventId: `e-${message.id}`,
    kind: 'message:user',
    enqueuedAt: 0,
    seq: message.seq,
    bytes,
  });
}

describe('the state of an older run', () => {
  it('turns queue items that carried a copy into references, keeping each message once', () => {
    const state = emptyState();
    const inWindow = { id: 'w', role: 'user' as const, text: 'in the window', at: 't1' };
    const gone = { id: 'g', role: 'user' as const, text: 'left the window', at: 't0' };
    state.messages = [{ ...inWindow }];
    state.outboxes.sink = box('sink', 'faulted');
    state.outboxes.slack = box('slack', 'faulted');
    const copy = (m: typeof inWindow): OutboxItem => ({
      eventId: `e-${m.id}`,
      kind: 'message:user',
      enqueuedAt: 0,
      message: { ...m },
    });
    state.outboxes.sink.queue = [copy(gone), copy(inWindow)];
    state.outboxes.slack.queue = [copy(gone)];

    migrateState(state);
    const items = [...state.outboxes.sink.queue, ...state.outboxes.slack.queue];
    expect(items.every((item) => item.message === undefined && item.seq !== undefined)).toBe(true);
    expect(state.held?.map((m) => m.id)).toEqual(['g']);
    expect(resolveItem(state, state.outboxes.sink.queue[0] as OutboxItem).message).toEqual(gone);
    expect(resolveItem(state, state.outboxes.sink.queue[1] as OutboxItem).message).toEqual(inWindow);
    expect(resolveItem(state, state.outboxes.slack.queue[0] as OutboxItem).message).toEqual(gone);
    // Idempotent: a second start changes nothing.
    const before = JSON.stringify(state);
    migrateState(state);
    expect(JSON.stringify(state)).toBe(before);
  });
});

describe('the window', () => {
  it('keeps at most WINDOW_BYTES; what leaves it while queued is held once, and released once sent', () => {
    const state = emptyState();
    migrateState(state);
    state.outboxes.sink = box('sink', 'faulted');
    for (let i = 0; i < 10; i++) {
      const m = big(i);
      const bytes = storeMessage(state, m);
      queue(state, 'sink', m, bytes);
    }
    expect(state.messages.reduce((n, m) => n + jsonBytes(m), 0)).toBeLessThanOrEqual(WINDOW_BYTES);
    expect(state.messages.length).toBeGreaterThan(0);
    expect(state.messages.length + (state.held?.length ?? 0)).toBe(10);
    expect(state.heldBytes).toBe((state.held ?? []).reduce((n, m) => n + jsonBytes(m), 0));
    for (const item of state.outboxes.sink.queue) expect(resolveItem(state, item).message?.text).toHaveLength(8000);

    state.outboxes.sink.queue.splice(0, 8);
    releaseHeld(state);
    expect(state.held).toEqual([]);
    expect(state.heldBytes).toBe(0);
  });

  it('sends a reopened outbox at most 10 recent messages within its byte budget, without seq', () => {
    const state = emptyState();
    migrateState(state);
    for (let i = 0; i < 30; i++) storeMessage(state, { id: `s${i}`, role: 'user', text: `short ${i}`, at: `t${i}` });
    const recent = recentMessages(state, 10);
    expect(recent.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => `s${20 + i}`));
    expect(recent.every((m) => !('seq' in m))).toBe(true);
  });
});

describe('a batch', () => {
  it('is cut by bytes as well as by count, one oversized item alone', () => {
    const state = emptyState();
    migrateState(state);
    state.outboxes.sink = box('sink');
    for (let i = 0; i < 50; i++) {
      const m = big(i);
      queue(state, 'sink', m, storeMessage(state, m));
    }
    const n = batchCount(state, state.outboxes.sink, 50, 500);
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(50);
    const items = state.outboxes.sink.queue.slice(0, n).map((item) => resolveItem(state, item));
    expect(jsonBytes({ items })).toBeLessThanOrEqual(BATCH_BYTES);
    expect(batchCount(state, state.outboxes.sink, 50, BATCH_BYTES)).toBe(1);
  });
});

describe('an agent reply', () => {
  it('over its budget is cut at a marker naming its size and where to read it', () => {
    const { reply, cutFrom } = boundedReply({
      id: 'zendesk:1',
      source: 'zendesk',
      agent: { name: 'Ana' },
      text: 'A'.repeat(2_000_000),
      at: 't',
    });
    expect(cutFrom).toBe(2_000_000);
    expect(jsonBytes(reply.text) - 2).toBeLessThanOrEqual(AGENT_TEXT_BYTES);
    expect(reply.text).toMatch(/\[… cut by Parley: the reply was 1954 kB; read it whole in Zendesk\]$/);
    const small = { id: 'x', source: 'slack', agent: { name: 'A' }, text: 'hi', at: 't' };
    expect(boundedReply(small)).toEqual({ reply: small });
  });
});

describe('the backlog', () => {
  const limits = { messages: 10, bytes: 1000 };
  function withQueue(status: OutboxState['status'], n: number, bytes = 10): Record<string, OutboxState> {
    const b = box('sink', status);
    for (let i = 0; i < n; i++) b.queue.push({ eventId: `e${i}`, kind: 'message:user', enqueuedAt: 0, bytes });
    return { sink: b };
  }

  it.each([
    ['a healthy outbox, however long its queue', withQueue('batching', 50), undefined, undefined],
    ['a blocked outbox under 80%', withQueue('faulted', 7), undefined, undefined],
    ['a blocked outbox at 80%', withQueue('faulted', 8), undefined, { full: false, near: true }],
    ['a blocked outbox at its count', withQueue('faulted', 10), undefined, { full: true, outbox: 'sink' }],
    ['a blocked outbox at its bytes', withQueue('rate_limited', 2, 500), undefined, { full: true }],
    ['full, draining but above 90%', withQueue('sending', 9), { full: true }, undefined],
    ['full, drained below 90%', withQueue('sending', 8), { full: true }, { full: false, near: true }],
    ['near, drained below 70%', withQueue('sending', 6), { full: false, near: true }, { full: false }],
  ])('%s', (_name, outboxes, current, expected) => {
    const next = nextBacklog(outboxes, limits, current, 0);
    if (expected === undefined) expect(next).toBeUndefined();
    else expect(next).toMatchObject(expected);
  });

  it('counts a send retried for over a minute as blocked', () => {
    const outboxes = withQueue('sending', 10);
    (outboxes.sink as OutboxState).sendingSince = 0;
    expect(nextBacklog(outboxes, limits, undefined, 30_000)).toBeUndefined();
    expect(nextBacklog(outboxes, limits, undefined, 60_000)).toMatchObject({ full: true });
  });

  it('tells a client when to retry: the blocking outbox’s deadline, within 1 s … 5 min', () => {
    expect(backlogRetryAfterSeconds({ full: true, retryAt: 10_500 }, 0)).toBe(11);
    expect(backlogRetryAfterSeconds({ full: true, retryAt: 10_000_000 }, 0)).toBe(300);
    expect(backlogRetryAfterSeconds({ full: true }, 0)).toBe(30);
  });

  it('lets continue-as-new carry the state once what is held fits, or nothing can deliver', () => {
    const state = emptyState();
    migrateState(state);
    state.held = [big(1), big(2), big(3)];
    state.heldBytes = jsonBytes(state.held);
    state.outboxes = withQueue('batching', 3);
    expect(readyToCarry(state, 0)).toBe(false);
    state.outboxes = withQueue('faulted', 3);
    expect(readyToCarry(state, 0)).toBe(true);
  });
});

describe('dedupe ids', () => {
  it('keeps long ids short', () => {
    expect(seenKey('msg_short')).toBe('msg_short');
    const long = 'x'.repeat(128);
    expect(seenKey(long)).toMatch(/^#[0-9a-f]{16}$/);
    expect(seenKey(long)).toBe(seenKey('x'.repeat(128)));
    expect(seenKey(long)).not.toBe(seenKey(`${'x'.repeat(127)}y`));
  });
});
