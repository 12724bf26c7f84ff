import type { OutboxItem, OutboxState } from '../../../common/conversation';
import {
  applySendFailure,
  DEFAULT_MAX_RECHECK_MS,
  MAX_BATCH,
  nextOutboxStep,
  recheckDelayMs,
  type OutboxStep,
} from '../../../common/outbox';

const T = 1_000_000;
const item = (enqueuedAt: number, i = 0): OutboxItem => ({ eventId: `evt_${i}`, kind: 'message:user', enqueuedAt });

function box(patch: Partial<OutboxState> = {}): OutboxState {
  return {
    key: 'zendesk',
    policy: { batchWindowMs: 0 },
    enabled: true,
    queue: [item(T)],
    status: 'idle',
    recentSends: [],
    delivered: 0,
    batches: 0,
    rateLimits: 0,
    ...patch,
  };
}

const fault = { type: 'zendesk_auth_failed', message: 'no', since: 'then', attempts: 1, nextCheckAt: T + 60_000 };
const zendesk = { batchWindowMs: 5000, budget: { max: 2, periodMs: 600_000 } };

describe('the outbox’s next step', () => {
  const cases: [string, OutboxState, number, OutboxStep][] = [
    ['nothing in the way: send', box(), T, { kind: 'send', count: 1 }],
    [
      'a batch is at most MAX_BATCH',
      box({ queue: Array.from({ length: 70 }, (_, i) => item(T, i)) }),
      T,
      { kind: 'send', count: MAX_BATCH },
    ],
    ['a rate limit holds until its deadline', box({ holdUntil: T + 10_000 }), T, { kind: 'hold', until: T + 10_000 }],
    ['a rate limit that is over does not hold', box({ holdUntil: T }), T, { kind: 'send', count: 1 }],
    ['a hold comes before a fault', box({ holdUntil: T + 1, fault }), T, { kind: 'hold', until: T + 1 }],
    ['a fault waits for its re-check', box({ fault }), T, { kind: 'recheck', until: T + 60_000 }],
    ['at the re-check a faulted outbox tries again', box({ fault }), T + 60_000, { kind: 'send', count: 1 }],
    [
      'the batch window counts from the oldest item',
      box({ policy: zendesk, queue: [item(T - 2000), item(T, 1)] }),
      T,
      { kind: 'batch', until: T + 3000 },
    ],
    [
      'the window over: send everything pending',
      box({ policy: zendesk, queue: [item(T - 5000), item(T, 1)] }),
      T,
      { kind: 'send', count: 2 },
    ],
    [
      'a spent budget waits for its oldest send to age out',
      box({ policy: zendesk, queue: [item(T - 9000)], recentSends: [T - 100_000, T - 50_000] }),
      T,
      { kind: 'budget', until: T + 500_000 },
    ],
    [
      'sends older than the period do not count',
      box({ policy: zendesk, queue: [item(T - 9000)], recentSends: [T - 700_000, T - 50_000] }),
      T,
      { kind: 'send', count: 1 },
    ],
    [
      'a window comes before the budget',
      box({ policy: zendesk, recentSends: [T - 1, T - 2] }),
      T,
      { kind: 'batch', until: T + 5000 },
    ],
  ];
  it.each(cases)('%s', (_name, state, now, step) => {
    expect(nextOutboxStep(state, now)).toEqual(step);
  });
});

describe('re-check backoff', () => {
  it.each([
    [1, 60_000],
    [2, 120_000],
    [3, 240_000],
    [6, 1_920_000],
    [7, DEFAULT_MAX_RECHECK_MS],
    [40, DEFAULT_MAX_RECHECK_MS],
  ])('after failure %i the next check is in %i ms', (attempts, ms) => {
    expect(recheckDelayMs({ batchWindowMs: 0 }, attempts)).toBe(ms);
  });
  it('follows the policy’s own first and maximum delays', () => {
    expect(recheckDelayMs({ batchWindowMs: 0, recheckMs: 1000, maxRecheckMs: 5000 }, 3)).toBe(4000);
    expect(recheckDelayMs({ batchWindowMs: 0, recheckMs: 1000, maxRecheckMs: 5000 }, 4)).toBe(5000);
  });
});

describe('what a failed send does to its outbox', () => {
  it('a rate limit holds it for the wait and counts; nothing leaves the queue', () => {
    const b = box({ queue: [item(T), item(T, 1)] });
    applySendFailure(b, { type: 'zendesk_rate_limited', message: 'slow down', details: { retryAfterMs: 30_000 } }, T);
    expect(b).toMatchObject({ holdUntil: T + 30_000, status: 'rate_limited', rateLimits: 1 });
    expect(b.queue).toHaveLength(2);
    expect(b.fault).toBeUndefined();
  });
  it('items that went out before the failure leave the queue, the rest stay', () => {
    const b = box({ queue: [item(T), item(T, 1), item(T, 2)] });
    applySendFailure(b, { type: 'webhook_rate_limited', message: '429', details: { completed: 2 } }, T);
    expect(b.queue.map((i) => i.eventId)).toEqual(['evt_2']);
    expect(b.delivered).toBe(2);
    expect(b.holdUntil).toBe(T + 1000);
  });
  it('a permanent fault pauses it, re-checked with doubling backoff, keeping when it began', () => {
    const b = box();
    applySendFailure(b, { type: 'zendesk_auth_failed', message: 'revoked' }, T);
    expect(b.fault).toEqual({
      type: 'zendesk_auth_failed',
      message: 'revoked',
      since: new Date(T).toISOString(),
      attempts: 1,
      nextCheckAt: T + 60_000,
    });
    applySendFailure(b, { type: 'zendesk_auth_failed', message: 'still revoked' }, T + 60_000);
    expect(b.fault).toMatchObject({ attempts: 2, since: new Date(T).toISOString(), nextCheckAt: T + 180_000 });
    expect(b.status).toBe('faulted');
    expect(b.queue).toHaveLength(1);
  });
  it('a lost vendor conversation sends again at once with the history, once', () => {
    const b = box();
    applySendFailure(b, { type: 'helpscout_conversation_gone', message: 'gone', details: { needsHistory: true } }, T);
    expect(b).toMatchObject({ reopened: true, status: 'idle' });
    expect(b.fault).toBeUndefined();
    applySendFailure(b, { type: 'helpscout_conversation_gone', message: 'gone', details: { needsHistory: true } }, T);
    expect(b.status).toBe('faulted');
  });
});
