/**
 * Smooch's agent shorthand, as agents write it in `/sk`, Zendesk, Help Scout and email replies:
 * `%[Label](postback:PAYLOAD)`, `%[Label](reply:PAYLOAD)`, `%[Label](https://…)` become buttons (`actions`) and
 * `![alt](https://…/image.jpg)` an image (an attachment by URL) on the agent's message; the shorthand leaves the
 * text, which stays readable for apps that show only text.
 *
 * One pass over the text, no regular expressions: the look-ahead for a `]` or `)` remembers where it stopped, so
 * each character is looked at a bounded number of times and hostile input costs linear time (1 MB in milliseconds). Imports nothing: the conversation
 * workflow parses agent replies with it.
 */
import type { Attachment, MessageAction } from './conversation';

export const MAX_LABEL = 200;
export const MAX_TARGET = 2048;
export const MAX_ACTIONS = 10;
export const MAX_IMAGES = 10;

export interface ParsedShorthand {
  text: string;
  actions: MessageAction[];
  /** Images by URL: `id` is `image:<n>`, `url` the agent's https URL (never fetched by Parley). */
  images: Attachment[];
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** Slack sends a typed link as `<https://…>` or `<https://…|label>`: the URL inside. */
function unwrapSlackLink(target: string): string {
  if (target.startsWith('<') && target.endsWith('>')) {
    const inner = target.slice(1, -1);
    const bar = inner.indexOf('|');
    return bar < 0 ? inner : inner.slice(0, bar);
  }
  return target;
}

/**
 * An http(s) URL with a host and nothing a URL never holds (spaces, controls, quotes, angle brackets); checked by
 * hand, not with `URL`, so the workflow sandbox needs no URL parser.
 */
function webUrl(value: string, httpsOnly: boolean): string | undefined {
  const lower = value.slice(0, 8).toLowerCase();
  const scheme = lower.startsWith('https://') ? 8 : !httpsOnly && lower.startsWith('http://') ? 7 : 0;
  if (scheme === 0 || value.length <= scheme) return undefined;
  for (let k = 0; k < value.length; k++) {
    const code = value.charCodeAt(k);
    if (code <= 0x20 || code === 0x7f || value[k] === '"' || value[k] === '<' || value[k] === '>' || value[k] === '\\')
      return undefined;
  }
  const host = value.slice(scheme).split(/[/?#]/, 1)[0] ?? '';
  return host && !host.startsWith('.') && !host.includes('@') ? value : undefined;
}

/** The URL's path without query and fragment. */
function pathOf(url: string): string {
  const afterScheme = url.indexOf('//') + 2;
  const slash = url.indexOf('/', afterScheme);
  if (slash < 0) return '/';
  return url.slice(slash).split(/[?#]/, 1)[0] ?? '/';
}

/**
 * The next index at or after `from` holding one of `stops` (or the text's length). The answer for a later `from`
 * below the last answer is that answer, so every character is scanned once however many `%[` the text holds.
 */
function createStopFinder(text: string, stops: string) {
  let last = -1;
  return (from: number): number => {
    if (last >= from) return last;
    let i = from;
    while (i < text.length && !stops.includes(text[i] as string)) i++;
    last = i;
    return i;
  };
}

interface Scanner {
  labelEnd: (from: number) => number;
  targetEnd: (from: number) => number;
}

/** `[label](target)` from `open` (the index of `[`), or undefined; `end` is the index after `)`. */
function bracketPair(
  text: string,
  open: number,
  scan: Scanner,
): { label: string; target: string; end: number } | undefined {
  const close = scan.labelEnd(open + 1);
  if (close - open - 1 > MAX_LABEL || text[close] !== ']' || text[close + 1] !== '(') return undefined;
  const start = close + 2;
  const end = scan.targetEnd(start);
  if (end - start > MAX_TARGET || text[end] !== ')') return undefined;
  return { label: text.slice(open + 1, close), target: text.slice(start, end), end: end + 1 };
}

function imageName(url: string, alt: string, n: number): string {
  if (alt.trim()) return alt.trim();
  const last = pathOf(url).split('/').pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // Not percent-encoding after all: the segment as it is.
  }
  return name.slice(0, 200) || `image-${n}`;
}

function imageType(url: string): string {
  const path = pathOf(url);
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return IMAGE_TYPES[ext] ?? 'image/*';
}

/** The action a `%[label](target)` stands for, or undefined when it is no shorthand Parley knows. */
function actionOf(label: string, target: string): MessageAction | undefined {
  const text = label.trim();
  if (!text) return undefined;
  const t = unwrapSlackLink(target);
  for (const type of ['postback', 'reply'] as const) {
    if (t.startsWith(`${type}:`)) {
      const payload = t.slice(type.length + 1);
      return payload ? { type, text, payload } : undefined;
    }
  }
  const uri = webUrl(t, false);
  return uri ? { type: 'link', text, uri } : undefined;
}

/** Collapses the blanks the removed shorthand leaves: spaces at line ends, runs of blank lines. */
function tidy(text: string): string {
  const lines = text.split('\n').map((line) => line.replace(/[ \t]+$/, ''));
  const out: string[] = [];
  for (const line of lines) if (line !== '' || (out.length > 0 && out[out.length - 1] !== '')) out.push(line);
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n').trim();
}

export function parseShorthand(input: string): ParsedShorthand {
  const actions: MessageAction[] = [];
  const images: Attachment[] = [];
  const scan: Scanner = {
    labelEnd: createStopFinder(input, ']\n'),
    targetEnd: createStopFinder(input, ') \n'),
  };
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if ((c === '%' || c === '!') && input[i + 1] === '[') {
      const pair = bracketPair(input, i + 1, scan);
      if (pair && c === '%' && actions.length < MAX_ACTIONS) {
        const action = actionOf(pair.label, pair.target);
        if (action) {
          actions.push(action);
          i = pair.end;
          continue;
        }
      }
      if (pair && c === '!' && images.length < MAX_IMAGES) {
        const url = webUrl(unwrapSlackLink(pair.target), true);
        if (url) {
          const n = images.length + 1;
          images.push({
            id: `image:${n}`,
            name: imageName(url, pair.label, n),
            mediaType: imageType(url),
            size: 0,
            url,
          });
          i = pair.end;
          continue;
        }
      }
    }
    out += c;
    i++;
  }
  // No shorthand: the text exactly as the agent wrote it.
  if (actions.length === 0 && images.length === 0) return { text: input, actions, images };
  let text = tidy(out);
  // Buttons alone still read as something where only text is shown.
  if (!text && actions.length > 0) text = actions.map((a) => a.text).join(' · ');
  return { text, actions, images };
}

/** True when a message's actions are quick replies (all `reply`, at least two): apps show them as chips. */
export function areQuickReplies(actions: readonly MessageAction[]): boolean {
  return actions.length >= 2 && actions.every((a) => a.type === 'reply');
}
