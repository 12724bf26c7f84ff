import { createHmac } from 'node:crypto';
import { parseRetryAfter } from '../../../../common/errors';
import { signWebhookBody, verifyWebhookSignature } from '../../../../integrations/webhooks/signature';

const secret = 'whsec_0123456789abcdef';
const body = JSON.stringify({ id: 'evt_1', type: 'message:agent' });
const now = 1_800_000_000_000;

describe('webhook signatures', () => {
  it('signs "t.body" with HMAC-SHA256, as the README tells client developers', () => {
    const header = signWebhookBody(body, secret, now);
    const t = Math.floor(now / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(verifyWebhookSignature(body, header, secret, { now })).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), header, secret, { now: now + 299_000 })).toBe(true);
  });

  it('refuses a changed body, another secret, a stale or future timestamp, and garbage', () => {
    const header = signWebhookBody(body, secret, now);
    expect(verifyWebhookSignature(`${body} `, header, secret, { now })).toBe(false);
    expect(verifyWebhookSignature(body, header, 'whsec_other_secret_value', { now })).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, { now: now + 301_000 })).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, { now: now - 301_000 })).toBe(false);
    expect(verifyWebhookSignature(body, undefined, secret, { now })).toBe(false);
    expect(verifyWebhookSignature(body, 't=abc,v1=00', secret, { now })).toBe(false);
    expect(verifyWebhookSignature(body, header.replace(/v1=../, 'v1=zz'), secret, { now })).toBe(false);
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
