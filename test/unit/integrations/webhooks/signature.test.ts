import { createHmac } from 'node:crypto';
import { parseRetryAfter } from '../../../../common/errors';
import { signWebhookBody, verifyWebhookSignature } from '../../../../integrations/webhooks/verify';

const secret = 'whsec_0123456789abcdef';
const body = JSON.stringify({ id: 'evt_1', type: 'message:agent' });
const now = 1_800_000_000_000;

describe('webhook signatures', () => {
  it('signs "t.body" with HMAC-SHA256, as the README tells client developers', () => {
    const header = signWebhookBody(body, secret, now);
    const t = Math.floor(now / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(verifyWebhookSignature({ body, signature: header, secret, nowMs: now }).ok).toBe(true);
    expect(
      verifyWebhookSignature({ body: Buffer.from(body), signature: header, secret, nowMs: now + 299_000 }).ok,
    ).toBe(true);
  });

  it('refuses a changed body, another secret, a stale or future timestamp, and garbage', () => {
    const header = signWebhookBody(body, secret, now);
    expect(verifyWebhookSignature({ body: `${body} `, signature: header, secret, nowMs: now }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, signature: header, secret: 'whsec_other_secret_value', nowMs: now }).ok).toBe(
      false,
    );
    expect(verifyWebhookSignature({ body, signature: header, secret, nowMs: now + 301_000 }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, signature: header, secret, nowMs: now - 301_000 }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, signature: undefined, secret, nowMs: now }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, signature: 't=abc,v1=00', secret, nowMs: now }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, signature: header.replace(/v1=../, 'v1=zz'), secret, nowMs: now }).ok).toBe(
      false,
    );
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(now + 10_000).toUTCString(), now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
