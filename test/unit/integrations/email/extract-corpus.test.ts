import fs from 'node:fs';
import path from 'node:path';
import { extractReply } from '../../../../integrations/email/extract';
import { corpusCases, failedChecks, readFixture } from '../../../fixtures/email-corpus';
import { type ReplyCase, replyCases, replyFailures, replyInput, repliesRoot } from '../../../fixtures/email-replies';

// Issue 20's bar: at least 95% of the reply corpus, and every case of the upstream corpora.
const REPLY_CORPUS_SHARE = 0.95;
const UPSTREAM_CASES = 36;

describe('the reply corpus (test/fixtures/email-replies)', () => {
  const cases = replyCases();

  it('has at least 150 real MIME cases over the clients and languages of issue 20', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    for (const c of cases)
      expect(fs.readFileSync(path.join(repliesRoot, c.file), 'latin1')).toMatch(/^MIME-Version: 1\.0\r$/m);
    const clients = new Set(cases.map((c) => c.client));
    for (const client of [
      'gmail',
      'outlook-desktop',
      'outlook-web',
      'outlook-mobile',
      'apple-mail',
      'ios',
      'android',
      'thunderbird',
      'yahoo',
      'yandex',
      'mailru',
      'windows-mail',
    ])
      expect(clients).toContain(client);
    const langs = new Set(cases.map((c) => c.lang));
    for (const lang of ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'no', 'pl', 'ru', 'uk', 'vi', 'ja', 'zh'])
      expect(langs).toContain(lang);
    expect(new Set(cases.map((c) => c.format))).toEqual(new Set(['plain', 'html']));
  });

  it(`passes at least ${REPLY_CORPUS_SHARE * 100}% of its cases`, async () => {
    const failed: Array<[ReplyCase, string[]]> = [];
    for (const c of cases) {
      const failures = replyFailures(extractReply(await replyInput(c)), c);
      if (failures.length) failed.push([c, failures]);
    }
    const share = (cases.length - failed.length) / cases.length;
    if (share < REPLY_CORPUS_SHARE) expect(failed.map(([c, f]) => `${c.file}: ${f.join('; ')}`)).toEqual([]);
    expect(share).toBeGreaterThanOrEqual(REPLY_CORPUS_SHARE);
  });

  it('checks can fail: a reply with the quote left in does not pass', () => {
    const c = cases.find((x) => x.expected.equals !== undefined);
    if (!c?.expected.equals) throw new Error('no equals case');
    expect(replyFailures(`${c.expected.equals}\n\n> quoted`, c)).not.toEqual([]);
    expect(replyFailures(c.expected.equals, c)).toEqual([]);
  });
});

describe('the upstream corpora (shared/fixtures/email)', () => {
  it(`pass ${UPSTREAM_CASES} of ${UPSTREAM_CASES}`, () => {
    const passes = corpusCases.filter((c) => {
      const raw = readFixture(c.corpus, c.fixture);
      return failedChecks(extractReply({ text: raw }), c.checks, raw).length === 0;
    }).length;
    expect(corpusCases).toHaveLength(UPSTREAM_CASES);
    expect(passes).toBe(UPSTREAM_CASES);
  });
});
