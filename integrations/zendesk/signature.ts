import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Zendesk-Webhook-Signature`: base64 HMAC-SHA256 of timestamp + raw body with the webhook's signing secret. */
export function verifyZendeskSignature(
  rawBody: Buffer,
  signature: string | undefined,
  timestamp: string | undefined,
  secret: string,
): boolean {
  if (!signature || !timestamp) return false;
  const expected = createHmac('sha256', secret).update(timestamp).update(rawBody).digest();
  const given = Buffer.from(signature.trim(), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
