import { createHash, createHmac } from 'node:crypto';
import { gravatarUrl } from '../../../../common/text';
import { channelName, randomWords, slugify } from '../../../../integrations/slack/names';
import { verifySlackSignature } from '../../../../integrations/slack/verify';

describe('Slack channel names', () => {
  it('follow Slack rules: lowercase, digits, - and _, accents folded, 80 characters', () => {
    expect(channelName({ givenName: 'Jane', surname: 'Doe' }, 'c1')).toBe('sk-jane-doe');
    expect(channelName({ givenName: 'Zoë', surname: "O'Brien-Łukasz" }, 'c1')).toBe('sk-zoe-o-brien-lukasz');
    expect(channelName({ givenName: 'François' }, 'c1')).toBe('sk-francois');
    expect(channelName({ email: 'Jane.Doe+vip@example.com' }, 'c1')).toBe('sk-jane-doe-vip');
    expect(channelName({ givenName: 'Jane' }, 'c1', 2)).toBe('sk-jane-2');
    const long = channelName({ givenName: 'x'.repeat(200) }, 'c1', 12);
    expect(long).toHaveLength(80);
    expect(long.endsWith('-12')).toBe(true);
    expect(slugify('  ¡Hola!  ')).toBe('hola');
  });

  it('fall back to two stable random words when the user has no name', () => {
    const name = channelName({}, 'conversation:acme:42');
    expect(name).toMatch(/^sk-[a-z]+-[a-z]+$/);
    expect(channelName({ givenName: '日本' }, 'conversation:acme:42')).toBe(name);
    expect(randomWords('conversation:acme:42')).toBe(randomWords('conversation:acme:42'));
  });

  it('give Gravatar addresses from the normalised email', () => {
    const hash = createHash('sha256').update('jane@example.com').digest('hex');
    expect(gravatarUrl(' Jane@Example.com ')).toBe(`https://www.gravatar.com/avatar/${hash}?s=192&d=identicon`);
  });
});

describe('Slack request verification', () => {
  const secret = 'slack-signing-secret';
  const body = 'token=x&team_id=T1&text=hello';
  const now = 1_800_000_000;
  const sign = (ts: number, b = body, s = secret) =>
    `v0=${createHmac('sha256', s).update(`v0:${ts}:${b}`).digest('hex')}`;

  it('accepts a fresh signature of the raw body', () => {
    expect(
      verifySlackSignature({
        secret,
        body,
        signature: sign(now),
        timestamp: String(now),
        nowMs: (now + 60) * 1000,
      }),
    ).toEqual({ ok: true });
  });

  it('refuses stale, tampered, foreign and missing signatures', () => {
    const base = { secret, body, nowMs: now * 1000 };
    expect(verifySlackSignature({ ...base, signature: sign(now - 301), timestamp: String(now - 301) })).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(
      verifySlackSignature({ ...base, body: `${body}&x=1`, signature: sign(now), timestamp: String(now) }),
    ).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySlackSignature({ ...base, signature: sign(now, body, 'other'), timestamp: String(now) })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySlackSignature({ ...base, signature: undefined, timestamp: String(now) })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(verifySlackSignature({ ...base, signature: 'v1=abc', timestamp: String(now) })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});
