import { Router, type Request } from 'express';

export interface ReadinessCheck {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** How long one readiness check answers every `/readyz`: a flood of probes costs Temporal one check per period. */
export const READINESS_CACHE_MS = 2000;

export interface HealthOptions {
  readiness: () => Promise<ReadinessCheck>;
  /** Whether the request carries an admin key: only then does `/readyz` show its checks (addresses, errors). */
  isAdmin: (req: Request) => boolean;
  cacheMs?: number;
  /** The clock, epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * The readiness check, asked at most once per `cacheMs`: callers within the period get the last answer, and callers
 * while a check runs wait for that one instead of starting their own.
 */
export function cachedReadiness(
  readiness: () => Promise<ReadinessCheck>,
  cacheMs = READINESS_CACHE_MS,
  now: () => number = Date.now,
): () => Promise<ReadinessCheck> {
  let last: { at: number; result: ReadinessCheck } | undefined;
  let running: Promise<ReadinessCheck> | undefined;
  return () => {
    if (last && now() - last.at < cacheMs) return Promise.resolve(last.result);
    running ??= readiness()
      .catch((err: unknown): ReadinessCheck => ({
        ready: false,
        checks: { readiness: { ok: false, detail: String(err) } },
      }))
      .then((result) => {
        last = { at: now(), result };
        return result;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

/**
 * `/healthz`: the process lives. `/readyz`: Temporal reached, search attributes present, worker running; anyone gets
 * `{ready}` with 200 or 503, an admin key also the checks (which name internal addresses and errors).
 */
export function createHealthRouter(options: HealthOptions): Router {
  const router = Router();
  const readiness = cachedReadiness(options.readiness, options.cacheMs, options.now);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const result = await readiness();
    res.status(result.ready ? 200 : 503);
    if (!options.isAdmin(req)) {
      res.json({ ready: result.ready });
      return;
    }
    res.json({ ready: result.ready, status: result.ready ? 'ready' : 'not_ready', checks: result.checks });
  });
  return router;
}
