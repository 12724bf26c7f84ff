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

const TAG_NAME = /(\/?)([a-zA-Z][a-zA-Z0-9:-]*)/y;
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
// clients and forwarders prefix them (`x_gmail_quote`, `x_divRplyFwdMsg`, `yahoo_quoted_1234`).
const QUOTE_MARKS = ['gmail_quote', 'yahoo_quoted', 'moz-cite-prefix', 'protonmail_quote', 'zmail_extra', 'gmail_attr'];
const HISTORY_MARKS = ['divrplyfwdmsg', 'olk_src_body_section', 'stopspelling', 'mail-editor-reference-message'];
const SIGNATURE_MARKS = ['gmail_signature', 'moz-signature', 'ms-outlook-mobile-signature', 'ymail_android_signature'];

interface Frame {
  tag: string;
  quote: boolean;
  signature: boolean;
  pre: boolean;
}

export function htmlToLines(input: string): Line[] {
  const html = input.length > MAX_HTML_CHARS ? input.slice(0, MAX_HTML_CHARS) : input;
  const lines: Line[] = [];
  const stack: Frame[] = [];
  let quote = 0;
  let signature = 0;
  let pre = 0;
  let skip = 0; // depth inside a dropped element
  let skipTag = '';
  let current = '';
  let currentQuote = 0;
  let currentSignature = false;

  const push = (t: string): void => {
    lines.push({
      text: t.replace(/\u00a0/g, ' ').trim(),
      quote: currentQuote,
      ...(currentSignature ? { signature: true } : {}),
    });
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
    if (/[^ \t\r\n\f]/.test(current)) push(current);
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
    } else current += s.replace(/[ \t\r\n\f]+/g, ' ');
  };

  let i = 0;
  let gt = -2; // next '>' at or after the current '<'; -2 unknown, -1 none left
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      text(html.slice(i));
      break;
    }
    text(html.slice(i, lt));
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
    TAG_NAME.lastIndex = lt + 1;
    const m = gt === -1 ? null : TAG_NAME.exec(html);
    if (!m || gt === -1) {
      text('<');
      i = lt + 1;
      continue;
    }
    i = gt + 1;
    const closing = m[1] === '/';
    const tag = (m[2] ?? '').toLowerCase();
    const rawAttrs = html.slice(TAG_NAME.lastIndex, Math.min(gt, TAG_NAME.lastIndex + MAX_ATTRS));
    if (skip > 0) {
      if (tag === skipTag && !rawAttrs.endsWith('/')) skip += closing ? -1 : 1;
      continue;
    }
    if (closing) {
      closeTag(tag);
      continue;
    }
    if (DROPPED.has(tag)) {
      if (!rawAttrs.endsWith('/')) {
        skip = 1;
        skipTag = tag;
      }
      continue;
    }
    const attrs = rawAttrs.toLowerCase();
    if (tag === 'br') {
      lineBreak();
      continue;
    }
    if (tag === 'hr') {
      mark(attrs.includes('stopspelling') ? 'history' : 'rule');
      continue;
    }
    if (VOID.has(tag) || rawAttrs.endsWith('/')) continue;

    const isQuote = tag === 'blockquote' || QUOTE_MARKS.some((q) => attrs.includes(q));
    const isSignature = SIGNATURE_MARKS.some((q) => attrs.includes(q));
    const style = attrs.includes('style=') ? attrs : '';
    if (BLOCK.has(tag) || isQuote || isSignature) blockEdge();
    if (HISTORY_MARKS.some((q) => attrs.includes(q))) mark('history');
    // Outlook desktop, Windows Mail and Hotmail draw the rule above the header block as the box's top border.
    else if ((tag === 'div' || tag === 'p') && style.includes('border-top') && !style.includes('border-top:none'))
      mark('rule');
    if (tag === 'p' && !attrs.includes('msonormal') && lines.length > 0 && quote === 0) lines.push({ text: '', quote });
    if (stack.length < MAX_STACK) {
      stack.push({ tag, quote: isQuote, signature: isSignature, pre: tag === 'pre' });
      if (isQuote) quote++;
      if (isSignature) signature++;
      if (tag === 'pre') pre++;
    }
    if (isQuote || isSignature) {
      currentQuote = quote;
      currentSignature = signature > 0;
    }
  }
  blockEdge();
  return lines;

  function closeTag(tag: string): void {
    for (let k = stack.length - 1; k >= 0 && k >= stack.length - CLOSE_LOOKBACK; k--) {
      if (stack[k]?.tag !== tag) continue;
      while (stack.length > k) {
        const f = stack.pop();
        if (!f) break;
        if (f.quote) quote--;
        if (f.signature) signature--;
        if (f.pre) pre--;
        if (BLOCK.has(f.tag) || f.quote || f.signature) blockEdge();
      }
      return;
    }
  }
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
