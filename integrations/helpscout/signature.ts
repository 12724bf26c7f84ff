import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-HelpScout-Signature`: base64 HMAC-SHA1 of the raw body with the webhook's secret; compared timing-safe. */
export function verifyHelpScoutSignature(
  rawBody: Buffer | string,
  header: string | undefined,
  secret: string,
): boolean {
  if (!header) return false;
  const expected = createHmac('sha1', secret).update(rawBody).digest();
  const given = Buffer.from(header.trim(), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The webhook secret, derived from the app's client secret so Parley can compute it again after a restart without
 * storing it (Help Scout allows at most 40 characters).
 */
export function helpScoutWebhookSecret(appId: string, clientSecret: string): string {
  return createHmac('sha256', clientSecret)
    .update(`parley:helpscout-webhook:${appId}`)
    .digest('base64url')
    .slice(0, 40);
}
