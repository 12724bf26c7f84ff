/**
 * Temporal's remote codec protocol (`POST /codec/encode`, `/codec/decode`) so the Temporal UI and CLI show
 * decrypted payloads to developers holding the codec token, and to nobody else. The browser-based UI sends the
 * token as a bearer header (behind an OIDC proxy) or as the `parley_codec` cookie set at `/codec/login`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { HttpError, parseOr400 } from './errors';

export interface CodecDeps {
  codec?: PayloadCodec;
  /** Shared secret for codec calls (`PARLEY_CODEC_TOKEN`); without it every call is refused. */
  token?: string;
  /** Browser origins allowed to call (the Temporal UI's). */
  corsOrigins: string[];
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
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function createCodecRouter(deps: CodecDeps): Router {
  const router = Router();
  const expected = deps.token ? digest(deps.token) : undefined;

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
    res.setHeader(
      'Set-Cookie',
      `${COOKIE}=${encodeURIComponent(token)}; Path=/codec; HttpOnly; SameSite=Lax; Max-Age=43200`,
    );
    res.type('text').send('Signed in: the Temporal UI can now decode payloads through this server.');
  });

  const json = express.json({ limit: '4mb' });
  for (const op of ['encode', 'decode'] as const) {
    // The UI calls `<endpoint>/decode` (namespace in `X-Namespace`); other clients put the namespace in the path.
    router.post([`/${op}`, `/:namespace/${op}`], json, async (req, res) => {
      if (!deps.codec)
        throw new HttpError(404, 'codec_disabled', 'payload encryption is off (PARLEY_ENCRYPTION_KEYS is not set)');
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      if (!authorized(bearer ?? cookie(req, COOKIE))) {
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
