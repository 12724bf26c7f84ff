/** Every signature check Parley makes (and the one it gives client apps), in one table: one shape, named refusals. */
import { createHmac } from 'node:crypto';
import type { SignedRequest, VerifyResult } from '../../../common/signature';
import { verifyHelpScoutSignature } from '../../../integrations/helpscout/verify';
import { verifySlackSignature } from '../../../integrations/slack/verify';
import { signWebhookBody, verifyWebhookSignature } from '../../../integrations/webhooks/verify';
import { verifyZendeskSignature } from '../../../integrations/zendesk/verify';

const secret = 'a-signing-secret-of-some-length';
const body = '{"hello":"world"}';
const now = Date.parse('2026-12-01T12:00:00Z');

interface Vendor {
  name: string;
  verify: (r: SignedRequest) => VerifyResult;
  /** A request signed at `at` (epoch ms) over `b` with `s`. */
  sign: (at: number, b?: string, s?: string) => Pick<SignedRequest, 'signature' | 'timestamp'>;
  fresh: boolean;
}

const vendors: Vendor[] = [
  {
    name: 'Slack',
    verify: verifySlackSignature,
    sign: (at, b = body, s = secret) => {
      const ts = String(Math.floor(at / 1000));
      return { timestamp: ts, signature: `v0=${createHmac('sha256', s).update(`v0:${ts}:${b}`).digest('hex')}` };
    },
    fresh: true,
  },
  {
    name: 'Zendesk',
    verify: verifyZendeskSignature,
    sign: (at, b = body, s = secret) => {
      const ts = new Date(at).toISOString();
      return {
        timestamp: ts,
        signature: createHmac('sha256', s)
          .update(ts + b)
          .digest('base64'),
      };
    },
    fresh: true,
  },
  {
    name: 'Help Scout',
    verify: verifyHelpScoutSignature,
    sign: (_at, b = body, s = secret) => ({ signature: createHmac('sha1', s).update(b).digest('base64') }),
    fresh: false,
  },
  {
    name: 'client webhooks',
    verify: verifyWebhookSignature,
    sign: (at, b = body, s = secret) => ({ signature: signWebhookBody(b, s, at) }),
    fresh: true,
  },
];

describe.each(vendors)('$name signatures', ({ verify, sign, fresh }) => {
  const check = (signed: Pick<SignedRequest, 'signature' | 'timestamp'>, b: string | Buffer = body) =>
    verify({ secret, body: b, nowMs: now, ...signed });

  it('accepts the raw body signed with the secret, as a string or a Buffer', () => {
    expect(check(sign(now - 60_000))).toEqual({ ok: true });
    expect(check(sign(now), Buffer.from(body))).toEqual({ ok: true });
  });
  it('refuses a changed body and another secret as a mismatch', () => {
    expect(check(sign(now), `${body} `)).toEqual({ ok: false, reason: 'mismatch' });
    expect(check(sign(now, body, 'another-secret-entirely'))).toEqual({ ok: false, reason: 'mismatch' });
  });
  it('refuses a missing signature', () => {
    expect(check({ ...sign(now), signature: undefined })).toEqual({ ok: false, reason: 'missing' });
  });
  (fresh ? it : it.skip)('refuses a signature older or newer than five minutes as stale', () => {
    expect(check(sign(now - 301_000))).toEqual({ ok: false, reason: 'stale' });
    expect(check(sign(now + 301_000))).toEqual({ ok: false, reason: 'stale' });
    expect(verify({ secret, body, nowMs: now, toleranceSeconds: 600, ...sign(now - 301_000) })).toEqual({ ok: true });
  });
});

it('names a malformed signature or timestamp', () => {
  expect(verifySlackSignature({ secret, body, signature: 'v1=abc', timestamp: '1', nowMs: 1000 })).toEqual({
    ok: false,
    reason: 'malformed',
  });
  expect(verifyZendeskSignature({ secret, body, signature: 'x', timestamp: 'yesterday', nowMs: now })).toEqual({
    ok: false,
    reason: 'malformed',
  });
  expect(verifyWebhookSignature({ secret, body, signature: 't=abc,v1=00', nowMs: now })).toEqual({
    ok: false,
    reason: 'malformed',
  });
});
