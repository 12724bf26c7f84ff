import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { AppConfig, ParleyConfig } from '../common/config';
import { HttpError } from './errors';

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/** The app whose key authenticated the request, and whose path it is. */
export function authedApp(res: Response): AppConfig {
  const app = res.locals.parleyApp as AppConfig | undefined;
  if (!app) throw new HttpError(401, 'unauthorized', 'not authenticated');
  return app;
}

/**
 * Bearer API keys per app: no or unknown key → 401; a valid key of another app → 403; an unknown app in the
 * path → 404. Keys are compared as SHA-256 digests, timing-safe, against every key.
 */
export function requireAppKey(config: ParleyConfig): RequestHandler {
  const keys = config.apps.flatMap((app) => app.apiKeys.map((key) => ({ app, digest: digest(key) })));
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new HttpError(401, 'unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    const presented = digest(match[1]);
    let owner: AppConfig | undefined;
    for (const k of keys) if (timingSafeEqual(k.digest, presented)) owner = k.app;
    if (!owner) throw new HttpError(401, 'unauthorized', 'invalid API key');
    const appId = String(req.params.appId);
    const target = config.apps.find((a) => a.id === appId);
    if (!target) throw new HttpError(404, 'app_not_found', `no app "${appId}"`);
    if (target.id !== owner.id)
      throw new HttpError(403, 'forbidden', `this key belongs to another app, not "${appId}"`);
    res.locals.parleyApp = target;
    next();
  };
}
