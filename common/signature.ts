/**
 * The one shape of every signature check Parley makes on a request from outside (Slack, Zendesk, Help Scout) and
 * of the check it gives client apps for its own webhooks: a pure function of the raw body and headers, with an
 * injectable clock, a freshness window where the sender signs a timestamp, a timing-safe compare, and a named
 * reason when it refuses.
 */
import { timingSafeEqual } from 'node:crypto';

export interface SignedRequest {
  secret: string;
  /** The raw body, exactly as received. */
  body: Buffer | string;
  /** The signature header as sent. */
  signature: string | undefined;
  /** The signed timestamp header as sent, where the sender has one. */
  timestamp?: string | undefined;
  /** The clock, epoch milliseconds; injectable for tests. */
  nowMs?: number;
  /** How far the signed timestamp may be from now, in seconds (default 300). */
  toleranceSeconds?: number;
}

/** `missing`: no signature (or timestamp); `malformed`: not in the sender's format; `stale`: outside the window. */
export type VerifyRefusal = 'missing' | 'malformed' | 'stale' | 'mismatch';
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyRefusal };

export const DEFAULT_TOLERANCE_SECONDS = 300;

export const verified: VerifyResult = { ok: true };
export function refused(reason: VerifyRefusal): VerifyResult {
  return { ok: false, reason };
}

/** Whether a signed time (epoch ms) lies within the request's tolerance of its clock. */
export function fresh(signedAtMs: number, request: Pick<SignedRequest, 'nowMs' | 'toleranceSeconds'>): boolean {
  const now = request.nowMs ?? Date.now();
  return Math.abs(now - signedAtMs) <= (request.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) * 1000;
}

/** Timing-safe equality of an expected MAC and a given one (different lengths are simply unequal). */
export function macEquals(expected: Buffer, given: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
