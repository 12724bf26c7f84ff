import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Parley-Signature';
export const EVENT_ID_HEADER = 'X-Parley-Event-Id';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` — the header a client app checks. */
export function signWebhookBody(body: string, secret: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

export interface VerifyOptions {
  /** Oldest accepted signature, in seconds (default 5 minutes). */
  toleranceSeconds?: number;
  now?: number;
}

/**
 * What a client app runs on each webhook: true only for a fresh signature of this exact raw body with one of
 * the app's webhook secrets. Timing-safe.
 */
export function verifyWebhookSignature(
  rawBody: string | Buffer,
  header: string | undefined,
  secret: string,
  options: VerifyOptions = {},
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(
    header.split(',').map((part) => {
      const i = part.indexOf('=');
      return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  const v1 = parts.v1;
  if (!Number.isInteger(t) || typeof v1 !== 'string' || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = options.now ?? Date.now();
  if (Math.abs(now / 1000 - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
