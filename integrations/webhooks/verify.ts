/**
 * Parley's own webhooks to client apps: `X-Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
 * `signWebhookBody` is what Parley sends; `verifyWebhookSignature` is what a client app runs (the same shape as
 * Parley's checks of Slack, Zendesk and Help Scout).
 */
import { createHmac } from 'node:crypto';
import { fresh, macEquals, refused, verified, type SignedRequest, type VerifyResult } from '../../common/signature';

export const SIGNATURE_HEADER = 'X-Parley-Signature';
export const EVENT_ID_HEADER = 'X-Parley-Event-Id';

export function signWebhookBody(body: string, secret: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Fresh, and signed over this exact raw body with the secret; the timestamp is inside the header. */
export function verifyWebhookSignature(request: Omit<SignedRequest, 'timestamp'>): VerifyResult {
  const header = request.signature;
  if (!header) return refused('missing');
  const parts = new Map(
    header.split(',').map((part) => {
      const i = part.indexOf('=');
      return [part.slice(0, i).trim(), part.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return refused('malformed');
  if (!fresh(t * 1000, request)) return refused('stale');
  const expected = createHmac('sha256', request.secret).update(`${t}.`).update(request.body).digest();
  return macEquals(expected, Buffer.from(v1, 'hex')) ? verified : refused('mismatch');
}
