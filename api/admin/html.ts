/**
 * A small auto-escaping HTML template: `html\`<p>${text}</p>\`` escapes every interpolated value for text and
 * quoted attribute values, unless it is already `SafeHtml` (another `html` result, or `raw()` of markup Parley
 * wrote itself). Arrays are joined, `undefined`, `null` and `false` render nothing, so conditionals read plainly.
 * Attribute values must be quoted in the template: an unquoted attribute is not a place this escaping protects.
 */
import { escapeHtml } from '../../common/text';

const SAFE = Symbol('SafeHtml');

export interface SafeHtml {
  readonly [SAFE]: true;
  readonly html: string;
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function safe(markup: string): SafeHtml {
  return { [SAFE]: true, html: markup };
}

export function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && SAFE in value;
}

/** Markup written by Parley's own code, never anything from a request, a vendor or a conversation. */
export function raw(markup: string): SafeHtml {
  return safe(markup);
}

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isSafeHtml(value)) return value.html;
  return value.map((v) => render(v)).join('');
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return safe(out);
}

/** A URL for an `href`: only http(s) and Parley's own relative paths; anything else (`javascript:`) becomes `#`. */
export function safeUrl(value: string): string {
  if (value.startsWith('/') && !value.startsWith('//')) return value;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '#';
  } catch {
    return '#';
  }
}
