/**
 * Help Scout webhook verification: `X-HelpScout-Signature` is base64 HMAC-SHA1 of the raw body with the webhook's
 * secret. Help Scout signs no timestamp, so there is no freshness window: redeliveries are dropped by thread id.
 */
import { createHmac } from 'node:crypto';
import { macEquals, refused, verified, type SignedRequest, type VerifyResult } from '../../common/signature';

export const HELPSCOUT_SIGNATURE_HEADER = 'x-helpscout-signature';

export function verifyHelpScoutSignature(request: Omit<SignedRequest, 'timestamp'>): VerifyResult {
  if (!request.signature) return refused('missing');
  const expected = createHmac('sha1', request.secret).update(request.body).digest();
  return macEquals(expected, Buffer.from(request.signature.trim(), 'base64')) ? verified : refused('mismatch');
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
