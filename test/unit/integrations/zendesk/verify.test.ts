/**
 * Zendesk's webhook signature: base64 HMAC-SHA256 of timestamp + body, the timestamp (ISO 8601, as Zendesk sends
 * it) accepted within five minutes either way, so a captured delivery cannot be replayed later.
 */
import { createHmac } from 'node:crypto';
import { verifyZendeskSignature } from '../../../../integrations/zendesk/verify';

const secret = 'dGhlLXdlYmhvb2tzLXNpZ25pbmctc2VjcmV0';
const body = '{"ticket_id":"35436","comment":"Hi"}';
const now = Date.parse('2026-12-01T12:00:00Z');
const signedAt = (ms: number) => {
  const timestamp = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { timestamp, signature: createHmac('sha256', secret).update(timestamp).update(body).digest('base64') };
};
const check = (signed: { timestamp?: string; signature: string | undefined }) =>
  verifyZendeskSignature({ secret, body, nowMs: now, ...signed });

describe('verifyZendeskSignature', () => {
  it.each([
    ['now', true, 0],
    ['five minutes ago', true, -300_000],
    ['five minutes ahead', true, 300_000],
    ['five minutes and a second ago', false, -301_000],
    ['five minutes and a second ahead', false, 301_000],
    ['in 2019', false, Date.parse('2019-06-01T00:00:00Z') - now],
  ])('signed %s: accepted %s', (_when, ok, offset) => {
    expect(check(signedAt(now + offset))).toEqual(ok ? { ok: true } : { ok: false, reason: 'stale' });
  });

  it('checks the time before the MAC: a stale one is stale whatever it is signed with', () => {
    expect(check({ ...signedAt(now - 600_000), signature: 'AAAA' })).toEqual({ ok: false, reason: 'stale' });
  });

  it('signs the timestamp: a fresh timestamp on an old signature is a mismatch', () => {
    const old = signedAt(now - 600_000);
    expect(check({ signature: old.signature, timestamp: signedAt(now).timestamp })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('names what is missing or malformed', () => {
    expect(check({ signature: signedAt(now).signature, timestamp: undefined })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(check({ signature: 'x', timestamp: 'yesterday' })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ signature: 'x', timestamp: `2026-12-01T12:00:00Z${' '.repeat(40)}` })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});
