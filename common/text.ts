/** Text helpers shared by the integrations: names fit to show, HTML in and out, and Gravatar. */
import { createHash } from 'node:crypto';

/**
 * `cleanName(s, maxBytes?)`: invisible, bidi and control characters out, whitespace collapsed. Written in the domain
 * module, which imports nothing (the workflows' sandbox loads it, and this file needs `node:crypto`); offered here
 * with the other text helpers.
 */
export { cleanName } from './conversation';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Plain text as HTML: escaped, line breaks as `<br>`. */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const TAG_NAME = /(\/?)([a-zA-Z][a-zA-Z0-9]*)/y;
const DROPPED = new Set(['style', 'script', 'head', 'title']);
const BLOCK_END = new Set(['div', 'li', 'tr', 'ul', 'ol', 'table']);

/**
 * A conservative html→text, for HTML-only mail replies and helpdesk thread bodies: `<br>`/block ends as newlines,
 * runs of whitespace as one space, other tags stripped, common entities decoded, `<script>`/`<style>`/`<head>`
 * dropped; with `dropQuotes`, quoted history too (`<blockquote>`, Gmail's `gmail_quote` div). One pass with
 * `indexOf`, so unclosed `<` or comments cannot make it quadratic.
 */
export function htmlToText(html: string, options: { dropQuotes?: boolean } = {}): string {
  const out: string[] = [];
  let i = 0;
  let gt = -2; // next '>' at or after the current '<'; -2 unknown, -1 none left
  let skip = 0; // depth inside a dropped element
  let skipTag = '';
  const text = (s: string): void => {
    if (skip === 0) out.push(s.replace(/\s+/g, ' '));
  };
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
    const attrs = html.slice(TAG_NAME.lastIndex, gt);
    if (skip > 0) {
      if (tag === skipTag && !attrs.endsWith('/')) skip += closing ? -1 : 1;
      continue;
    }
    const quote =
      options.dropQuotes === true &&
      (tag === 'blockquote' || (tag === 'div' && attrs.toLowerCase().includes('gmail_quote')));
    if (!closing && (DROPPED.has(tag) || quote)) {
      skip = 1;
      skipTag = tag;
    } else if (tag === 'br') out.push('\n');
    else if (tag === 'p' || /^h[1-6]$/.test(tag)) out.push('\n\n');
    else if (BLOCK_END.has(tag)) out.push('\n');
  }
  return decodeEntities(out.join(''))
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const hex = name[1] === 'x' || name[1] === 'X';
      const code = parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Gravatar's address for an email (SHA-256 of the trimmed, lowercased address); identicon when unknown. */
export function gravatarUrl(email: string, size = 192): string {
  const hash = createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  return `https://www.gravatar.com/avatar/${hash}?s=${size}&d=identicon`;
}
