/**
 * "In the last hour" from Parley's counters. Prometheus counters only grow, so this keeps a small ring of snapshots
 * (one a minute, 62 at most) of the relayed and failed counts per integration, and answers the difference between
 * now and the snapshot of an hour ago; a process younger than that answers since it started, and says so.
 */
import type { Metrics } from '../../common/metrics';

export interface Counts {
  relayed: number;
  failed: number;
}

interface Snapshot {
  at: number;
  counts: Record<string, Counts>;
}

export interface RecentWindow {
  /** Epoch ms the counts start from: an hour ago, or the first snapshot if the process is younger. */
  since: number;
  /** Whether `since` is a whole hour back. */
  fullHour: boolean;
  counts: Record<string, Counts>;
}

export interface RecentCounts {
  lastHour(): Promise<RecentWindow>;
  /** Takes a snapshot now (the timer does so every minute). */
  sample(): Promise<void>;
  stop(): void;
}

export const HOUR_MS = 3_600_000;
const SAMPLE_MS = 60_000;
const RING = 62;

async function read(metrics: Pick<Metrics, 'relayed' | 'sendFailures'>): Promise<Record<string, Counts>> {
  const counts: Record<string, Counts> = {};
  const of = (name: string): Counts => (counts[name] ??= { relayed: 0, failed: 0 });
  for (const v of (await metrics.relayed.get()).values) {
    if (v.labels.direction === 'out' && v.labels.integration) of(String(v.labels.integration)).relayed += v.value;
  }
  for (const v of (await metrics.sendFailures.get()).values) {
    if (v.labels.integration) of(String(v.labels.integration)).failed += v.value;
  }
  return counts;
}

export function createRecentCounts(
  metrics: Pick<Metrics, 'relayed' | 'sendFailures'>,
  options: { now?: () => number; sampleMs?: number; timer?: boolean } = {},
): RecentCounts {
  const now = options.now ?? Date.now;
  const ring: Snapshot[] = [];
  async function sample(): Promise<void> {
    ring.push({ at: now(), counts: await read(metrics) });
    if (ring.length > RING) ring.splice(0, ring.length - RING);
  }
  const first = sample();
  let timer: NodeJS.Timeout | undefined;
  if (options.timer !== false) {
    timer = setInterval(() => void sample(), options.sampleMs ?? SAMPLE_MS);
    // A sampler never keeps the process alive.
    timer.unref();
  }
  return {
    sample,
    async lastHour() {
      await first;
      const at = now();
      const current = await read(metrics);
      // The newest snapshot at least an hour old, else the oldest there is.
      let base = ring[0];
      for (const s of ring) if (s.at <= at - HOUR_MS) base = s;
      const since = base?.at ?? at;
      const counts: Record<string, Counts> = {};
      for (const [name, c] of Object.entries(current)) {
        const before = base?.counts[name] ?? { relayed: 0, failed: 0 };
        counts[name] = { relayed: c.relayed - before.relayed, failed: c.failed - before.failed };
      }
      return { since, fullHour: at - since >= HOUR_MS, counts };
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
