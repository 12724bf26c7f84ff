/**
 * The glue every vendor's inbound endpoint shares: the raw body, bounded, verified before anything reads it
 * (401 naming why), then parsed (400), so each vendor's router only says which secret to check and what to do.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { VerifyRefusal } from '../common/signature';
import { HttpError } from './errors';

export type Verification<M> = { ok: true; match: M } | { ok: false; reason: VerifyRefusal };

export interface VerifiedBodyOptions<M> {
  /** Largest body accepted (express's size syntax, e.g. `1mb`); more is a 413. */
  limit: string;
  /** The error code of a refusal, e.g. `zendesk_signature_invalid`. */
  code: string;
  /** The header named in a refusal's message, e.g. `X-Zendesk-Webhook-Signature`. */
  header: string;
  /** Checks the signature over the raw body; the match (the app, the account) is what the handler gets. */
  verify: (raw: Buffer, req: Request) => Verification<M>;
}

const REFUSAL_TEXT: Record<VerifyRefusal, string> = {
  missing: 'missing',
  malformed: 'malformed',
  stale: 'stale (outside the 5-minute window)',
  mismatch: 'wrong',
};

interface VerifiedLocals<M> {
  parleyRawBody: Buffer;
  parleyVerified: M;
}

/** The raw body and verify middleware for one vendor endpoint; `verifiedRequest` reads what it found. */
export function verifiedBody<M>(options: VerifiedBodyOptions<M>): RequestHandler[] {
  const check: RequestHandler = (req, res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = options.verify(raw, req);
    if (!result.ok) throw new HttpError(401, options.code, `${REFUSAL_TEXT[result.reason]} ${options.header}`);
    const locals = res.locals as Partial<VerifiedLocals<M>>;
    locals.parleyRawBody = raw;
    locals.parleyVerified = result.match;
    next();
  };
  return [express.raw({ type: () => true, limit: options.limit }), check];
}

/** What `verifiedBody` verified for this request: the raw body and the match. */
export function verifiedRequest<M>(res: Response): { raw: Buffer; match: M } {
  const locals = res.locals as Partial<VerifiedLocals<M>>;
  if (!locals.parleyRawBody || locals.parleyVerified === undefined)
    throw new HttpError(401, 'unauthorized', 'the request was not verified');
  return { raw: locals.parleyRawBody, match: locals.parleyVerified };
}

/** The raw body as JSON, or a 400. */
export function jsonOf(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

/** The raw body as a form (`application/x-www-form-urlencoded`). */
export function formOf(raw: Buffer): URLSearchParams {
  return new URLSearchParams(raw.toString('utf8'));
}
