import { Router } from 'express';

export interface ReadinessCheck {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** `/healthz`: the process lives. `/readyz`: Temporal reached, search attributes present, worker running. */
export function createHealthRouter(readiness: () => Promise<ReadinessCheck>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const result = await readiness();
    res.status(result.ready ? 200 : 503).json({ status: result.ready ? 'ready' : 'not_ready', checks: result.checks });
  });
  return router;
}
