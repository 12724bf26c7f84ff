/**
 * Bearer keys in two scopes. A client key (`apps[].apiKeys`) acts for its app's users: messages, profiles, reading
 * and archiving their conversations. An admin key (`admin.keys`) manages integrations and resumes outboxes, for any
 * app, and reads `/metrics` and `/readyz`'s details; it does not post as anyone's users. A key used outside its
 * scope is a 403 `forbidden_scope`, so a key leaked from a client app's server cannot rewire Zendesk.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { AppConfig, ParleyConfig } from '../common/config';
import { HttpError } from './errors';

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/** Who presented a valid key: an app's client, or an admin. */
export type Caller = { scope: 'client'; app: AppConfig } | { scope: 'admin' };

export interface Keyring {
  /** The caller a request's `Authorization: Bearer …` names; `missing` without one, `invalid` for a key nobody has. */
  identify(req: Request): Caller | 'missing' | 'invalid';
  /** True when the request carries a valid admin key. */
  isAdmin(req: Request): boolean;
  /** The caller a bare key names (the admin console's sign-in form), or `invalid`. */
  identifyKey(key: string): Caller | 'invalid';
}

/** Every client and admin key as SHA-256 digests; a presented key is compared, timing-safe, with each of them. */
export function createKeyring(config: ParleyConfig): Keyring {
  type Entry = { caller: Caller; digest: Buffer };
  const keys: Entry[] = [
    ...(config.admin?.keys ?? []).map((key): Entry => ({ caller: { scope: 'admin' }, digest: digest(key) })),
    ...config.apps.flatMap((app) =>
      app.apiKeys.map((key): Entry => ({ caller: { scope: 'client', app }, digest: digest(key) })),
    ),
  ];
  function identifyKey(key: string): Caller | 'invalid' {
    const presented = digest(key);
    let found: Caller | undefined;
    // No early exit: the time taken does not say which key (or which scope) came close.
    for (const k of keys) if (timingSafeEqual(k.digest, presented)) found = k.caller;
    return found ?? 'invalid';
  }
  function identify(req: Request): Caller | 'missing' | 'invalid' {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) return 'missing';
    return identifyKey(match[1]);
  }
  return {
    identify,
    identifyKey,
    isAdmin: (req) => {
      const caller = identify(req);
      return typeof caller === 'object' && caller.scope === 'admin';
    },
  };
}

interface AuthLocals {
  parleyCaller: Caller;
  parleyApp: AppConfig;
}

/**
 * `/v1/apps/:appId`: no or unknown key → 401; an unknown app in the path → 404; another app's client key → 403
 * `forbidden`. Which scope a route needs is checked by the route itself, through `authedApp` or `adminApp`.
 */
export function requireAppKey(config: ParleyConfig, keyring: Keyring = createKeyring(config)): RequestHandler {
  return (req, res, next) => {
    const caller = keyring.identify(req);
    if (caller === 'missing')
      throw new HttpError(401, 'unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    if (caller === 'invalid') throw new HttpError(401, 'unauthorized', 'invalid API key');
    const appId = String(req.params.appId);
    const target = config.apps.find((a) => a.id === appId);
    if (!target) throw new HttpError(404, 'app_not_found', `no app "${appId}"`);
    if (caller.scope === 'client' && caller.app.id !== target.id)
      throw new HttpError(403, 'forbidden', `this key belongs to another app, not "${appId}"`);
    const locals = res.locals as Partial<AuthLocals>;
    locals.parleyCaller = caller;
    locals.parleyApp = target;
    next();
  };
}

function authed(res: Response): AuthLocals {
  const locals = res.locals as Partial<AuthLocals>;
  if (!locals.parleyApp || !locals.parleyCaller) throw new HttpError(401, 'unauthorized', 'not authenticated');
  return { parleyApp: locals.parleyApp, parleyCaller: locals.parleyCaller };
}

/** The app of the path, for a route of its users (client scope): an admin key is refused. */
export function authedApp(res: Response): AppConfig {
  const { parleyApp, parleyCaller } = authed(res);
  if (parleyCaller.scope !== 'client')
    throw new HttpError(
      403,
      'forbidden_scope',
      "an admin key does not act for an app's users: use the app's client key (apps[].apiKeys)",
    );
  return parleyApp;
}

/** The app of the path, for a route that administers it (admin scope): a client key is refused. */
export function adminApp(res: Response): AppConfig {
  const { parleyApp, parleyCaller } = authed(res);
  if (parleyCaller.scope !== 'admin')
    throw new HttpError(
      403,
      'forbidden_scope',
      'this route needs an admin key (admin.keys in the configuration); a client key cannot manage integrations or resume outboxes',
    );
  return parleyApp;
}
