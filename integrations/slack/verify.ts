/** Slack request verification: a pure check of `X-Slack-Signature` over the raw body, timing-safe, 5-minute window. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SlackSignatureInput {
  signingSecret: string;
  body: Buffer | string;
  signature: string | undefined;
  timestamp: string | undefined;
  /** Seconds since the epoch; injectable for tests. */
  nowSeconds?: number;
}

export type SlackVerifyResult = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

export function verifySlackRequest(input: SlackSignatureInput): SlackVerifyResult {
  const { signature, timestamp } = input;
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return { ok: false, reason: 'missing' };
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > 300) return { ok: false, reason: 'stale' };
  const [version, hex] = signature.split('=', 2);
  if (version !== 'v0' || !hex || !/^[0-9a-f]{64}$/.test(hex)) return { ok: false, reason: 'mismatch' };
  const expected = createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:`).update(input.body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex')) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
