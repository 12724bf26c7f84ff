import type { RequestHandler } from 'express';
import type { Metrics } from '../common/metrics';

const USER_ROUTE = /^\/v1\/apps\/[^/]+\/users\/[^/]+(\/(?:messages|conversation|archive|outboxes\/resume))?\/?$/;
const FIXED_ROUTES = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/slack/commands',
  '/slack/events',
  '/slack/interactions',
  '/codec/encode',
  '/codec/decode',
  '/codec/login',
  '/codec/session',
]);

/** The route pattern of a path: app and user ids never become label values. */
export function routeOf(path: string): string {
  const user = USER_ROUTE.exec(path);
  if (user) return `/v1/apps/:appId/users/:userId${user[1] ?? ''}`;
  return FIXED_ROUTES.has(path) ? path : 'other';
}

/** Counts every request under its route pattern. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const route = routeOf(req.path);
    res.on('finish', () => {
      const labels = { route, method: req.method };
      metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

/**
 * Prometheus exposition of this process's registry, followed by the Temporal SDK's own metrics when the worker
 * runtime exports them on a local port.
 */
export function metricsHandler(metrics: Metrics, temporalMetricsUrl?: string): RequestHandler {
  return async (_req, res) => {
    let text = await metrics.registry.metrics();
    if (temporalMetricsUrl) {
      try {
        const sdk = await fetch(temporalMetricsUrl, { signal: AbortSignal.timeout(2000) });
        if (sdk.ok) text += `\n${await sdk.text()}`;
      } catch {
        // The SDK's exporter starts with the worker; until then only Parley's own metrics are shown.
      }
    }
    res.type(metrics.registry.contentType).send(text);
  };
}
