/**
 * The receiving server's verdict on who sent a mail: the `Authentication-Results` header (RFC 8601). With
 * `email.requireAuthenticatedSender`, a reply counts only when that verdict says DMARC passed for the From domain,
 * or DKIM passed with a signature of the From domain itself.
 *
 * Whose header is read matters more than how: anyone can write an `Authentication-Results` header into the mail
 * they send, so only the one the receiving server added counts. Servers prepend their headers, so that is the
 * topmost one, or, with `email.authServId`, the topmost one carrying that authserv-id (for set-ups where a later
 * hop adds a header of its own above it). RFC 8601 §5 asks the receiving server to remove headers bearing its own
 * id that arrive from outside; Parley does not rely on it, but an attacker's header is always below the server's.
 *
 * The parser reads hostile input: one pass over at most MAX_HEADER_CHARS characters, no regular expression over
 * the header, comments and quoted strings walked with a counter (unbalanced ones end at the end of the input), at
 * most MAX_RESULTS results. Pure, no I/O.
 */

/** Longer than any real verdict (Fastmail's, the longest seen, is about 2 KB); the rest is not read. */
export const MAX_HEADER_CHARS = 16_384;
/** More methods than any server reports; the rest are not read. */
export const MAX_RESULTS = 64;
/** How many `Authentication-Results` headers are looked at, topmost first. */
export const MAX_HEADERS = 32;

export interface AuthResult {
  /** `dmarc`, `dkim`, `spf`, … lowercased, without a `/version`. */
  method: string;
  /** `pass`, `fail`, `none`, … lowercased. */
  result: string;
  /** `header.from`, `header.d`, `smtp.mailfrom`, `reason`, … (lowercased names, values as written, unquoted). */
  props: ReadonlyMap<string, string>;
}

export interface AuthResults {
  /** Who wrote the verdict; undefined when the header names no one (Microsoft 365 writes none). */
  authServId: string | undefined;
  results: AuthResult[];
}

type Token = { kind: 'word'; text: string } | { kind: 'quoted'; text: string } | { kind: 'semicolon' | 'equals' };

/**
 * RFC 8601's lexical units: words (runs of anything but whitespace, `;`, `=`, `(`, `"`), quoted strings,
 * `;` and `=`. Comments are dropped. One pass, constant work per character.
 */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let word = '';
  const flush = (): void => {
    if (word) tokens.push({ kind: 'word', text: word });
    word = '';
  };
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === '(') {
      // A comment, maybe nested, with `\`-escapes; it separates words like whitespace does.
      flush();
      let depth = 1;
      i += 1;
      while (i < input.length && depth > 0) {
        const d = input[i]!;
        if (d === '\\') i += 1;
        else if (d === '(') depth += 1;
        else if (d === ')') depth -= 1;
        i += 1;
      }
      continue;
    }
    if (c === '"') {
      flush();
      let text = '';
      i += 1;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i += 1;
        text += input[i];
        i += 1;
      }
      tokens.push({ kind: 'quoted', text });
      i += 1;
      continue;
    }
    if (c === ';' || c === '=') {
      flush();
      tokens.push({ kind: c === ';' ? 'semicolon' : 'equals' });
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') flush();
    else word += c;
    i += 1;
  }
  flush();
  return tokens;
}

/** `method[/version] = result [name = value]…`: one resinfo, from its tokens. */
function resinfo(tokens: readonly Token[]): AuthResult | undefined {
  const [method, equals, result] = tokens;
  if (method?.kind !== 'word' || equals?.kind !== 'equals' || result?.kind !== 'word') return undefined;
  const props = new Map<string, string>();
  for (let i = 3; i + 2 < tokens.length; i += 1) {
    const [name, eq, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (name?.kind === 'word' && eq?.kind === 'equals' && (value?.kind === 'word' || value?.kind === 'quoted')) {
      const key = name.text.toLowerCase();
      // The first value of a name counts: a later one cannot override what the server wrote first.
      if (!props.has(key)) props.set(key, value.text);
      i += 2;
    }
  }
  return {
    method: method.text.toLowerCase().split('/')[0] ?? '',
    result: result.text.toLowerCase(),
    props,
  };
}

/** One `Authentication-Results` value (unfolded or not); what cannot be read in it is left out, never an error. */
export function parseAuthenticationResults(value: string): AuthResults {
  const truncated = value.length > MAX_HEADER_CHARS;
  const segments: Token[][] = [[]];
  for (const token of tokenize(truncated ? value.slice(0, MAX_HEADER_CHARS) : value)) {
    if (token.kind === 'semicolon') {
      if (segments.length > MAX_RESULTS) break;
      segments.push([]);
    } else segments[segments.length - 1]!.push(token);
  }
  // A result cut off by the length limit might read as another one ("header.from=acme.com" of "acme.com.evil").
  if (truncated && segments.length > 1) segments.pop();
  const [head = [], ...rest] = segments;
  // `authserv-id [version]`, or (Microsoft 365) no id: the first segment is then a result itself.
  const first = head[0];
  const named = first !== undefined && head[1]?.kind !== 'equals';
  const authServId = named && (first.kind === 'word' || first.kind === 'quoted') ? first.text : undefined;
  const results = (named ? rest : segments)
    .slice(0, MAX_RESULTS)
    .map(resinfo)
    .filter((r): r is AuthResult => r !== undefined);
  return { authServId, results };
}

export type SenderCheck = { ok: true; by: 'dmarc' | 'dkim' } | { ok: false; detail: string };

/** The domain of `user@domain` or `@domain`, lowercased; `header.i` may name either. */
function domainPart(identity: string): string {
  return identity.slice(identity.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Whether the receiving server vouches for the From domain. `headers` are the mail's `Authentication-Results`
 * values in the order they appear (topmost first). `authServIds`, when given, are the ids the receiving server
 * writes; otherwise the topmost header is the server's.
 *
 * DMARC pass counts when its `header.from` is the From domain (DMARC already did the alignment, relaxed or
 * strict, with the public suffix list). DKIM pass counts when the signature is the From domain's own (`header.d`,
 * or the domain of `header.i`, equal to it): the strict alignment, because Parley has no public suffix list to do
 * the relaxed one safely. SPF alone never counts: it vouches for the envelope sender, which the From need not be.
 */
export function checkSender(
  headers: readonly string[],
  fromDomain: string,
  authServIds: readonly string[] = [],
): SenderCheck {
  const wanted = authServIds.map((id) => id.toLowerCase());
  const domain = fromDomain.toLowerCase();
  let verdict: AuthResults | undefined;
  for (const value of headers.slice(0, MAX_HEADERS)) {
    const parsed = parseAuthenticationResults(value);
    if (wanted.length === 0 || wanted.includes(parsed.authServId?.toLowerCase() ?? '')) {
      verdict = parsed;
      break;
    }
  }
  if (!verdict)
    return {
      ok: false,
      detail:
        wanted.length === 0
          ? 'no Authentication-Results header'
          : `no Authentication-Results header from ${authServIds.join(' or ')}`,
    };
  const results = verdict.results;
  if (
    results.some(
      (r) => r.method === 'dmarc' && r.result === 'pass' && r.props.get('header.from')?.toLowerCase() === domain,
    )
  )
    return { ok: true, by: 'dmarc' };
  const dkimAligned = (r: AuthResult): boolean => {
    const d = r.props.get('header.d');
    const i = r.props.get('header.i');
    return (d !== undefined && d.toLowerCase() === domain) || (i !== undefined && domainPart(i) === domain);
  };
  if (results.some((r) => r.method === 'dkim' && r.result === 'pass' && dkimAligned(r)))
    return { ok: true, by: 'dkim' };
  // What the verdict said instead, for the log line: bounded, since the values are the mail's.
  const said = (r: AuthResult): string =>
    [
      `${r.method}=${r.result}`,
      ...['header.from', 'header.d'].flatMap((p) => (r.props.has(p) ? [`${p}=${r.props.get(p)}`] : [])),
    ]
      .join(' ')
      .slice(0, 120);
  const seen = results
    .filter((r) => r.method === 'dmarc' || r.method === 'dkim')
    .slice(0, 4)
    .map(said);
  const by = (verdict.authServId ?? 'the receiving server').slice(0, 120);
  return {
    ok: false,
    detail: `${by} shows no DMARC or aligned DKIM pass for ${domain}${seen.length ? ` (${seen.join('; ')})` : ''}`,
  };
}
