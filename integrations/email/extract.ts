/**
 * The agent's new text from an inbound reply email: quoted history, reply headers and signatures are cut.
 *
 * `email-reply-parser` does the core work (fragments, "On … wrote:" headers in ten locales, device
 * signatures). The rules below only fill gaps that the github/zapier fixture corpora show
 * (`npm run email:corpus`), plus guards that keep its regexes away from inputs they are slow on.
 * Pure: no I/O, no Temporal, never throws.
 */
import { createRequire } from 'node:module';
import type EmailReplyParserClass from 'email-reply-parser' with { 'resolution-mode': 'import' };
import { htmlToText } from '../../common/text';

// email-reply-parser is ESM-only and this project compiles to CommonJS, where TypeScript refuses a static
// import; Node >= 20.19 require()s ES modules (node:20 images are past that).
const { default: EmailReplyParser } = createRequire(__filename)('email-reply-parser') as {
  default: typeof EmailReplyParserClass;
};

export interface ReplyInput {
  text?: string;
  html?: string;
}

interface Block {
  text: string;
  quoted: boolean;
  signature: boolean;
}

// The library's regexes are superlinear: a 20 kB one-line paragraph takes 3 s, email_long_quote.txt (one
// 700 kB line of '>') takes 400 s. It only ever sees at most LIBRARY_MAX_CHARS, in lines of at most
// LIBRARY_MAX_LINE (longer lines are parked and put back afterwards).
const LIBRARY_MAX_CHARS = 32_000;
const LIBRARY_MAX_LINE = 1_000;
const LINE_KEEP = 200;
// Private-use characters mark parked line tails; any already in the input are dropped first.
const PARK = /\uE000(\d+)\uE001/g;
const PARK_CHARS = /[\uE000\uE001]/g;

const QUOTE_LINE = /^\s*>/;
const ON_WROTE = /^\s*On\s.{1,300}\swrote:\s*$/;
const ON_START = /^\s*On\s/;
const WROTE_END = /wrote:\s*$/;
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*Original Message\s*-{2,}\s*$/i;
const SEPARATOR = /^\s*(?:-{5,}|_{5,})\s*$/;
const HEADER_FROM = /^\s*\*?From:\*?\s/;
const HEADER_OTHER = /^\s*\*?(?:Sent|Date|To|Subject|Cc):\*?\s/;
// Ruby email_reply_parser's signature starts: a `--`/`__` line, or `-Name`, after a blank line.
const SIGNATURE_START = /^(?:--|__|-\w)/;
// The library hides every `Sent from …` line; only a short device line is a signature.
const SENT_FROM = /^\s*Sent from /;
const DEVICE_LINE = /^\s*Sent from (?:my )?[^,;.!?]{1,40}$/;

/** The library alone, without the rules below: the baseline `npm run email:corpus` compares against. */
export function parsePlain(text: string): string {
  return new EmailReplyParser().parseReply(text);
}

export function extractReply(input: ReplyInput): string {
  try {
    const text = normalise(input);
    if (text.trim() === '') return '';
    return render(splitRules(parse(text)));
  } catch {
    // Unreachable by design (every step is plain string work); if the library ever throws, an
    // unstripped reply is better than a lost one.
    return typeof input?.text === 'string' ? input.text.replace(/\r\n?/g, '\n').trimEnd() : '';
  }
}

function normalise(input: ReplyInput): string {
  const text = typeof input?.text === 'string' && input.text.trim() !== '' ? input.text : undefined;
  const html = typeof input?.html === 'string' ? input.html : '';
  const raw = text ?? (html ? htmlToText(html, { dropQuotes: true }) : '');
  return raw.replace(/\r\n?/g, '\n').replace(PARK_CHARS, '');
}

function parse(text: string): Block[] {
  // Most large emails are large because of their quoted history; the reply is above it.
  const source = text.length > LIBRARY_MAX_CHARS ? text.split('\n').slice(0, historyStart(text)).join('\n') : text;
  if (source.length > LIBRARY_MAX_CHARS) return [{ text: source, quoted: false, signature: false }];

  const tails: string[] = [];
  const parked = source
    .split('\n')
    .map((line) => {
      if (line.length <= LIBRARY_MAX_LINE) return line;
      tails.push(line.slice(LINE_KEEP));
      return `${line.slice(0, LINE_KEEP)}\uE000${tails.length - 1}\uE001`;
    })
    .join('\n');
  const unpark = (s: string): string => s.replace(PARK, (_, i: string) => tails[Number(i)] ?? '');

  return new EmailReplyParser()
    .read(parked)
    .getFragments()
    .map((f) => {
      const content = unpark(f.getContent());
      return {
        text: content,
        quoted: f.isQuoted(),
        // Gap (email_sent_from_my_not_signature): "Sent from my desk, is much easier…" is a sentence.
        signature: f.isSignature() && !(SENT_FROM.test(content) && !DEVICE_LINE.test(content.split('\n')[0] ?? '')),
      };
    });
}

/** Index of the first line of quoted history, by line rules only (linear time), or the line count. */
function historyStart(text: string): number {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (QUOTE_LINE.test(line) || ON_WROTE.test(line) || headerBlockAt(lines, i)) return i;
    if (ON_START.test(line) && line.length < 300 && WROTE_END.test((lines[i + 1] ?? '').slice(-300))) return i;
  }
  return lines.length;
}

/**
 * Gap (email_2_1, email_2_2, zapier email_2_3): Outlook's quoted message starts with a rule line or
 * `-----Original Message-----`, or directly with `From:`/`*From:*` followed by `Sent:`/`To:`/`Subject:` lines.
 */
function headerBlockAt(lines: string[], i: number): boolean {
  const line = lines[i] ?? '';
  if (ORIGINAL_MESSAGE.test(line)) return true;
  let j = i;
  if (SEPARATOR.test(line)) {
    j = i + 1;
    while (j < lines.length && j < i + 3 && (lines[j] ?? '').trim() === '') j++;
  }
  if (!HEADER_FROM.test(lines[j] ?? '')) return false;
  let headers = 0;
  for (let k = j + 1; k < Math.min(lines.length, j + 6); k++) if (HEADER_OTHER.test(lines[k] ?? '')) headers++;
  return headers >= 2;
}

/** Splits a visible block where Outlook headers or a Ruby-style signature start; the tail is hidden-able. */
function splitRules(blocks: Block[]): Block[] {
  const out: Block[] = [];
  for (const block of blocks) {
    if (block.quoted || block.signature) {
      out.push(block);
      continue;
    }
    const lines = block.text.split('\n');
    let start = 0;
    for (let i = 0; i < lines.length; i++) {
      const header = headerBlockAt(lines, i);
      // Gap (email_1_1, email_1_2, email_1_3): `-Abhishek Kona` and `____` mailing-list footers.
      const signature = !header && SIGNATURE_START.test(lines[i] ?? '') && (i === 0 || lines[i - 1]?.trim() === '');
      if (!header && !signature) continue;
      if (i > start) out.push({ text: lines.slice(start, i).join('\n'), quoted: false, signature: false });
      out.push({ text: lines.slice(i).join('\n'), quoted: header, signature });
      start = lines.length;
      break;
    }
    if (start < lines.length) out.push({ text: lines.slice(start).join('\n'), quoted: false, signature: false });
  }
  return out;
}

/**
 * Gap (email_1_2, email_1_8): the library hides every quoted fragment, which loses what an inline or
 * bottom-posted answer replies to. As in Ruby email_reply_parser, only the trailing run of quoted,
 * signature and blank blocks is hidden; a quote followed by new text stays.
 */
function render(blocks: Block[]): string {
  let end = blocks.length;
  while (end > 0) {
    const b = blocks[end - 1];
    if (b && !b.quoted && !b.signature && b.text.trim() !== '') break;
    end--;
  }
  // The library drops the blank line between a quote and the answer below it; put one back.
  return blocks
    .slice(0, end)
    .map((b, i) => (i > 0 && b.quoted !== blocks[i - 1]?.quoted ? `\n${b.text}` : b.text))
    .join('\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
}
