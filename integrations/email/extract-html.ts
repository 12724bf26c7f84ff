/**
 * An HTML mail body as lines that keep what its markup says: which lines sit in a quote (`blockquote`,
 * `gmail_quote`, `yahoo_quoted`, `moz-cite-prefix` …), where the client starts the quoted history (Outlook's
 * `divRplyFwdMsg`, `OLK_SRC_BODY_SECTION`, Hotmail's `stopSpelling`), where a rule is drawn (`<hr>`, the
 * `border-top` box Outlook, Windows Mail and Hotmail put around the header block), and what the client marks as
 * the signature (`gmail_signature`, `moz-signature`, Outlook mobile's and Yahoo's app lines).
 *
 * One pass over the input with `indexOf`; the element stack is bounded and a closing tag looks only a few levels
 * down for its match, so deep or unbalanced markup stays linear. Pure: no I/O, never throws on any string.
 */

export interface Line {
  text: string;
  /** Quote depth: `>` markers in text, quote containers in HTML. */
  quote: number;
  /** Inside a container the client marks as the signature. */
  signature?: boolean;
  /** A structural mark on an empty line: the client's quoted history starts here, or a rule is drawn here. */
  mark?: 'history' | 'rule';
}

/** HTML beyond this is not read: a reply is at the top, and 2 MB of markup is far beyond any written answer. */
export const MAX_HTML_CHARS = 2_000_000;
/** Open elements tracked; deeper ones still render their text but carry no structure. */
const MAX_STACK = 512;
/** How far down the stack a closing tag looks for its element: unbalanced markup costs at most this per tag. */
const CLOSE_LOOKBACK = 24;
/** Attributes looked at per tag (class, id, style sit early; a longer tag is a payload, not markup). */
const MAX_ATTRS = 4_000;

const DROPPED = new Set(['style', 'script', 'head', 'title', 'template', 'xml', 'noscript']);
const VOID = new Set(['br', 'hr', 'img', 'meta', 'link', 'input', 'wbr', 'col', 'base', 'area', 'source']);
const BLOCK = new Set([
  'div',
  'p',
  'li',
  'ul',
  'ol',
  'tr',
  'table',
  'tbody',
  'thead',
  'blockquote',
  'pre',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'section',
  'article',
  'header',
  'footer',
  'center',
  'dl',
  'dt',
  'dd',
  'address',
  'body',
  'html',
]);

// Markup of quoted history, by kind. Class and id values are matched as substrings of the attributes because
// clients and forwarders prefix them (`x_gmail_quote`, `x_divRplyFwdMsg`, `yahoo_quoted_1234`). Gmail's outer
// `div.gmail_quote` is not one: inline answers are written inside it, between its blockquotes; its attribution
// (`gmail_attr`) and its blockquotes are.
const QUOTE_MARKS = ['yahoo_quoted', 'moz-cite-prefix', 'gmail_attr'];
const HISTORY_MARKS = ['divrplyfwdmsg', 'olk_src_body_section', 'stopspelling', 'mail-editor-reference-message'];
const SIGNATURE_MARKS = ['gmail_signature', 'moz-signature', 'ms-outlook-mobile-signature', 'ymail_android_signature'];

/** An element that changes the state of the lines inside it; plain elements get no frame. */
interface Frame {
  tag: string;
  /** How many elements of this tag were open, this one included, when it opened: its closing tag is the one
   * that brings the count back below that. */
  depth: number;
  quote: boolean;
  signature: boolean;
  pre: boolean;
}

/** The lines of an HTML body, at most `maxLines` of them (the rest is not read). */
export function htmlToLines(input: string, maxLines = Infinity): Line[] {
  const html = input.length > MAX_HTML_CHARS ? input.slice(0, MAX_HTML_CHARS) : input;
  const lines: Line[] = [];
  const stack: Frame[] = [];
  const open = new Map<string, number>();
  let quote = 0;
  let signature = 0;
  let pre = 0;
  let skip = 0; // depth inside a dropped element
  let skipTag = '';
  let current = '';
  let currentQuote = 0;
  let currentSignature = false;

  const push = (t: string): void => {
    const line: Line = { text: t.replace(/\u00a0/g, ' ').trim(), quote: currentQuote };
    if (currentSignature) line.signature = true;
    lines.push(line);
  };
  const reset = (): void => {
    current = '';
    currentQuote = quote;
    currentSignature = signature > 0;
  };
  // A break always ends a line (Gmail's blank line is `<div><br></div>`); a block edge ends one only when it has
  // text, so nested divs make one break, and a block holding only `&nbsp;` is Outlook's blank line.
  const lineBreak = (): void => {
    push(current);
    reset();
  };
  const blockEdge = (): void => {
    if (current !== '' && /[^ \t\r\n\f]/.test(current)) push(current);
    reset();
  };
  const mark = (kind: 'history' | 'rule'): void => {
    blockEdge();
    lines.push({ text: '', quote, mark: kind });
  };
  const text = (raw: string): void => {
    if (skip > 0 || raw === '') return;
    const s = decodeEntities(raw, '\u00a0');
    if (current === '') {
      currentQuote = quote;
      currentSignature = signature > 0;
    }
    if (pre > 0) {
      s.split(/\r?\n/).forEach((part, k) => {
        if (k > 0) lineBreak();
        current += part;
      });
    } else current += /[\t\r\n\f]| {2}/.test(s) ? s.replace(/[ \t\r\n\f]+/g, ' ') : s;
  };

  let i = 0;
  let gt = -2; // next '>' at or after the current '<'; -2 unknown, -1 none left
  while (i < html.length && lines.length < maxLines) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      text(html.slice(i));
      break;
    }
    if (lt > i) text(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    if (html.startsWith('<!', lt) || html.startsWith('<?', lt)) {
      const end = html.indexOf('>', lt);
      i = end === -1 ? html.length : end + 1;
      continue;
    }
    if (gt !== -1 && gt < lt) gt = html.indexOf('>', lt);
    if (gt === -1) {
      // No '>' left: the rest is text, not tags (one step, however many '<' follow).
      text(html.slice(lt));
      break;
    }
    // The tag name, by character codes (no match objects per tag).
    let p = lt + 1;
    const closing = html.charCodeAt(p) === 47;
    if (closing) p++;
    const nameStart = p;
    const c0 = html.charCodeAt(p) | 32;
    if (c0 < 97 || c0 > 122) {
      text('<');
      i = lt + 1;
      continue;
    }
    while (p < gt && isNameChar(html.charCodeAt(p))) p++;
    i = gt + 1;
    const tag = html.slice(nameStart, p).toLowerCase();
    const rawAttrs = p < gt ? html.slice(p, Math.min(gt, p + MAX_ATTRS)) : '';
    const selfClosing = rawAttrs.endsWith('/');
    if (skip > 0) {
      if (tag === skipTag && !selfClosing) skip += closing ? -1 : 1;
      continue;
    }
    if (closing) {
      closeTag(tag);
      continue;
    }
    if (DROPPED.has(tag)) {
      if (!selfClosing) {
        skip = 1;
        skipTag = tag;
      }
      continue;
    }
    const attrs = rawAttrs.length > 1 ? rawAttrs.toLowerCase() : '';
    if (tag === 'br') {
      lineBreak();
      continue;
    }
    if (tag === 'hr') {
      mark(attrs.includes('stopspelling') ? 'history' : 'rule');
      continue;
    }
    if (VOID.has(tag) || selfClosing) continue;

    const isQuote =
      tag === 'blockquote' || (attrs !== '' && tag !== 'span' && QUOTE_MARKS.some((q) => attrs.includes(q)));
    const isSignature = attrs !== '' && SIGNATURE_MARKS.some((q) => attrs.includes(q));
    const block = BLOCK.has(tag);
    if (block || isQuote || isSignature) blockEdge();
    if (attrs !== '') {
      if (HISTORY_MARKS.some((q) => attrs.includes(q))) mark('history');
      // Outlook desktop, Windows Mail and Hotmail draw the rule above the header block as the box's top border.
      else if ((tag === 'div' || tag === 'p') && attrs.includes('border-top') && !attrs.includes('border-top:none'))
        mark('rule');
    }
    if (tag === 'p' && !attrs.includes('msonormal') && lines.length > 0 && quote === 0) lines.push({ text: '', quote });
    const depth = (open.get(tag) ?? 0) + 1;
    open.set(tag, depth);
    if ((isQuote || isSignature || tag === 'pre') && stack.length < MAX_STACK) {
      stack.push({ tag, depth, quote: isQuote, signature: isSignature, pre: tag === 'pre' });
      if (isQuote) quote++;
      if (isSignature) signature++;
      if (tag === 'pre') pre++;
      currentQuote = quote;
      currentSignature = signature > 0;
    }
  }
  blockEdge();
  return lines;

  function closeTag(tag: string): void {
    const depth = open.get(tag) ?? 0;
    if (depth === 0) return; // a closing tag nothing opened
    open.set(tag, depth - 1);
    if (BLOCK.has(tag)) blockEdge();
    for (let k = stack.length - 1; k >= 0 && k >= stack.length - CLOSE_LOOKBACK; k--) {
      const f = stack[k];
      if (f?.tag !== tag || f.depth !== depth) continue;
      while (stack.length > k) {
        const top = stack.pop();
        if (!top) break;
        if (top.quote) quote--;
        if (top.signature) signature--;
        if (top.pre) pre--;
      }
      blockEdge();
      return;
    }
  }
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58 || c === 45;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ensp: ' ',
  emsp: ' ',
  thinsp: ' ',
  zwnj: '',
  zwj: '\u200d',
  shy: '',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  euro: '€',
  pound: '£',
  middot: '·',
  bull: '•',
};

export function decodeEntities(s: string, nbsp = ' '): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const hex = name[1] === 'x' || name[1] === 'X';
      const code = parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
      if (code === 160) return nbsp;
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    const lower = name.toLowerCase();
    return lower === 'nbsp' ? nbsp : (ENTITIES[lower] ?? whole);
  });
}
