/** Slack request verification: `X-Slack-Signature` (`v0=` hex HMAC-SHA256 of `v0:<ts>:<body>`), 5-minute window. */
import { createHmac } from 'node:crypto';
import { fresh, macEquals, refused, verified, type SignedRequest, type VerifyResult } from '../../common/signature';

export function verifySlackSignature(request: SignedRequest): VerifyResult {
  const { signature, timestamp } = request;
  if (!signature || !timestamp) return refused('missing');
  if (!/^\d{1,12}$/.test(timestamp)) return refused('malformed');
  if (!fresh(Number(timestamp) * 1000, request)) return refused('stale');
  const [version, hex] = signature.split('=', 2);
  if (version !== 'v0' || !hex || !/^[0-9a-f]{64}$/.test(hex)) return refused('malformed');
  const expected = createHmac('sha256', request.secret).update(`v0:${timestamp}:`).update(request.body).digest();
  return macEquals(expected, Buffer.from(hex, 'hex')) ? verified : refused('mismatch');
}
