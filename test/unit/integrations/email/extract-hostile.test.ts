import { extractReply, type ReplyInput } from '../../../../integrations/email/extract';

// Issue 20: hostile input stays linear, each case under 500 ms. Generous on purpose: a linear pass over 1 MB takes a
// few ms alone, and 100 ms was passed (124 ms, 146 ms) with the MinIO build and three e2e suites on the two cores. Measured as the process's CPU time, best of three runs: up to eight test runs share two cores here,
// and wall time on a loaded machine measures the neighbours; a quadratic algorithm (seconds of CPU on these
// sizes) still fails every run.
const BOUND_MS = 500;

function bestOfThree(input: ReplyInput): { ms: number; out: string } {
  let best = Infinity;
  let out = '';
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    out = extractReply(input);
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return { ms: best, out };
}

const MB = 1_048_576;
const cases: Array<[string, () => ReplyInput]> = [
  ['a 1 MB single line of prose', () => ({ text: 'We met on Monday and wrote: '.repeat(MB / 28) })],
  ['a 1 MB single line of quote markers', () => ({ text: '>'.repeat(MB) })],
  ['a 1 MB single line that starts like an attribution', () => ({ text: `On ${'Mon, '.repeat(MB / 5)} wrote:` })],
  ['a 1 MB single line of header labels', () => ({ text: 'From: a@b.c Sent: 1 To: x Subject: y '.repeat(MB / 38) })],
  ['a 1 MB single line of dashes', () => ({ text: `${'-'.repeat(MB / 2)}Original Message${'-'.repeat(MB / 2)}` })],
  ['a 1 MB single line of HTML text', () => ({ html: `<div>${'x '.repeat(MB / 2)}</div>` })],
  ['100,000 quote markers on one line', () => ({ text: `${'> '.repeat(100_000)}x\nanswer` })],
  ['100,000 quote lines', () => ({ text: `answer\n${'>\n'.repeat(100_000)}` })],
  ['100,000 alternating quote and answer lines', () => ({ text: '> q\na\n'.repeat(50_000) })],
  ['100,000 "On … wrote:" lines', () => ({ text: 'On Mon, Ann <a@b.c> wrote:\n'.repeat(100_000) })],
  ['100,000 device lines', () => ({ text: `hi\n${'Sent from my iPhone\n'.repeat(100_000)}` })],
  ['100k nested divs', () => ({ html: `${'<div>'.repeat(100_000)}deep${'</div>'.repeat(100_000)}` })],
  ['100k nested blockquotes', () => ({ html: `reply${'<blockquote type="cite">'.repeat(100_000)}old` })],
  ['100k nested gmail_quote divs', () => ({ html: '<div class="gmail_quote">'.repeat(100_000) })],
  ['100k unmatched closing tags', () => ({ html: `reply${'</blockquote></div>'.repeat(100_000)}` })],
  ['300k unclosed tag starts', () => ({ html: '<a '.repeat(300_000) })],
  ['1 MB of comments and entities', () => ({ html: '<!-- x -->&amp;&#x1F44D;'.repeat(MB / 24) })],
  ['1 MB of border-top rules', () => ({ html: '<div style="border-top:solid 1px">From: a</div>'.repeat(MB / 48) })],
];

describe('extractReply on hostile input', () => {
  it.each(cases)(`%s takes under ${BOUND_MS} ms`, (_name, make) => {
    const input = make();
    const { ms, out } = bestOfThree(input);
    expect(typeof out).toBe('string');
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('reads the reply above a huge quote and keeps a mail of quote markers', () => {
    expect(bestOfThree({ text: `Short answer.\n\nOn Mon, Ann <a@b.c> wrote:\n${'> old\n'.repeat(200_000)}` }).out).toBe(
      'Short answer.',
    );
    expect(bestOfThree({ text: '>'.repeat(MB) }).out).toHaveLength(MB);
  });
});
