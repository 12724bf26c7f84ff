/**
 * Just enough MIME to write the reply corpus as real messages: RFC 2047 headers, quoted-printable and base64
 * bodies, multipart/alternative with a client's own boundary style. Deterministic (no random boundaries), so the
 * generated fixtures are stable in git.
 */

export interface MimeMessage {
  headers: Array<[string, string]>;
  text?: string;
  html?: string;
  /** The client's boundary for multipart/alternative. */
  boundary: string;
  encoding: 'quoted-printable' | 'base64' | '8bit';
  /** Extra parameters of the text part's Content-Type (Thunderbird's format=flowed). */
  textParams?: string;
}

const ascii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/** An unstructured header value, RFC 2047-encoded when it is not plain ASCII. */
export function encodeWord(value: string): string {
  if (ascii(value)) return value;
  // Chunks of whole characters, each encoded word within the 75-character limit.
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch) > 42) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

/** A mailbox header: the display name encoded, the address as is. */
export function mailbox(name: string, email: string): string {
  const display = ascii(name) ? (/[(),.:;<>@[\]"]/.test(name) ? `"${name}"` : name) : encodeWord(name);
  return `${display} <${email}>`;
}

export function quotedPrintable(text: string): string {
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\r\n'));
  const lines: string[] = [];
  let line = '';
  const push = (token: string): void => {
    if (line.length + token.length > 75) {
      lines.push(`${line}=`);
      line = '';
    }
    line += token;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b === 13 && bytes[i + 1] === 10) {
      // A space or tab before a line break must be encoded.
      if (line.endsWith(' ') || line.endsWith('\t')) {
        const last = line.charCodeAt(line.length - 1);
        line = `${line.slice(0, -1)}=${last.toString(16).toUpperCase().padStart(2, '0')}`;
      }
      lines.push(line);
      line = '';
      i++;
      continue;
    }
    const printable = (b >= 33 && b <= 126 && b !== 61) || b === 32 || b === 9;
    push(printable ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`);
  }
  lines.push(line);
  return lines.join('\r\n');
}

export function base64(text: string): string {
  const b = Buffer.from(text.replace(/\r?\n/g, '\r\n')).toString('base64');
  return (b.match(/.{1,76}/g) ?? ['']).join('\r\n');
}

function part(type: string, body: string, m: MimeMessage, params = ''): string {
  const encoding = m.encoding === '8bit' && ascii(body.replace(/\r?\n/g, '')) ? '7bit' : m.encoding;
  const encoded =
    m.encoding === 'base64' ? base64(body) : m.encoding === 'quoted-printable' ? quotedPrintable(body) : body;
  return `Content-Type: ${type}; charset="UTF-8"${params}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${encoded.replace(/\r?\n/g, '\r\n')}`;
}

export function buildMime(m: MimeMessage): string {
  const head = m.headers.map(([k, v]) => `${k}: ${v}`).join('\r\n');
  if (m.text !== undefined && m.html !== undefined) {
    return (
      `${head}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="${m.boundary}"\r\n\r\n` +
      `--${m.boundary}\r\n${part('text/plain', m.text, m, m.textParams ?? '')}\r\n` +
      `--${m.boundary}\r\n${part('text/html', m.html, m)}\r\n` +
      `--${m.boundary}--\r\n`
    );
  }
  const only =
    m.html !== undefined ? part('text/html', m.html, m) : part('text/plain', m.text ?? '', m, m.textParams ?? '');
  return `${head}\r\nMIME-Version: 1.0\r\n${only}\r\n`;
}
