import { ApplicationFailure } from '@temporalio/common';
import {
  createLocalSendGate,
  defaultLocalSendLimit,
  LOCAL_SEND_DECLINED,
  runningLocally,
  type DeclineReason,
} from '../../../activities/local-sends';

/** A send that stays in flight until released, so a test can hold the gate's slots. */
function held(): { promise: Promise<string>; release: () => void } {
  let release = (): void => undefined;
  const promise = new Promise<string>((resolve) => {
    release = () => resolve('sent');
  });
  return { promise, release };
}

async function declined(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.type).toBe(LOCAL_SEND_DECLINED);
  // Retryable: the workflow gives it to the regular activity at once (workflows/send-fast-path.ts).
  expect(failure.nonRetryable).toBe(false);
  return failure;
}

/** A send that succeeds at once. */
const sent = (): Promise<string> => Promise.resolve('sent');

describe('the local-send gate', () => {
  it('runs at most `limit` local sends at once and declines the next before it sends anything', async () => {
    const reasons: DeclineReason[] = [];
    const gate = createLocalSendGate({ limit: 2, onDeclined: (r) => reasons.push(r) });
    const a = held();
    const b = held();
    const first = gate.run('app1/sink', () => a.promise);
    const second = gate.run('app2/sink', () => b.promise);
    expect(gate.inFlight()).toBe(2);
    let called = false;
    const failure = await declined(
      gate.run('app3/sink', () => {
        called = true;
        return Promise.resolve('sent');
      }),
    );
    expect(called).toBe(false);
    expect(failure.message).toMatch(/already runs 2 local sends/);
    expect(reasons).toEqual(['busy']);
    a.release();
    await expect(first).resolves.toBe('sent');
    expect(gate.inFlight()).toBe(1);
    // A slot is free again.
    await expect(gate.run('app3/sink', sent)).resolves.toBe('sent');
    b.release();
    await expect(second).resolves.toBe('sent');
    expect(gate.inFlight()).toBe(0);
  });

  it('frees the slot of a send that fails', async () => {
    const gate = createLocalSendGate({ limit: 1 });
    await expect(gate.run('app/sink', () => Promise.reject(new Error('vendor down')))).rejects.toThrow('vendor down');
    expect(gate.inFlight()).toBe(0);
    await expect(gate.run('app/sink', sent)).resolves.toBe('sent');
  });

  it('declines the sends of an app and outbox that have been slow, and gives them back once fast again', async () => {
    const reasons: DeclineReason[] = [];
    const gate = createLocalSendGate({ limit: 10, slowMs: 500, onDeclined: (r) => reasons.push(r) });
    gate.observe('slow/slack:T1', 1000);
    gate.observe('fast/slack:T1', 120);
    const failure = await declined(gate.run('slow/slack:T1', sent));
    expect(failure.message).toMatch(/1000 ms on average \(over 500 ms\)/);
    expect(reasons).toEqual(['slow']);
    // Another app on the same vendor is not held back by it.
    await expect(gate.run('fast/slack:T1', sent)).resolves.toBe('sent');
    // Sends by the regular activity are observed too: three fast ones bring the average under the threshold.
    gate.observe('slow/slack:T1', 100);
    gate.observe('slow/slack:T1', 100);
    expect(gate.averageMs('slow/slack:T1')).toBeGreaterThan(500);
    gate.observe('slow/slack:T1', 100);
    expect(gate.averageMs('slow/slack:T1')).toBeLessThan(500);
    await expect(gate.run('slow/slack:T1', sent)).resolves.toBe('sent');
  });

  it('lets a first send through: nothing is known of it yet', async () => {
    const gate = createLocalSendGate({ limit: 1, slowMs: 0 });
    expect(gate.averageMs('new/sink')).toBeUndefined();
    await expect(gate.run('new/sink', sent)).resolves.toBe('sent');
  });

  it('keeps at most 10,000 averages, forgetting the least recently sent', () => {
    const gate = createLocalSendGate({ limit: 1 });
    gate.observe('first', 900);
    for (let i = 0; i < 10_000; i++) gate.observe(`app${i}/sink`, 10);
    expect(gate.averageMs('first')).toBeUndefined();
    expect(gate.averageMs('app0/sink')).toBe(10);
    expect(gate.averageMs('app9999/sink')).toBe(10);
  });

  it('sends nothing locally with a limit of 0', async () => {
    const gate = createLocalSendGate({ limit: 0 });
    await declined(gate.run('app/sink', sent));
  });

  it('refuses a limit or threshold that is not a whole number of sends or ms', () => {
    expect(() => createLocalSendGate({ limit: -1 })).toThrow(/whole number/);
    expect(() => createLocalSendGate({ limit: 1.5 })).toThrow(/whole number/);
    expect(() => createLocalSendGate({ limit: 1, slowMs: Number.NaN })).toThrow(/number of ms/);
  });

  it('defaults to half the workflow-task slots, at least one', () => {
    expect(defaultLocalSendLimit()).toBe(20);
    expect(defaultLocalSendLimit(2)).toBe(1);
    expect(defaultLocalSendLimit(1)).toBe(1);
  });

  it('knows it is not in a local activity outside any activity', () => {
    expect(runningLocally()).toBe(false);
  });
});
