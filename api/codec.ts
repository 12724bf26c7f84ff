/**
 * Temporal's remote codec protocol (`POST /codec/encode`, `/codec/decode`) so the Temporal UI and CLI show
 * decrypted payloads to developers holding the codec token, and to nobody else. The browser-based UI sends the
 * token as a bearer header (behind an OIDC proxy), or the `parley_codec` cookie that `/codec/login` sets: a session
 * id, not the token, so a cookie that leaks (a proxy log, a shared browser profile) expires and never gives the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { bodyDepthGuard } from './budgets';
import { HttpError, parseOr400 } from './errors';

export interface CodecDeps {
  codec?: PayloadCodec;
  /** Shared secret for codec calls (`PARLEY_CODEC_TOKEN`); without it every call is refused. */
  token?: string;
  /** Browser origins allowed to call (the Temporal UI's). */
  corsOrigins: string[];
  /** Marks the session cookie `Secure`: Parley is reached over https (`server.publicUrl` says so). */
  secureCookie?: boolean;
  /** The clock, epoch milliseconds; injectable for tests. */
  now?: () => number;
}

/** How long a codec session lasts (the cookie's Max-Age). */
export const CODEC_SESSION_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most; signing in once more drops the oldest, so a flood of sign-ins cannot grow memory. */
export const CODEC_SESSIONS_MAX = 1000;

export interface CodecSessions {
  /** A new session id, valid for CODEC_SESSION_MS. */
  open(): string;
  /** Whether the id names a session that has not expired. */
  valid(id: string | undefined): boolean;
  size(): number;
}

/**
 * Codec sessions in this process: random ids with their expiry, at most CODEC_SESSIONS_MAX (oldest dropped first).
 * Another API replica does not know them: behind several replicas, sign in through a sticky route or use the token.
 */
export function createCodecSessions(now: () => number = Date.now, max = CODEC_SESSIONS_MAX): CodecSessions {
  // Keyed by the id's digest, so the map itself holds nothing a cookie could be rebuilt from.
  const sessions = new Map<string, number>();
  const key = (id: string) => createHash('sha256').update(id).digest('base64url');
  return {
    open() {
      const at = now();
      for (const [k, expires] of sessions) if (expires <= at) sessions.delete(k);
      while (sessions.size >= max) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        sessions.delete(oldest);
      }
      const id = randomBytes(32).toString('base64url');
      sessions.set(key(id), at + CODEC_SESSION_MS);
      return id;
    },
    valid(id) {
      if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return false;
      const k = key(id);
      const expires = sessions.get(k);
      if (expires === undefined) return false;
      if (expires > now()) return true;
      sessions.delete(k);
      return false;
    },
    size: () => sessions.size,
  };
}

const COOKIE = 'parley_codec';
const base64 = z.string().regex(/^[A-Za-z0-9+/=_-]*$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(1000),
});

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    // Session ids are base64url: nothing to decode (and a stray `%` cannot throw).
    if (k === name) return v.join('=');
  }
  return undefined;
}

export function createCodecRouter(deps: CodecDeps): Router {
  const router = Router();
  const expected = deps.token ? digest(deps.token) : undefined;
  const sessions = createCodecSessions(deps.now);

  function authorized(presented: string | undefined): boolean {
    return expected !== undefined && presented !== undefined && timingSafeEqual(digest(presented), expected);
  }

  router.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin && deps.corsOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'content-type, authorization, x-namespace');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });

  router.get('/login', (_req, res) => {
    res
      .type('html')
      .send(
        '<!doctype html><title>Parley codec</title><form method="post" action="/codec/session">' +
          '<p>Codec token (PARLEY_CODEC_TOKEN) for reading decrypted payloads in the Temporal UI:</p>' +
          '<input type="password" name="token" autofocus> <button>Sign in</button></form>',
      );
  });

  router.post('/session', express.urlencoded({ extended: false, limit: '4kb' }), (req: Request, res: Response) => {
    const token =
      typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>).token : undefined;
    if (typeof token !== 'string' || !authorized(token))
      throw new HttpError(401, 'codec_unauthorized', 'wrong codec token');
    const attributes = `Path=/codec; HttpOnly; SameSite=Lax; Max-Age=${CODEC_SESSION_MS / 1000}`;
    res.setHeader('Set-Cookie', `${COOKIE}=${sessions.open()}; ${attributes}${deps.secureCookie ? '; Secure' : ''}`);
    res.type('text').send('Signed in: the Temporal UI can now decode payloads through this server.');
  });

  const json = express.json({ limit: '4mb' });
  for (const op of ['encode', 'decode'] as const) {
    // The UI calls `<endpoint>/decode` (namespace in `X-Namespace`); other clients put the namespace in the path.
    router.post([`/${op}`, `/:namespace/${op}`], json, bodyDepthGuard(), async (req, res) => {
      if (!deps.codec)
        throw new HttpError(404, 'codec_disabled', 'payload encryption is off (PARLEY_ENCRYPTION_KEYS is not set)');
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      // Without a token configured, no session can have been opened: the cookie is never enough on its own.
      const allowed =
        bearer !== undefined ? authorized(bearer) : expected !== undefined && sessions.valid(cookie(req, COOKIE));
      if (!allowed) {
        throw new HttpError(
          401,
          'codec_unauthorized',
          deps.token ? 'missing or wrong codec token' : 'PARLEY_CODEC_TOKEN is not set: the codec refuses every call',
        );
      }
      const body = parseOr400(payloadsBody, req.body);
      const payloads: Payload[] = body.payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data ?? '', 'base64'),
      }));
      let out: Payload[];
      try {
        out = await deps.codec[op](payloads);
      } catch (err) {
        throw new HttpError(400, 'codec_failed', `could not ${op}: ${(err as Error).message}`);
      }
      res.json({
        payloads: out.map((p) => ({
          metadata: Object.fromEntries(
            Object.entries(p.metadata ?? {}).map(([k, v]) => [
              k,
              Buffer.from(v ?? new Uint8Array()).toString('base64'),
            ]),
          ),
          data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
        })),
      });
    });
  }
  return router;
}
