/**
 * The Authentication-Results reader on the shapes real receiving servers write (Gmail, Microsoft 365, Fastmail,
 * RFC 8601's own examples) and on hostile ones: whose header counts, what counts as a pass for the From domain,
 * and that no input makes it slow.
 */
import {
  checkSender,
  MAX_HEADER_CHARS,
  MAX_RESULTS,
  parseAuthenticationResults,
} from '../../../../integrations/email/auth-results';

/** Folded as the servers fold them; the parser sees them unfolded or not. */
const GMAIL = [
  'mx.google.com;',
  '       dkim=pass header.i=@acme.com header.s=google header.b="Xy1Zq9Ab";',
  '       spf=pass (google.com: domain of agent@acme.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=agent@acme.com;',
  '       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=acme.com',
].join('\r\n');

// Exchange Online writes no authserv-id: the header starts with the first result.
const MICROSOFT_365 = [
  'spf=pass (sender IP is 40.107.22.51)',
  ' smtp.mailfrom=acme.com; dkim=pass (signature was verified)',
  ' header.d=acme.com;dmarc=pass action=none header.from=acme.com;compauth=pass',
  ' reason=100',
].join('\r\n');

const FASTMAIL = [
  'mx6.messagingengine.com;',
  '    dkim=pass (2048-bit rsa key sha256) header.d=acme.com header.i=@acme.com header.b=AbCdEfGh header.a=rsa-sha256 header.s=fm3 x-bits=2048;',
  '    dmarc=pass policy.published-domain-policy=reject',
  '      policy.published-subdomain-policy=reject',
  '      policy.applied-disposition=none policy.evaluated-disposition=none',
  '      (p=reject,sp=reject,d=none,d.eval=none) policy.policy-from=p',
  '      header.from=acme.com;',
  '    iprev=pass smtp.remote-ip=203.0.113.7 (mail.acme.com);',
  '    spf=pass smtp.mailfrom=agent@acme.com smtp.helo=mail.acme.com;',
  '    x-aligned-from=pass (Address match);',
  '    x-me-sender=none;',
  '    x-ptr=pass smtp.helo=mail.acme.com policy.ptr=mail.acme.com;',
  '    x-return-mx=pass header.domain=acme.com policy.is_org=yes (MX Records found: mx1.acme.com);',
  '    x-tls=pass smtp.version=TLSv1.3 smtp.cipher=TLS_AES_256_GCM_SHA384 smtp.bits=256/256;',
  '    x-vs=clean score=-100 state=0',
].join('\r\n');

describe('parseAuthenticationResults', () => {
  it('reads Gmail’s verdict: the authserv-id, each method, its properties; comments and quotes dropped', () => {
    const parsed = parseAuthenticationResults(GMAIL);
    expect(parsed.authServId).toBe('mx.google.com');
    expect(parsed.results.map((r) => `${r.method}=${r.result}`)).toEqual(['dkim=pass', 'spf=pass', 'dmarc=pass']);
    expect(Object.fromEntries(parsed.results[0]!.props)).toEqual({
      'header.i': '@acme.com',
      'header.s': 'google',
      'header.b': 'Xy1Zq9Ab',
    });
    expect(parsed.results[1]!.props.get('smtp.mailfrom')).toBe('agent@acme.com');
    expect(parsed.results[2]!.props.get('header.from')).toBe('acme.com');
  });

  it('reads Microsoft 365’s, which names no authserv-id and leaves out spaces after `;`', () => {
    const parsed = parseAuthenticationResults(MICROSOFT_365);
    expect(parsed.authServId).toBeUndefined();
    expect(parsed.results.map((r) => `${r.method}=${r.result}`)).toEqual([
      'spf=pass',
      'dkim=pass',
      'dmarc=pass',
      'compauth=pass',
    ]);
    expect(parsed.results[2]!.props.get('action')).toBe('none');
    expect(parsed.results[3]!.props.get('reason')).toBe('100');
  });

  it('reads Fastmail’s, with its many methods and properties across folded lines', () => {
    const parsed = parseAuthenticationResults(FASTMAIL);
    expect(parsed.authServId).toBe('mx6.messagingengine.com');
    expect(parsed.results).toHaveLength(10);
    const dmarc = parsed.results.find((r) => r.method === 'dmarc')!;
    expect(dmarc.props.get('policy.published-domain-policy')).toBe('reject');
    expect(dmarc.props.get('header.from')).toBe('acme.com');
    expect(parsed.results.find((r) => r.method === 'x-vs')!.props.get('score')).toBe('-100');
  });

  it('reads RFC 8601’s forms: a version, `method/version`, CFWS around `=`, quoted values, `none`', () => {
    const versioned = parseAuthenticationResults(
      'example.com 1; dkim/1 = pass reason="good signature" header.i=@mail-router.example.net;' +
        ' dkim=fail reason="bad signature; forged" header.i=@newyork.example.com',
    );
    expect(versioned.authServId).toBe('example.com');
    expect(versioned.results.map((r) => [r.method, r.result, r.props.get('reason')])).toEqual([
      ['dkim', 'pass', 'good signature'],
      ['dkim', 'fail', 'bad signature; forged'],
    ]);
    expect(parseAuthenticationResults('example.org; none')).toEqual({ authServId: 'example.org', results: [] });
    expect(parseAuthenticationResults('"quoted.example"; DMARC=Pass header.from=Acme.com').results[0]).toMatchObject({
      method: 'dmarc',
      result: 'pass',
    });
    expect(parseAuthenticationResults('')).toEqual({ authServId: undefined, results: [] });
  });

  it('never reads a result out of a comment or a quoted string', () => {
    const parsed = parseAuthenticationResults(
      'mx.example.com; dkim=fail (nested (comment; dmarc=pass header.from=acme.com) \\) still) header.d=acme.com;' +
        ' spf=none reason="x; dmarc=pass header.from=acme.com"',
    );
    expect(parsed.results.map((r) => `${r.method}=${r.result}`)).toEqual(['dkim=fail', 'spf=none']);
  });

  it('keeps the first value of a repeated property', () => {
    const [dmarc] = parseAuthenticationResults('mx; dmarc=pass header.from=acme.com header.from=evil.test').results;
    expect(dmarc!.props.get('header.from')).toBe('acme.com');
  });

  it('stays linear and bounded on hostile headers', () => {
    const hostile = [
      // 1 MB of results, the pass far past the length limit.
      `mx.example.com; ${'dkim=fail header.d=x; '.repeat(50_000)}dmarc=pass header.from=acme.com`,
      // An unclosed comment and an unclosed quote, 1 MB each.
      `mx.example.com; dmarc=fail ${'('.repeat(1_000_000)}`,
      `mx.example.com; dmarc=fail reason="${'\\"'.repeat(500_000)}`,
      // Deeply nested comments, then `=` and `;` with nothing between them.
      `mx; ${'('.repeat(100_000)}${')'.repeat(100_000)} ${'=;'.repeat(400_000)}`,
      // One word of 1 MB.
      `mx; dmarc=${'p'.repeat(1_000_000)}`,
    ];
    for (const value of hostile) {
      const started = performance.now();
      const parsed = parseAuthenticationResults(value);
      expect(performance.now() - started).toBeLessThan(200);
      expect(parsed.results.length).toBeLessThanOrEqual(MAX_RESULTS);
      expect(checkSender([value], 'acme.com')).toMatchObject({ ok: false });
    }
    expect(MAX_HEADER_CHARS).toBeLessThan(100_000);
  });

  it('drops a result the length limit cut in two, so a cut domain cannot read as another', () => {
    const value = `mx; dmarc=pass header.from=acme.com${'x'.repeat(MAX_HEADER_CHARS)}`;
    expect(parseAuthenticationResults(value).results).toEqual([]);
    const padded = `mx; ${'x=y; '.repeat(3)}dmarc=pass header.from=acme.com; spf=pass smtp.mailfrom=${'a'.repeat(MAX_HEADER_CHARS)}`;
    expect(parseAuthenticationResults(padded).results.map((r) => r.method)).toEqual(['x', 'x', 'x', 'dmarc']);
  });

  it('reads at most MAX_RESULTS results', () => {
    expect(parseAuthenticationResults(`mx; ${'spf=none; '.repeat(1000)}`).results).toHaveLength(MAX_RESULTS);
  });
});

describe('checkSender', () => {
  it('accepts DMARC pass for the From domain, from Gmail, Microsoft 365 and Fastmail', () => {
    for (const header of [GMAIL, MICROSOFT_365, FASTMAIL])
      expect(checkSender([header], 'acme.com')).toEqual({ ok: true, by: 'dmarc' });
    expect(checkSender([GMAIL], 'ACME.com')).toEqual({ ok: true, by: 'dmarc' });
  });

  it('accepts DKIM pass only with the From domain’s own signature (header.d, or header.i’s domain)', () => {
    expect(checkSender(['mx; dkim=pass header.d=acme.com; dmarc=none'], 'acme.com')).toEqual({ ok: true, by: 'dkim' });
    expect(checkSender(['mx; dkim=pass header.i=agent@Acme.com'], 'acme.com')).toEqual({ ok: true, by: 'dkim' });
    for (const header of [
      'mx; dkim=pass header.d=sendgrid.net header.i=@sendgrid.net; dmarc=fail header.from=acme.com',
      'mx; dkim=pass header.d=mail.acme.com',
      'mx; dkim=pass header.d=acme.com.evil.test',
      'mx; dkim=pass',
      'mx; dkim=fail header.d=acme.com',
    ])
      expect(checkSender([header], 'acme.com')).toMatchObject({ ok: false });
  });

  it('refuses DMARC for another domain, results short of pass, and SPF alone', () => {
    for (const header of [
      'mx.google.com; dmarc=pass (p=NONE) header.from=evil.test',
      'mx.google.com; dmarc=fail (p=QUARANTINE sp=NONE dis=QUARANTINE) header.from=acme.com',
      'dmarc=bestguesspass action=none header.from=acme.com;compauth=pass reason=109',
      'mx.google.com; dmarc=pass',
      'mx.google.com; spf=pass smtp.mailfrom=agent@acme.com',
      'mx.google.com; none',
    ])
      expect(checkSender([header], 'acme.com')).toMatchObject({ ok: false });
    expect(checkSender([], 'acme.com')).toEqual({ ok: false, detail: 'no Authentication-Results header' });
  });

  it('reads only the topmost header: one the sender wrote below it does not count', () => {
    const server = 'mx.example.com; dmarc=fail header.from=acme.com';
    const forged = 'mx.example.com; dmarc=pass header.from=acme.com';
    const check = checkSender([server, forged], 'acme.com');
    expect(check).toEqual({
      ok: false,
      detail: 'mx.example.com shows no DMARC or aligned DKIM pass for acme.com (dmarc=fail header.from=acme.com)',
    });
  });

  it('with authServIds, reads the topmost header of that id, and none other', () => {
    const ours = 'mx.example.com; dmarc=pass header.from=acme.com';
    const filter = 'spam-filter.internal; x-spam=clean';
    const forged = 'evil.test; dmarc=pass header.from=acme.com';
    expect(checkSender([filter, ours], 'acme.com', ['MX.example.com'])).toEqual({ ok: true, by: 'dmarc' });
    expect(checkSender([forged], 'acme.com', ['mx.example.com'])).toEqual({
      ok: false,
      detail: 'no Authentication-Results header from mx.example.com',
    });
    expect(checkSender([forged, ours], 'acme.com', ['mx1.example.com', 'mx.example.com'])).toEqual({
      ok: true,
      by: 'dmarc',
    });
    expect(
      checkSender(['mx.example.com; dmarc=fail header.from=acme.com', ours], 'acme.com', ['mx.example.com']),
    ).toMatchObject({ ok: false });
    // Without authServIds the topmost counts, whoever wrote it: ops name the id when a hop adds its own above.
    expect(checkSender([filter, ours], 'acme.com')).toMatchObject({ ok: false });
  });

  it('keeps what it logs short, whatever the header holds', () => {
    const check = checkSender([`${'m'.repeat(5000)}; dmarc=fail header.from=${'d'.repeat(5000)}`], 'acme.com');
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.detail.length).toBeLessThan(400);
  });
});
