/**
 * The agent's new text from an inbound reply email: quoted history, reply headers and signatures are cut.
 *
 * When the mail has an HTML part its markup is read (extract-html.ts): clients mark their quotes and the start of
 * the quoted history there more reliably than in the text they render. Otherwise the text part is read, where `>`
 * marks quotes. Both become the same lines, and one set of rules, by kind and in many locales
 * (extract-locales.ts), finds where the history starts: an "On … wrote:" line, a header block, an
 * "Original Message" separator. Above it, a quote followed by new text is an inline or bottom-posted answer's
 * context and stays; the trailing quotes, the `-- ` signature and device lines ("Sent from my iPhone") go. A
 * forwarded message is kept whole, and a mail that is only a quote is kept as it is.
 *
 * Linear: every line is read a bounded number of times, patterns only see lines of at most MAX_RULE_LINE
 * characters, and the inputs are capped (MAX_TEXT_CHARS, MAX_HTML_CHARS). Pure: no I/O, never throws.
 */
import { htmlToLines, type Line } from './extract-html';
import {
  DASHED_PHRASE,
  FORWARD_SUBJECT,
  GLUED_LEAD,
  type HeaderKind,
  headerKind,
  LEAD,
  MAX_RULE_LINE,
  ORIGINAL_SEPARATOR,
  RULE,
  WROTE,
  isDeviceSignature,
  isForwardSeparator,
} from './extract-locales';

export { MAX_HTML_CHARS } from './extract-html';

export interface ReplyInput {
  text?: string;
  html?: string;
}

/** Text beyond this is not read (the reply is at the top; two million characters are no chat message). */
export const MAX_TEXT_CHARS = 2_000_000;

interface Row {
  /** The line as it is shown: with its `>` markers in text, without markup in HTML. */
  raw: string;
  /** The line without quote markers, trimmed. */
  body: string;
  quote: number;
  signature: boolean;
  mark: Line['mark'];
  /** An attribution line ("On … wrote:") that belongs to the quote below it. */
  attribution: boolean;
}

export function extractReply(input: ReplyInput): string {
  try {
    const html = typeof input?.html === 'string' ? input.html : '';
    const text = typeof input?.text === 'string' ? input.text : '';
    if (/\S/.test(html)) {
      const rows = htmlToLines(html, MAX_ROWS).map(fromHtml);
      if (rows.some((r) => r.body !== '')) return extractRows({ rows, tail: '' }, 'html');
    }
    if (!/\S/.test(text)) return '';
    return extractRows(textRows(text), 'text');
  } catch {
    // Unreachable by design (every step is plain string work); an unstripped reply is better than a lost one.
    return typeof input?.text === 'string' ? input.text.replace(/\r\n?/g, '\n').trimEnd() : '';
  }
}

function fromHtml(line: Line): Row {
  // Some webmails (Hotmail, many forwarders) quote with literal `>` in the HTML text; they count as quote depth.
  const [markers, k] = quoteMarkers(line.text);
  const body = markers > 0 ? line.text.slice(k).trim() : line.text.trim();
  return {
    raw: body,
    body,
    quote: line.quote + markers,
    signature: line.signature === true,
    mark: line.mark,
    attribution: false,
  };
}

/** `>`, `> >`, `>>` at a line's start: how many markers, and where the text after them starts. */
function quoteMarkers(line: string): [number, number] {
  let quote = 0;
  let k = 0;
  while (k < line.length) {
    const c = line.charCodeAt(k);
    if (c === 62) quote++;
    else if (c !== 32 && c !== 9) break;
    k++;
  }
  return quote > 0 ? [quote, k] : [0, 0];
}

/** Lines read in detail; a reply is at the top, and what lies further down is history or kept as it is. */
export const MAX_ROWS = 10_000;

interface Rows {
  rows: Row[];
  /** The text after the first MAX_ROWS lines, kept only where the mail is kept to its end. */
  tail: string;
}

function textRows(input: string): Rows {
  const text = (input.length > MAX_TEXT_CHARS ? input.slice(0, MAX_TEXT_CHARS) : input).replace(/\r\n?/g, '\n');
  const rows: Row[] = [];
  let at = 0;
  while (at <= text.length && rows.length < MAX_ROWS) {
    let nl = text.indexOf('\n', at);
    if (nl === -1) nl = text.length;
    const line = text.slice(at, nl);
    at = nl + 1;
    const [quote, k] = quoteMarkers(line);
    const body = quote > 0 ? line.slice(k).trim() : line.trim();
    rows.push({ raw: line.trimEnd(), body, quote, signature: false, mark: undefined, attribution: false });
  }
  return { rows, tail: at < text.length ? text.slice(at).trimEnd() : '' };
}

function extractRows(input: Rows, source: 'text' | 'html'): string {
  const rows = mendWrappedQuotes(splitGlued(input.rows));
  const { end, forward } = historyStart(rows);
  const keep = keptRows(rows, end);
  const withTail = (s: string): string => (input.tail === '' ? s : `${s}\n${input.tail}`);

  if (keep === undefined) {
    // Nothing but quotes (or history) above any forward: a mail that is only a quote is kept as it is.
    if (forward === -1) return withTail(render(rows, source, () => true));
    return withTail(render(rows, source, (i) => i >= forward, forward));
  }
  const reply = render(rows, source, (i) => keep[i] === 1 || (forward !== -1 && i >= forward), forward);
  // A reply longer than MAX_ROWS lines with no history found goes on in the tail.
  if (forward !== -1) return withTail(reply);
  let lastText = rows.length - 1;
  while (lastText >= 0 && rows[lastText]?.body === '') lastText--;
  // The reply runs on into the tail only when nothing cut it and its last read line is part of it.
  return input.tail !== '' && end === rows.length && keep.length - 1 === lastText ? withTail(reply) : reply;
}

/** Where the quoted history starts (`end`), or where a forwarded message starts (`forward`, kept whole). */
function historyStart(rows: Row[]): { end: number; forward: number } {
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (!r) break;
    if (r.quote > 0) {
      // A quote block that opens with a forward separator (Gmail puts forwards in a gmail_quote).
      if (r.quote === 1 && (i === 0 || (rows[i - 1]?.quote ?? 0) === 0)) {
        const first = nextNonBlank(rows, i, 4);
        if (first !== -1 && isForwardSeparator(rows[first]?.body ?? '')) return { end: n, forward: i };
      }
      continue;
    }
    if (r.mark === 'history') {
      const at = nextNonBlank(rows, i + 1, 4);
      const block = at === -1 ? undefined : headerBlockAt(rows, at, true);
      return block?.forward ? { end: n, forward: i } : { end: i, forward: -1 };
    }
    if (r.body === '' && r.mark !== 'rule') continue;
    if (r.body.length > MAX_RULE_LINE) continue;
    if (isForwardSeparator(r.body)) return { end: n, forward: i };
    // Separator lines start with a rule character; testing only those keeps the per-line cost at a few checks.
    const dashed = RULE_START.test(r.body);
    const ruled = r.mark === 'rule' || (dashed && (RULE.test(r.body) || DASHED_PHRASE.test(r.body)));
    // Zoho: "---- On Wed, 24 Feb 2021 … wrote ----".
    if (dashed && DASHED_PHRASE.test(r.body) && WROTE.test(r.body)) return { end: i, forward: -1 };
    if (ruled || (dashed && ORIGINAL_SEPARATOR.test(r.body))) {
      const at = nextNonBlank(rows, i + 1, 3);
      const block = at === -1 ? undefined : headerBlockAt(rows, at, true);
      if (block?.forward) return { end: n, forward: i };
      if (block || ORIGINAL_SEPARATOR.test(r.body)) return { end: i, forward: -1 };
      continue;
    }
    const block = headerBlockAt(rows, i, false);
    if (block) return block.forward ? { end: n, forward: i } : { end: i, forward: -1 };
    let span = attributionAt(rows, i);
    // A wrapped attribution whose first line starts with neither a lead word nor a digit ("pe 20. lokakuuta 2017
    // klo 17.50 John Coe\n<…> kirjoitti:"): the line above belongs to it when it carries the date.
    if (span > 0 && i > 0 && !rows[i - 1]?.attribution && continuesAttribution(rows[i - 1], rows[i])) {
      i--;
      span++;
    }
    if (span > 0) {
      const next = nextNonBlank(rows, i + span, 6);
      if (next !== -1 && (rows[next]?.quote ?? 0) > 0) {
        for (let k = i; k < i + span; k++) {
          const a = rows[k];
          if (a) a.attribution = true;
        }
        i += span - 1;
        continue;
      }
      // An attribution with unmarked text below (Yahoo's and many clients' text part): all of it is history.
      return { end: i, forward: -1 };
    }
  }
  return { end: n, forward: -1 };
}

/**
 * Rows of the reply above `end`: content rows, the signature cut from each content run, and every quote that
 * is followed by new text (an inline or bottom-posted answer's context). Undefined when there is no content.
 */
function keptRows(rows: Row[], end: number): Uint8Array | undefined {
  const dropped = new Uint8Array(end);
  let hadContent = false;
  let i = 0;
  while (i < end) {
    if (isQuoted(rows[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < end && !isQuoted(rows[j])) j++;
    // A content run [i, j).
    for (let k = i; k < j && !hadContent; k++) if ((rows[k]?.body ?? '') !== '') hadContent = true;
    const sig = signatureStart(rows, i, j);
    for (let k = sig; k < j; k++) dropped[k] = 1;
    // Device lines end the run: "Sent from my iPhone", maybe under "Get Outlook for iOS"; a few at most.
    let seen = 0;
    for (let k = sig - 1; k >= i && seen < MAX_DEVICE_LINES; k--) {
      const body = rows[k]?.body ?? '';
      if (body === '') continue;
      seen++;
      if (!isDeviceSignature(body)) break;
      dropped[k] = 1;
    }
    i = j;
  }
  let last = -1;
  for (let k = end - 1; k >= 0; k--) {
    const r = rows[k];
    if (r && !isQuoted(r) && r.body !== '' && dropped[k] === 0) {
      last = k;
      break;
    }
  }
  if (last === -1) return hadContent ? new Uint8Array(0) : undefined;
  const keep = new Uint8Array(last + 1);
  for (let k = 0; k <= last; k++) keep[k] = dropped[k] === 0 ? 1 : 0;
  return keep;
}

/** Device lines looked at above a run's end (a signature is one or two lines; more are text). */
const MAX_DEVICE_LINES = 3;

const RULE_START = /^[-_=*\u2014\u2500]/;

const isQuoted = (r: Row | undefined): boolean => r !== undefined && (r.quote > 0 || r.attribution);

/** First row of a signature in the content run [from, to): `-- `, a list footer, `-Name`, or client markup. */
function signatureStart(rows: Row[], from: number, to: number): number {
  for (let k = from; k < to; k++) {
    const r = rows[k];
    if (!r) break;
    if (r.signature) return k;
    const first = r.body.charCodeAt(0);
    if (first !== 45 && first !== 95) continue; // '-' or '_': every signature line below starts with one
    const t = r.raw.trim();
    if (t === '--' || t === '-- --') return k;
    const blankAbove = k === from || (rows[k - 1]?.body ?? '') === '';
    // A mailing list's footer starts with a row of underscores (Mailman's), after a blank line.
    if (blankAbove && /^_{2,}$/.test(t)) return k;
    // Ruby email_reply_parser's `-Name` after a blank line (`-Abhishek Kona`).
    if (blankAbove && /^-\p{Lu}[\p{L}.'-]{0,30}(?: [\p{L}.'-]{1,30}){0,3}$/u.test(t)) return k;
  }
  return to;
}

/**
 * A header block at row i (Outlook and friends): a From (or Date) line and at least two more header lines of
 * other fields in the next rows; without a rule or separator above it, a Subject line or an address is needed
 * too, so an itinerary ("From: Paris / To: Berlin / Date: Friday") stays text.
 */
function headerBlockAt(rows: Row[], i: number, structural: boolean): { forward: boolean } | undefined {
  const first = rows[i];
  if (!first || first.body.length > MAX_RULE_LINE) return undefined;
  const firstKind = headerKind(first.body);
  if (firstKind !== 'from' && firstKind !== 'date') return undefined;
  const kinds = new Set<HeaderKind>();
  let subject = '';
  let address = false;
  let loose = 0; // consecutive rows that are not header lines (a wrapped value, a blank line in HTML)
  for (let k = i; k < rows.length && k < i + 16; k++) {
    const r = rows[k];
    if (!r || r.quote !== first.quote) break;
    const kind = r.body.length <= MAX_RULE_LINE ? headerKind(r.body) : undefined;
    if (!kind) {
      if (++loose > 1) break;
      continue;
    }
    loose = 0;
    if (kinds.has(kind) && kind !== 'to') break;
    kinds.add(kind);
    if (kind === 'subject') subject = r.body;
    if ((kind === 'from' || kind === 'date') && /@|mailto:/i.test(r.body)) address = true;
  }
  if (kinds.size < (structural ? 2 : 3)) return undefined;
  if (!structural && !kinds.has('subject') && !address) return undefined;
  return { forward: subject !== '' && FORWARD_SUBJECT.test(subject) };
}

/** How many rows (1 to 3) an attribution line starting at row i spans, or 0. */
function attributionAt(rows: Row[], i: number): number {
  const first = rows[i];
  if (!first || first.body === '' || first.body.length > 400) return 0;
  // Cheap shape first: an attribution ends in a colon, starts with a lead word or a date, or sits above a quote.
  const next0 = nextNonBlank(rows, i + 1, 6);
  if (
    !/[:：]\s*$/.test(first.body) &&
    !LEAD.test(first.body) &&
    !/^\d/.test(first.body) &&
    !(next0 !== -1 && (rows[next0]?.quote ?? 0) > 0)
  )
    return 0;
  let joined = '';
  for (let span = 1; span <= 3; span++) {
    const r = rows[i + span - 1];
    if (!r || r.quote > 0 || r.body === '' || r.mark) return 0;
    joined = span === 1 ? r.body : `${joined} ${r.body}`;
    if (joined.length > 500) return 0;
    const next = nextNonBlank(rows, i + span, 6);
    const quoted = next !== -1 && (rows[next]?.quote ?? 0) > 0;
    if (isAttribution(joined, quoted)) return span;
    // Only a line that starts like an attribution continues on the next one (Gmail wraps "… <ann@x>\nwrote:").
    if (span === 1 && !LEAD.test(joined) && !/^\d/.test(joined)) return 0;
  }
  return 0;
}

function continuesAttribution(above: Row | undefined, row: Row | undefined): boolean {
  if (!above || !row || above.quote > 0 || above.mark || above.body === '' || above.body.length > 200) return false;
  // The date is above, the address and the verb below; a sentence above ends with its punctuation.
  return /\d/.test(above.body) && !/[.!?:;]$/.test(above.body) && /^(?:<|&lt;|\S+@)/.test(row.body);
}

function isAttribution(text: string, quoted: boolean): boolean {
  const t = text.trim();
  const colon = /[:：]$/.test(t);
  if (!colon && !quoted) return false;
  const address = /@|&lt;|<[^<>\s]{1,200}>/.test(t);
  const digit = /\d/.test(t);
  if (WROTE.test(t)) {
    const evidence = LEAD.test(t) || address || digit || quoted;
    return evidence && (colon || quoted);
  }
  // No verb (Gmail in Russian or Japanese, Yandex, Mail.ru): a date and an address before a quote; or, quote or
  // not, a line that starts with a numeric date and ends with the address and a colon (Yandex's text part).
  if (quoted && colon && address && digit) return true;
  if (/^\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b/.test(t) && /(?:>|&gt;)\s*[:：]$/.test(t) && t.includes('@')) return true;
  // Old Gmail: "2011/4/7 Name <name@example.com>" above the quote.
  return quoted && /^\d{2,4}[/.\-年]\d{1,2}[/.\-月]\d{1,2}/.test(t) && t.length <= 200;
}

function nextNonBlank(rows: Row[], from: number, limit: number): number {
  for (let k = from; k < rows.length && k < from + limit; k++) if ((rows[k]?.body ?? '') !== '') return k;
  return -1;
}

/**
 * A reply that shares its line with the quote's separator ("Sounds good.On Mon, Ann wrote:", "Thanks -----Original
 * Message-----") becomes two rows.
 */
function splitGlued(rows: Row[]): Row[] {
  const out: Row[] = [];
  for (const r of rows) {
    if (r.quote > 0 || r.body.length > MAX_RULE_LINE || r.body.length < 8) {
      out.push(r);
      continue;
    }
    const at = gluedAt(r.body);
    if (at <= 0) {
      out.push(r);
      continue;
    }
    const head = r.body.slice(0, at).trim();
    const tail = r.body.slice(at).trim();
    out.push({ ...r, raw: head, body: head }, { ...r, raw: tail, body: tail });
  }
  return out;
}

function gluedAt(body: string): number {
  if (/[:：]$/.test(body) && WROTE.test(body) && !LEAD.test(body)) {
    GLUED_LEAD.lastIndex = 0;
    for (let m = GLUED_LEAD.exec(body); m; m = GLUED_LEAD.exec(body)) {
      const at = m.index + m[0].length;
      if (isAttribution(body.slice(at), false)) return at;
      if (GLUED_LEAD.lastIndex <= m.index) GLUED_LEAD.lastIndex = m.index + 1;
    }
  }
  if (!body.includes('---') && !body.includes('___') && !body.includes('===')) return -1;
  const dash = body.search(/[-_=]{3,}[^-_=]{1,60}[-_=]{3,}\s*$/);
  if (dash > 0 && ORIGINAL_SEPARATOR.test(body.slice(dash))) return dash;
  return -1;
}

/**
 * A wrapped link that breaks a quote ("> see\nhttps://…\n> thanks", or at the quote's end) belongs to the quote:
 * a line without spaces right under a quote line, with the quote going on below it or a link that ends the run.
 */
function mendWrappedQuotes(rows: Row[]): Row[] {
  for (let k = 1; k < rows.length; k++) {
    const r = rows[k];
    const above = rows[k - 1]?.quote ?? 0;
    if (!r || r.quote > 0 || above === 0 || r.body === '' || r.body.length > MAX_RULE_LINE || /\s/.test(r.body))
      continue;
    const below = rows[k + 1];
    const link = /^(?:<?https?:\/\/|www\.)/i.test(r.body);
    if (below?.quote === above || (link && (below === undefined || below.body === '')))
      rows[k] = { ...r, quote: above };
  }
  return rows;
}

function render(rows: Row[], source: 'text' | 'html', keep: (i: number) => boolean, forward = -1): string {
  const out: string[] = [];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (!r || !keep(k)) continue;
    if (source === 'text') out.push(r.raw);
    // A forward's quote markup is layout, not a quote; elsewhere a kept quote shows as one.
    else if (r.quote > 0 && (forward === -1 || k < forward)) out.push(`${'> '.repeat(r.quote)}${r.body}`.trimEnd());
    else out.push(r.body);
  }
  let text = out.join('\n');
  if (source === 'html') text = text.replace(/\n{3,}/g, '\n\n');
  return text.replace(/^(?:[ \t]*\n)+/, '').trimEnd();
}
