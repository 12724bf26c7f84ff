/**
 * Byte budgets, measured as Temporal stores them: its JSON payload converter writes `JSON.stringify(value)` as
 * UTF-8, so a control character costs 6 bytes (`\u0001`), a CJK character 3 and an emoji 4. Everything here is pure,
 * linear and workflow-safe (no Buffer), so the API, the inbound glue and the workflows measure the same way.
 */

/** UTF-8 length of a JavaScript string, without allocating (a lone surrogate counts as U+FFFD: 3 bytes). */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes of `value` in a Temporal JSON payload (`undefined` → 0). */
export function jsonBytes(value: unknown): number {
  const json = JSON.stringify(value);
  return json === undefined ? 0 : utf8Length(json);
}

/** What one UTF-16 unit (or surrogate pair) at `i` costs inside a JSON string, and how many units it spans. */
function jsonCharCost(s: string, i: number): [bytes: number, units: number] {
  const c = s.charCodeAt(i);
  if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09) return [2, 1];
  if (c < 0x20) return [6, 1];
  if (c < 0x80) return [1, 1];
  if (c < 0x800) return [2, 1];
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    return d >= 0xdc00 && d <= 0xdfff ? [4, 2] : [6, 1];
  }
  if (c >= 0xdc00 && c <= 0xdfff) return [6, 1]; // a lone low surrogate: JSON.stringify writes \udXXX
  return [3, 1];
}

/** Bytes of a string inside a JSON payload, quotes excluded. Equals `jsonBytes(s) - 2`. */
export function jsonStringBytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length;) {
    const [b, u] = jsonCharCost(s, i);
    bytes += b;
    i += u;
  }
  return bytes;
}

export interface Cut {
  text: string;
  /** True when the text was over the budget and was cut. */
  cut: boolean;
  /** The text's JSON bytes before any cut. */
  bytes: number;
}

/**
 * `text` whole when its JSON bytes fit `maxBytes`, else its longest prefix that fits with `marker` appended, never
 * splitting a surrogate pair. Linear in the length of `text`.
 */
export function cutToBudget(text: string, maxBytes: number, marker: string): Cut {
  const bytes = jsonStringBytes(text);
  if (bytes <= maxBytes) return { text, cut: false, bytes };
  const room = Math.max(0, maxBytes - jsonStringBytes(marker));
  let used = 0;
  let end = 0;
  while (end < text.length) {
    const [b, u] = jsonCharCost(text, end);
    if (used + b > room) break;
    used += b;
    end += u;
  }
  return { text: text.slice(0, end) + marker, cut: true, bytes };
}

/** The deepest nesting of arrays and objects in a JSON-plain value, without recursion (a hostile depth cannot overflow the stack). */
export function jsonDepth(value: unknown, stopAt = Infinity): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > stopAt) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return max;
}
