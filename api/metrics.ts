import express, { type Express, type RequestHandler } from 'express';
import type { Metrics } from '../common/metrics';
import type { Keyring } from './auth';
import { errorHandler, HttpError, notFound } from './errors';
import type { Logger } from '../common/logger';

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

/**
 * `/metrics` on the public port: for admin keys only (Prometheus sends one with `authorization: {credentials: …}`).
 * Route labels and counts say what the API serves and how busy it is, which is nobody else's business.
 */
export function requireAdminKey(keyring: Keyring): RequestHandler {
  return (req, _res, next) => {
    const caller = keyring.identify(req);
    if (caller === 'missing' || caller === 'invalid')
      throw new HttpError(
        401,
        'unauthorized',
        '/metrics needs an admin key (Authorization: Bearer <admin key>), or scrape PARLEY_METRICS_PORT',
      );
    if (caller.scope !== 'admin') throw new HttpError(403, 'forbidden_scope', '/metrics needs an admin key');
    next();
  };
}

/**
 * The metrics listener of `PARLEY_METRICS_PORT`: `GET /metrics` and nothing else, without a key, for a port that
 * only the scraper reaches (loopback by default, the compose network in compose).
 */
export function createMetricsApp(metrics: Metrics, log: Logger, temporalMetricsUrl?: string): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics, temporalMetricsUrl));
  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
