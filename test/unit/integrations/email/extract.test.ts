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

// Issue 20, by kind: hand-written shapes, apart from the generated corpus.
describe('extractReply in many locales and shapes', () => {
  const quoted = (attribution: string): string => `Done.\n\n${attribution}\n\n> The question\n> goes here\n`;

  it.each([
    'Op 17-feb.-2015, om 13:18 heeft Ann Lee <ann@example.nl> het volgende geschreven:',
    'Le mar. 12 mars 2024 à 10:15, Ann <ann@example.fr> a écrit :',
    'El mar, 12 mar 2024 a las 10:15, Ann (<ann@example.es>) escribió:',
    'Il giorno mar 12 mar 2024 alle ore 10:15 Ann <ann@example.it> ha scritto:',
    'Em ter., 12 de mar. de 2024 às 10:15, Ann <ann@example.br> escreveu:',
    'Den tis 12 mars 2024 kl 10:15 skrev Ann <ann@example.se>:',
    'Am Di., 12. März 2024 um 10:15 Uhr schrieb Ann <ann@example.de>:',
    'W dniu 12.03.2024 o 10:15, Ann <ann@example.pl> napisał(a):',
    'Анна <anna@example.ru> написал(а):',
    'вт, 12 бер. 2024 р. о 10:15 Олена <olena@example.ua> пише:',
    '20 окт. 2016 г. 19:37 пользователь "Ann" <ann@example.ru> написал:',
    'вт, 12 мар. 2024 г. в 10:15, Анна <anna@example.ru>:',
    'Vào Th 3, 12 thg 3, 2024 vào lúc 10:15 Lan <lan@example.vn> đã viết:',
    '2024年3月12日(火) 10:15 田中 <taro@example.jp>:',
    '李娜 <na.li@example.cn> 于2024年3月12日周二 10:15写道：',
    '2011/4/7 Nathan <nathan@example.com>',
    'On Tue, Apr 5, 2011 at 10:00 AM, Ann Lee\n<ann@example.com> wrote:',
    'On Tue, Apr 5, 2011 at 10:00 AM, Ann Lee <ann@example.com<mailto:ann@example.com>> wrote:',
  ])('cuts the quote under "%s"', (attribution) => {
    expect(extractReply({ text: quoted(attribution) })).toBe('Done.');
  });

  it.each([
    ['From', 'Sent', 'To', 'Subject'],
    ['Von', 'Gesendet', 'An', 'Betreff'],
    ['Fra', 'Sendt', 'Til', 'Emne'],
    ['Från', 'Skickat', 'Till', 'Ämne'],
    ['De ', 'Envoyé ', 'À ', 'Objet '],
    ['От', 'Отправлено', 'Кому', 'Тема'],
    ['Date', 'From', 'To', 'Subject'],
  ])('cuts a %s:/%s:/%s:/%s: header block and the message below it', (a, b, c, d) => {
    const text = `Done.\n\n${a}: Ann Lee\n${b}: 12.03.2024 10:15\n${c}: Support\n${d}: RE: Order\n\nThe old message`;
    expect(extractReply({ text })).toBe('Done.');
  });

  it('cuts translated "Original Message" separators', () => {
    for (const sep of [
      '-----Ursprüngliche Nachricht-----',
      "-----Message d'origine-----",
      '-----Исходное сообщение-----',
    ])
      expect(extractReply({ text: `Done.\n\n${sep}\nold` })).toBe('Done.');
  });

  it('splits a reply that shares its line with the quote separator', () => {
    expect(extractReply({ text: 'Works for me.On Tue, Mar 12, 2024 at 10:15 AM Ann <ann@x.com> wrote:\n> q' })).toBe(
      'Works for me.',
    );
    expect(extractReply({ text: 'Works for me. -----Original Message-----\nFrom: Ann\nq' })).toBe('Works for me.');
  });

  it("cuts Zoho's dashed attribution, a wrapped one with the date above, and Yandex's over unmarked text", () => {
    expect(extractReply({ text: 'Done.\n\n---- On Wed, 24 Feb 2021 14:02:50 +0530 a@b.c wrote ----\n\nold' })).toBe(
      'Done.',
    );
    expect(extractReply({ text: 'Done.\n\npe 20. lokakuuta 2017 klo 17.50 John Coe\n<j@b.c> kirjoitti:\n\nold' })).toBe(
      'Done.',
    );
    expect(extractReply({ text: 'Done.\n\n30.09.2017, 18.30, "John Doe" <j@b.c>:\n\nold' })).toBe('Done.');
  });

  it('keeps a quote interrupted by a wrapped link inside the quote', () => {
    const text = 'Fixed.\n\nOn Tue, Ann <ann@x.com> wrote:\n> see\nhttps://example.com/a/very/long/link\n> thanks\n';
    expect(extractReply({ text })).toBe('Fixed.');
  });

  it.each([
    'Envoyé de mon iPhone',
    'Von meinem iPhone gesendet',
    'Enviado desde mi iPhone',
    'Inviato da iPhone',
    'Verzonden vanaf mijn iPhone',
    'Sendt fra min iPhone',
    "Wysłane z iPhone'a",
    'Отправлено с iPhone',
    'Được gửi từ iPhone của tôi',
    'iPhoneから送信',
    '发自我的iPhone',
    'Sent from my Samsung Galaxy smartphone.',
    'Get Outlook for Android<https://aka.ms/ghei36>',
    'Sent from Mail for Windows',
  ])('drops the device line "%s" and keeps the sign-off', (device) => {
    expect(extractReply({ text: `Yes, done.\n\nBest regards,\nAna\n\n${device}\n` })).toBe(
      'Yes, done.\n\nBest regards,\nAna',
    );
  });

  it('keeps what merely resembles a header, an attribution or a device line', () => {
    for (const text of [
      'Route below.\n\nFrom: Paris\nTo: Berlin\nDate: Friday 12 March',
      'Subject: your refund\nI processed it today.',
      'On Monday the courier wrote: the parcel is at the depot.',
      'Sent the app link to your phone.',
    ])
      expect(extractReply({ text })).toBe(text);
  });

  it('keeps a message forwarded on purpose', () => {
    const text =
      'FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Ann <ann@x.com>\nDate: Tue, Mar 12, 2024\nSubject: Invoice\nTo: <b@y.com>\n\nPlease pay.';
    expect(extractReply({ text })).toBe(text);
    const outlook = 'FYI.\n\nFrom: Ann <ann@x.com>\nSent: Tuesday\nTo: Bob\nSubject: FW: Invoice\n\nPlease pay.';
    expect(extractReply({ text: outlook })).toBe(outlook);
  });

  it('reads HTML structure: Outlook border-top rule, divRplyFwdMsg, yahoo_quoted, moz-cite-prefix, literal ">"', () => {
    expect(
      extractReply({
        html: '<div>Hi. I am fine.</div><div style="border-top: solid 1px #e5e5e5"><b>От:</b> Ann<br><b>Отправлено:</b> 26 июня<br><b>Кому:</b> Alex</div><div>Hello!</div>',
      }),
    ).toBe('Hi. I am fine.');
    expect(
      extractReply({
        html: '<div>Sure.</div><hr><div id="divRplyFwdMsg"><b>From:</b> Ann<br><b>Sent:</b> Tue</div><div>old</div>',
      }),
    ).toBe('Sure.');
    expect(
      extractReply({
        html: '<div>Sure.</div><div class="yahoo_quoted"><div>On Tue, Ann wrote:</div><div>old</div></div>',
      }),
    ).toBe('Sure.');
    expect(
      extractReply({
        html: '<p>Sure.</p><div class="moz-cite-prefix">On 3/12/24, Ann wrote:</div><blockquote type="cite">old</blockquote><pre class="moz-signature">-- \nBob</pre>',
      }),
    ).toBe('Sure.');
    expect(extractReply({ html: 'Hello<br><br><div>&gt; Subject: Test<br>&gt; From: a@b.c<br>&gt; Hi</div>' })).toBe(
      'Hello',
    );
  });

  it("keeps inline answers written inside Gmail's gmail_quote", () => {
    const html =
      '<div class="gmail_quote"><div class="gmail_attr">On Tue, Ann &lt;a@b.c&gt; wrote:</div><blockquote class="gmail_quote">Which size?</blockquote><div>M, please.</div><blockquote class="gmail_quote">Thanks</blockquote></div>';
    expect(extractReply({ html })).toBe('> On Tue, Ann <a@b.c> wrote:\n> Which size?\nM, please.');
  });
});
