import { htmlToText } from '../../../../common/text';
import { extractReply } from '../../../../integrations/email/extract';
import { corpusCases, failedChecks, readFixture } from '../../../fixtures/email-corpus';

// The figure `npm run email:corpus` reports; a rule change that loses a case fails here.
const REPORTED_PASSES = 36;

describe('extractReply on the upstream fixture corpora', () => {
  const scored = corpusCases.filter((c) => !c.knownFailure);

  it.each(scored.map((c) => [`${c.corpus}/${c.fixture}`, c] as const))('%s', (_name, c) => {
    const raw = readFixture(c.corpus, c.fixture);
    expect(failedChecks(extractReply({ text: raw }), c.checks, raw)).toEqual([]);
  });

  it('passes at least as many cases as reported', () => {
    const passes = corpusCases.filter((c) => {
      const raw = readFixture(c.corpus, c.fixture);
      return failedChecks(extractReply({ text: raw }), c.checks, raw).length === 0;
    }).length;
    expect(passes).toBeGreaterThanOrEqual(REPORTED_PASSES);
  });
});

describe('extractReply', () => {
  it('cuts a Gmail "On … wrote:" header wrapped over two lines', () => {
    const text =
      'Sounds good, ship it.\n\nOn Wed, May 18, 2016 at 11:10 PM Steven Scott <steven@example.com>\nwrote:\n\n> Can we release on Friday?\n';
    expect(extractReply({ text })).toBe('Sounds good, ship it.');
  });

  it('cuts an Outlook original-message block', () => {
    const text = [
      'Refund issued.',
      '',
      '-----Original Message-----',
      'From: Ann User [mailto:ann@example.com]',
      'Sent: Monday, November 26, 2012 10:48 AM',
      'To: Support',
      'Subject: Refund',
      '',
      'Please refund order 42.',
    ].join('\n');
    expect(extractReply({ text })).toBe('Refund issued.');
  });

  it('cuts an Outlook From/Sent/To/Subject block without a delimiter line', () => {
    const text = 'Done.\n\nFrom: Ann User <ann@example.com>\nSent: Monday\nTo: Support\nSubject: Refund\n\nHi';
    expect(extractReply({ text })).toBe('Done.');
  });

  it('cuts a "-- " signature', () => {
    expect(extractReply({ text: 'Your order shipped.\n\n-- \nBob\nAcme Support\n' })).toBe('Your order shipped.');
  });

  it('cuts "Sent from my iPhone" but keeps a sentence that starts with "Sent from"', () => {
    expect(extractReply({ text: 'On my way.\n\nSent from my iPhone' })).toBe('On my way.');
    expect(extractReply({ text: 'Sent from the warehouse this morning, it arrives Friday.' })).toBe(
      'Sent from the warehouse this morning, it arrives Friday.',
    );
  });

  it('converts HTML-only input and drops the blockquote and gmail_quote', () => {
    const html =
      '<div dir="ltr">Thanks &amp; see you<br>on Friday&nbsp;&#x1F44D;</div>' +
      '<div class="gmail_quote"><div class="gmail_attr">On Mon, Ann &lt;ann@example.com&gt; wrote:<br></div>' +
      '<blockquote class="gmail_quote"><div>Is Friday ok?</div><blockquote>older</blockquote></blockquote></div>';
    expect(extractReply({ html })).toBe('Thanks & see you\non Friday 👍');
  });

  it('drops a plain <blockquote> in HTML and keeps paragraphs apart', () => {
    expect(
      htmlToText('<p>One</p><p>Two<blockquote>quoted</blockquote></p><script>x()</script>', { dropQuotes: true }),
    ).toBe('One\n\nTwo');
  });

  // The HTML part's markup says where the quote is; the text part is read when there is no HTML to read.
  it('prefers html over text, and uses text when html is blank', () => {
    expect(extractReply({ text: 'plain', html: '<p>html</p>' })).toBe('html');
    expect(extractReply({ text: 'plain', html: '  <br> ' })).toBe('plain');
    expect(extractReply({ text: '  \n', html: '<p>html</p>' })).toBe('html');
  });

  it('returns an empty string for empty input', () => {
    expect(extractReply({})).toBe('');
    expect(extractReply({ text: '' })).toBe('');
    expect(extractReply({ html: '' })).toBe('');
    expect(extractReply({ text: '\n\n  \n' })).toBe('');
  });

  it('normalises CRLF and drops trailing blank lines', () => {
    expect(extractReply({ text: 'Line one\r\nLine two\r\n\r\nOn Tue, Bob wrote:\r\n> hi\r\n\r\n\r\n' })).toBe(
      'Line one\nLine two',
    );
  });

  it('keeps non-ASCII text as is (github test_handles_non_ascii_characters)', () => {
    expect(extractReply({ text: 'Here’s a test.' })).toBe('Here’s a test.');
  });

  // Decision: a quote followed by new text is an inline answer and stays, so the agent's answer keeps the
  // question it answers; only the trailing quoted history is cut (github's test_reads_inline_replies).
  it('keeps ">" lines that are answered inline, and cuts the trailing quote', () => {
    const text = '> Which plan?\n\nThe yearly one.\n\n> And the seats?\n\nTen.\n\n> Thanks,\n> Ann';
    expect(extractReply({ text })).toBe('> Which plan?\n\nThe yearly one.\n\n> And the seats?\n\nTen.');
  });

  // Issue 20: a mail that is only a quote is kept, not emptied (the inbox would drop it as an empty reply).
  it('keeps a mail that is only a quote', () => {
    expect(extractReply({ text: '> only\n> quote\n' })).toBe('> only\n> quote');
  });

  it('returns on the upstream pathological fixtures and on huge inputs', () => {
    expect(extractReply({ text: readFixture('github-email_reply_parser', 'pathological.txt') })).toMatch(
      /^I think you're onto something/,
    );
    // One 700 kB line of '>': the plain library takes minutes on it.
    // Its quote lines are followed by new text, so they are kept as what the text answers.
    expect(extractReply({ text: readFixture('github-email_reply_parser', 'email_long_quote.txt') })).toMatch(
      /^Hi folks\n\nWhat is the best way to clear a Riak bucket of all key, values after\nrunning a test\?\n>/,
    );
    expect(extractReply({ text: '>\n'.repeat(500_000) })).toBe('>\n'.repeat(500_000).trimEnd());
    expect(extractReply({ text: '>'.repeat(1_000_000) + 'x' })).toBe('>'.repeat(1_000_000) + 'x');
    const prose = 'We met on Monday at the office and talked on the phone at noon. ';
    expect(extractReply({ text: prose.repeat(16_000) })).toHaveLength(prose.length * 16_000 - 1);
    expect(extractReply({ text: `Short answer.\n\n${prose.repeat(400)}\n\nOn Mon, Ann wrote:\n> q` })).toMatch(
      /^Short answer\.\n\nWe met/,
    );
    expect(extractReply({ html: '<a '.repeat(300_000) })).toBeDefined();
    expect(extractReply({ html: '<div class="gmail_quote">'.repeat(100_000) })).toBe('');
  });

  it('never throws on random input', () => {
    let seed = 42;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const alphabet = ['>', '-', '_', ' ', '\n', '\r', 'On ', 'wrote:', 'From: ', '<br>', '<', '&#', 'a', '\uE000'];
    for (let i = 0; i < 200; i++) {
      let text = '';
      for (let j = next() % 400; j > 0; j--) text += alphabet[next() % alphabet.length];
      expect(typeof extractReply({ text })).toBe('string');
      expect(typeof extractReply({ html: text })).toBe('string');
    }
    expect(extractReply(null as unknown as { text: string })).toBe('');
    expect(extractReply({ text: 42 } as unknown as { text: string })).toBe('');
  });
});
