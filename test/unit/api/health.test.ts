/** `/readyz`'s cache: a flood of probes costs one readiness check per period, whatever their number. */
import { cachedReadiness, READINESS_CACHE_MS, type ReadinessCheck } from '../../../api/health';

function counting(result: () => ReadinessCheck | Promise<ReadinessCheck>) {
  let calls = 0;
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  return {
    calls: () => calls,
    /** Holds the next checks until `open()`. */
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    open: () => release(),
    check: async (): Promise<ReadinessCheck> => {
      calls++;
      await gate;
      return result();
    },
  };
}

describe('cachedReadiness', () => {
  it('answers callers during a running check from that check, and later ones from its result for 2 s', async () => {
    let now = 1_000_000;
    const probe = counting(() => ({ ready: true, checks: { temporal: { ok: true } } }));
    const readiness = cachedReadiness(probe.check, READINESS_CACHE_MS, () => now);
    probe.hold();
    const flood = Array.from({ length: 100 }, () => readiness());
    probe.open();
    const answers = await Promise.all(flood);
    expect(probe.calls()).toBe(1);
    expect(new Set(answers).size).toBe(1);
    now += READINESS_CACHE_MS - 1;
    await readiness();
    expect(probe.calls()).toBe(1);
    now += 1;
    await readiness();
    expect(probe.calls()).toBe(2);
  });

  it('keeps a failing check as not ready, for the period too', async () => {
    let now = 0;
    const probe = counting(() => {
      throw new Error('connect ECONNREFUSED 10.0.0.5:7233');
    });
    const readiness = cachedReadiness(probe.check, 2000, () => now);
    expect(await readiness()).toEqual({
      ready: false,
      checks: { readiness: { ok: false, detail: 'Error: connect ECONNREFUSED 10.0.0.5:7233' } },
    });
    await readiness();
    expect(probe.calls()).toBe(1);
    now = 2000;
    await readiness();
    expect(probe.calls()).toBe(2);
  });
});
