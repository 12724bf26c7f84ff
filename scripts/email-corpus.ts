/**
 * Scores extractReply on the fixture corpora: the upstream ones (test/fixtures/email-corpus.ts), next to the plain
 * email-reply-parser library, and Parley's reply corpus (test/fixtures/email-replies.ts) by client and language.
 * `--verbose` lists every reply-corpus case, not only the failures.
 */
import { createRequire } from 'node:module';
import type EmailReplyParserClass from 'email-reply-parser' with { 'resolution-mode': 'import' };
import { extractReply } from '../integrations/email/extract';
import { type Corpus, corpusCases, failedChecks, readFixture, unscoredFixtures } from '../test/fixtures/email-corpus';
import { replyCases, replyFailures, replyInput } from '../test/fixtures/email-replies';

// The plain library, as the baseline column: the extraction no longer uses it (its regexes are superlinear).
// It is ESM-only and this project compiles to CommonJS; Node >= 20.19 require()s ES modules.
const { default: EmailReplyParser } = createRequire(__filename)('email-reply-parser') as {
  default: typeof EmailReplyParserClass;
};
const plain = (text: string): string => new EmailReplyParser().parseReply(text).trimEnd();

const corpora: Corpus[] = ['github-email_reply_parser', 'zapier-email-reply-parser'];
const totals = { ours: 0, plain: 0, all: 0 };

for (const corpus of corpora) {
  const cases = corpusCases.filter((c) => c.corpus === corpus);
  let ours = 0;
  let base = 0;
  console.log(`\n${corpus}`);
  console.log(`${'fixture'.padEnd(50)} ${'extractReply'.padEnd(13)} plain library`);
  for (const c of cases) {
    const raw = readFixture(corpus, c.fixture);
    const failures = failedChecks(extractReply({ text: raw }), c.checks, raw);
    const plainPass = failedChecks(plain(raw), c.checks, raw).length === 0;
    if (failures.length === 0) ours++;
    if (plainPass) base++;
    const known = c.knownFailure ? ` (known: ${c.knownFailure})` : '';
    console.log(
      `${c.fixture.padEnd(50)} ${(failures.length === 0 ? 'pass' : 'FAIL').padEnd(13)} ${plainPass ? 'pass' : 'fail'}${known}`,
    );
    for (const f of failures) console.log(`    - ${f}`);
  }
  console.log(`${corpus}: ${ours} of ${cases.length} (plain email-reply-parser: ${base} of ${cases.length})`);
  for (const u of unscoredFixtures.filter((x) => x.corpus === corpus)) {
    console.log(`  not scored: ${u.fixture}: ${u.reason}`);
  }
  totals.ours += ours;
  totals.plain += base;
  totals.all += cases.length;
}

const pathological = readFixture('github-email_reply_parser', 'pathological.txt');
const t0 = performance.now();
extractReply({ text: pathological });
const ms = performance.now() - t0;
const long = readFixture('github-email_reply_parser', 'email_long_quote.txt');
const t1 = performance.now();
extractReply({ text: long });
const longMs = performance.now() - t1;

console.log(
  `\noverall: ${totals.ours} of ${totals.all} (plain email-reply-parser: ${totals.plain} of ${totals.all})` +
    `\npathological.txt: ${ms.toFixed(1)} ms; email_long_quote.txt (${long.length} chars): ${longMs.toFixed(1)} ms` +
    ' (the plain library is not timed on it: about 400 s)',
);

async function scoreReplies(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const cases = replyCases();
  const by = { client: new Map<string, [number, number]>(), lang: new Map<string, [number, number]>() };
  const format = new Map<string, [number, number]>();
  let passed = 0;
  console.log(`\nreply corpus (test/fixtures/email-replies, ${cases.length} cases)`);
  for (const c of cases) {
    const failures = replyFailures(extractReply(await replyInput(c)), c);
    const ok = failures.length === 0;
    if (ok) passed++;
    for (const [map, key] of [
      [by.client, c.client],
      [by.lang, c.lang],
      [format, c.format],
    ] as const) {
      const row = map.get(key) ?? [0, 0];
      map.set(key, [row[0] + (ok ? 1 : 0), row[1] + 1]);
    }
    if (!ok || verbose) console.log(`${c.file.padEnd(44)} ${ok ? 'pass' : 'FAIL'} (${c.variant}, ${c.format})`);
    for (const f of failures) console.log(`    - ${f}`);
  }
  const table = (title: string, map: Map<string, [number, number]>): void => {
    console.log(`\n| ${title} | passed | cases | % |\n|---|---|---|---|`);
    for (const [key, [ok, all]] of [...map.entries()].sort((a, b) => a[0].localeCompare(b[0])))
      console.log(`| ${key} | ${ok} | ${all} | ${((100 * ok) / all).toFixed(0)} |`);
  };
  table('client', by.client);
  table('language', by.lang);
  table('part read', format);
  console.log(`\nreply corpus: ${passed} of ${cases.length} (${((100 * passed) / cases.length).toFixed(1)}%)`);
}

void scoreReplies();
