/**
 * The glue every vendor's inbound endpoint shares: the raw body, bounded, verified before anything reads it
 * (401 naming why), then parsed (400), so each vendor's router only says which secret to check and what to do.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { AgentReply } from '../common/conversation';
import { BUDGETS, boundAgentReply, type CutReply } from '../common/limits';
import type { Logger } from '../common/logger';
import type { Metrics } from '../common/metrics';
import type { VerifyRefusal } from '../common/signature';
import { refuseDepth } from './budgets';
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

/** The raw body as JSON, or a 400; nested deeper than `BUDGETS.bodyDepth`, a 400 before zod's recursion meets it. */
export function jsonOf(raw: Buffer, field = 'body'): unknown {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
  const deep = refuseDepth(field, json, BUDGETS.bodyDepth);
  if (deep) throw new HttpError(400, 'invalid_request', `${deep.field}: nested more than ${deep.limit} levels deep`);
  return json;
}

/**
 * An agent's reply bounded for Temporal (common/limits.ts): over its budget, cut at a marker naming `where` the
 * whole reply is; the cut is logged and counted (`parley_agent_replies_cut_total`), so the team can see it.
 */
export function boundInboundReply(
  deps: { log: Logger; metrics?: Metrics },
  integration: string,
  appId: string,
  reply: AgentReply,
  where: string,
): CutReply {
  const bounded = boundAgentReply(reply, where);
  if (bounded.cut) {
    deps.metrics?.agentRepliesCut.inc({ integration });
    deps.log.warn(
      { app: appId, integration, replyId: bounded.reply.id, bytes: bounded.bytes, limit: BUDGETS.agentReplyBytes },
      `agent reply over ${BUDGETS.agentReplyBytes} bytes: cut, the full reply stays in ${where}`,
    );
  }
  return bounded;
}

/** The raw body as a form (`application/x-www-form-urlencoded`). */
export function formOf(raw: Buffer): URLSearchParams {
  return new URLSearchParams(raw.toString('utf8'));
}
