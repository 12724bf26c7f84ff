/**
 * Zendesk webhook verification: `X-Zendesk-Webhook-Signature` is base64 HMAC-SHA256 of timestamp + raw body with
 * the webhook's signing secret; `X-Zendesk-Webhook-Signature-Timestamp` is the ISO 8601 time it was signed,
 * accepted within the window (Zendesk retries sign again).
 */
import { createHmac } from 'node:crypto';
import { fresh, macEquals, refused, verified, type SignedRequest, type VerifyResult } from '../../common/signature';

export const ZENDESK_SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const ZENDESK_TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';

export function verifyZendeskSignature(request: SignedRequest): VerifyResult {
  const { signature, timestamp } = request;
  if (!signature || !timestamp) return refused('missing');
  const signedAt = Date.parse(timestamp);
  if (timestamp.length > 40 || Number.isNaN(signedAt)) return refused('malformed');
  if (!fresh(signedAt, request)) return refused('stale');
  const expected = createHmac('sha256', request.secret).update(timestamp).update(request.body).digest();
  return macEquals(expected, Buffer.from(signature.trim(), 'base64')) ? verified : refused('mismatch');
}
