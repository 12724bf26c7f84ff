/**
 * Files in Parley, the parts that need no store and no HTTP: what a file's bytes are (a small sniffer of magic
 * bytes for the allow-list; a client's declared type is a claim checked against it, never trusted), what a file
 * may be called, and the signed, expiring download URLs (`GET /files/<id>?app=…&exp=…&sig=…`).
 *
 * Everything here reads a bounded number of bytes: the head of a file, and for a ZIP its end-of-central-directory
 * and central directory (at most MAX_CENTRAL_DIRECTORY bytes), whatever the file's size.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { cleanName, type Attachment } from './conversation';

/** The media types Parley accepts by default: images, PDF, Office and OpenDocument files, plain text and CSV. */
export const DEFAULT_ALLOWED_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'text/plain',
  'text/csv',
] as const;

/** What a file name's extension claims. */
const EXTENSIONS: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jfif: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  md: 'text/plain',
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  svg: 'image/svg+xml',
  xml: 'application/xml',
  js: 'text/javascript',
  zip: 'application/zip',
  exe: 'application/x-msdownload',
};

/** Names clients use for the same type. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'application/x-pdf': 'application/pdf',
  'text/comma-separated-values': 'text/csv',
  'application/csv': 'text/csv',
};

/** How many bytes of a file's start the sniffer wants. */
export const SNIFF_HEAD_BYTES = 4096;
/** A ZIP whose central directory is larger is not looked into (an Office file's is a few kB). */
const MAX_CENTRAL_DIRECTORY = 1024 * 1024;
/** End of central directory: 22 bytes plus a comment of up to 65,535. */
const MAX_EOCD = 22 + 0xffff;

/** Reads `length` bytes at `offset` of the file being sniffed (fewer at its end). */
export type ReadRange = (offset: number, length: number) => Promise<Buffer>;

/** The media type without parameters, lower case, aliases resolved. */
export function normalizeMediaType(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const type = (value.split(';')[0] ?? '').trim().toLowerCase();
  if (!type) return undefined;
  return ALIASES[type] ?? type;
}

/** The type a file name's extension claims, when Parley knows it. */
export function extensionType(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return undefined;
  return EXTENSIONS[name.slice(dot + 1).toLowerCase()];
}

function startsWith(head: Buffer, bytes: readonly number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** True when `head` is UTF-8 text without controls other than tab, line breaks and form feed (an end cut mid-character allowed). */
function isText(head: Buffer, complete: boolean): boolean {
  let i = 0;
  while (i < head.length) {
    const b = head[i] as number;
    if (b < 0x80) {
      if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) return false;
      i += 1;
      continue;
    }
    const length = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
    if (length === 0 || b > 0xf4) return false;
    if (i + length > head.length) return !complete; // cut in the middle of a character by the head's end
    for (let k = 1; k < length; k++) if (((head[i + k] as number) & 0xc0) !== 0x80) return false;
    i += length;
  }
  return true;
}

/** Text whose first non-blank character opens markup: HTML, SVG, XML, which a browser would render. */
function looksLikeMarkup(head: Buffer): boolean {
  let i = startsWith(head, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  return head[i] === 0x3c; // '<'
}

const OPENDOCUMENT = [
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
];

/** The names in a ZIP's central directory, or undefined when it cannot be read within the bounds. */
async function zipNames(read: ReadRange, size: number): Promise<string[] | undefined> {
  const tailLength = Math.min(size, MAX_EOCD);
  const tail = await read(size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const entries = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > size) return undefined;
  const cd = await read(cdOffset, cdSize);
  const names: string[] = [];
  let at = 0;
  for (let n = 0; n < entries && at + 46 <= cd.length; n++) {
    if (cd.readUInt32LE(at) !== 0x02014b50) return undefined;
    const nameLength = cd.readUInt16LE(at + 28);
    const extra = cd.readUInt16LE(at + 30);
    const comment = cd.readUInt16LE(at + 32);
    names.push(cd.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

/** An OpenDocument file's type: its first entry is `mimetype`, stored uncompressed (the format requires it). */
function openDocumentType(head: Buffer): string | undefined {
  if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) return undefined;
  const method = head.readUInt16LE(8);
  const compressed = head.readUInt32LE(18);
  const nameLength = head.readUInt16LE(26);
  const extra = head.readUInt16LE(28);
  if (method !== 0 || head.subarray(30, 30 + nameLength).toString('latin1') !== 'mimetype') return undefined;
  const start = 30 + nameLength + extra;
  const type = head.subarray(start, start + Math.min(compressed, 100)).toString('latin1');
  return OPENDOCUMENT.includes(type) ? type : undefined;
}

/** An Office Open XML file's type, by the parts its ZIP holds. */
function officeType(names: readonly string[]): string | undefined {
  if (!names.includes('[Content_Types].xml')) return undefined;
  if (names.includes('word/document.xml')) return EXTENSIONS.docx;
  if (names.includes('xl/workbook.xml')) return EXTENSIONS.xlsx;
  if (names.includes('ppt/presentation.xml')) return EXTENSIONS.pptx;
  return undefined;
}

/**
 * What the bytes are: one of the allow-list's types, `text/html` for markup, `application/zip` for another ZIP, or
 * `application/octet-stream`. Text is `text/plain` (CSV is told apart by the caller, from the name or declared type).
 */
export async function sniffMediaType(read: ReadRange, size: number): Promise<string> {
  const head = await read(0, Math.min(size, SNIFF_HEAD_BYTES));
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    const odf = openDocumentType(head);
    if (odf) return odf;
    const names = await zipNames(read, size);
    return (names && officeType(names)) ?? 'application/zip';
  }
  if (size > 0 && isText(head, head.length === size)) return looksLikeMarkup(head) ? 'text/html' : 'text/plain';
  return 'application/octet-stream';
}

export type FileVerdict =
  | { ok: true; mediaType: string }
  | { ok: false; code: 'file_type_not_allowed' | 'file_type_mismatch'; message: string };

/**
 * The type Parley stores a file under, or why it refuses it: the sniffed type must be allowed, and neither the name's
 * extension nor the declared type may claim another (a `.png` that is HTML, a PDF sent as `image/png`). A declared
 * `text/plain` or `application/octet-stream` claims nothing (multipart's defaults).
 */
export function judgeFile(input: {
  sniffed: string;
  name: string;
  declared?: string;
  allowed: readonly string[];
}): FileVerdict {
  const declared = normalizeMediaType(input.declared);
  const byName = extensionType(input.name);
  let type = input.sniffed;
  // Bytes cannot tell CSV from text: the name or the declared type may, and a CSV stays text.
  if (type === 'text/plain' && (byName === 'text/csv' || declared === 'text/csv')) type = 'text/csv';
  const same = (claim: string | undefined): boolean =>
    claim === undefined || claim === type || (type === 'text/csv' && claim === 'text/plain');
  const claims = [byName, declared === 'application/octet-stream' || declared === 'text/plain' ? undefined : declared];
  for (const claim of claims) {
    if (!same(claim))
      return {
        ok: false,
        code: 'file_type_mismatch',
        message: `the file claims to be ${claim} but its content is ${type}`,
      };
  }
  if (!input.allowed.includes(type))
    return { ok: false, code: 'file_type_not_allowed', message: `files of type ${type} are not accepted` };
  return { ok: true, mediaType: type };
}

/** A name fit to store and show: the last path segment, cleaned, at most 200 bytes; `file` when nothing is left. */
export function cleanFileName(name: string | undefined): string {
  const last = (name ?? '').split(/[/\\]/).pop() ?? '';
  // Quotes and the like would need escaping in every header the name lands in: they go.
  const cleaned = cleanName(last.replace(/["<>:*?|]/g, '_'), 200);
  return cleaned && cleaned !== '.' && cleaned !== '..' ? cleaned : 'file';
}

// ── Ids and signed URLs ───────────────────────────────────────────────────────────────────────────────

const FILE_ID = /^file_[A-Za-z0-9_-]{22}$/;

export function newFileId(): string {
  return `file_${randomBytes(16).toString('base64url')}`;
}

export function isFileId(value: unknown): value is string {
  return typeof value === 'string' && FILE_ID.test(value);
}

/**
 * The keys that sign an app's download URLs, first one signing. Derived per app (from `storage.signingSecret`, else
 * from each of the app's API keys), so no app's key can sign another app's URLs, and removing an API key retires
 * the URLs it signed.
 */
export function fileUrlKeys(appId: string, apiKeys: readonly string[], signingSecret?: string): Buffer[] {
  const secrets = signingSecret ? [signingSecret] : apiKeys;
  return secrets.map((secret) => createHmac('sha256', secret).update(`parley-files\n${appId}`).digest());
}

function mac(key: Buffer, appId: string, fileId: string, exp: number): Buffer {
  return createHmac('sha256', key).update(`${appId}\n${fileId}\n${exp}`).digest();
}

/** `<base>/files/<id>?app=<appId>&exp=<unix seconds>&sig=<hex>`. */
export function signFileUrl(input: {
  baseUrl: string;
  appId: string;
  fileId: string;
  key: Buffer;
  expiresAt: number;
}): string {
  const exp = Math.floor(input.expiresAt / 1000);
  const sig = mac(input.key, input.appId, input.fileId, exp).toString('hex');
  const base = input.baseUrl.replace(/\/+$/, '');
  return `${base}/files/${input.fileId}?app=${encodeURIComponent(input.appId)}&exp=${exp}&sig=${sig}`;
}

export type UrlCheck = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'mismatch' };

/** Checks a download URL's signature (timing-safe, with every key) and its expiry. */
export function verifyFileUrl(input: {
  appId: string;
  fileId: string;
  exp: string | undefined;
  sig: string | undefined;
  keys: readonly Buffer[];
  nowMs: number;
}): UrlCheck {
  if (!input.exp || !/^\d{1,12}$/.test(input.exp) || !input.sig || !/^[0-9a-f]{64}$/.test(input.sig))
    return { ok: false, reason: 'malformed' };
  const exp = Number(input.exp);
  const presented = Buffer.from(input.sig, 'hex');
  let match = false;
  for (const key of input.keys) if (timingSafeEqual(mac(key, input.appId, input.fileId, exp), presented)) match = true;
  if (!match) return { ok: false, reason: 'mismatch' };
  // Checked after the signature, so an expired answer says nothing about an URL nobody signed.
  if (exp * 1000 <= input.nowMs) return { ok: false, reason: 'expired' };
  return { ok: true };
}

/** `Content-Disposition: attachment` with the name as ASCII fallback and RFC 5987 UTF-8. */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** A stored file's bytes, or undefined when it is gone (erased, past retention): how adapters read users' files. */
export type ReadFile = (id: string) => Promise<{ bytes: Buffer; file: Attachment } | undefined>;

/** A message's files as one vendor can take them: the bytes to send, and the names of those it cannot have. */
export interface FilesToSend {
  files: { bytes: Buffer; file: Attachment }[];
  /** Names of files no longer in the store. */
  gone: string[];
  /** Names of files over the vendor's limit of one file. */
  tooLarge: string[];
}

/** Reads `attachments` from the store, setting aside those gone and those over `maxBytes` (the vendor's limit). */
export async function filesToSend(
  readFile: ReadFile,
  attachments: readonly Attachment[],
  maxBytes: number,
): Promise<FilesToSend> {
  const result: FilesToSend = { files: [], gone: [], tooLarge: [] };
  for (const attachment of attachments) {
    // The size recorded with the message spares reading a file the vendor would refuse anyway.
    if (attachment.size > maxBytes) {
      result.tooLarge.push(attachment.name);
      continue;
    }
    const found = await readFile(attachment.id);
    if (!found) result.gone.push(attachment.name);
    else if (found.bytes.length > maxBytes) result.tooLarge.push(attachment.name);
    else result.files.push(found);
  }
  return result;
}

const NOT_SENT_LINE = /^\((?:no longer stored|too large to attach): .*\)$/;

/**
 * The lines that name the files a vendor did not get, to end the text they came with: `(no longer stored: a.png)`,
 * `(too large to attach: b.pdf)`. Empty when every file went.
 */
export function filesNotSentLines(files: Pick<FilesToSend, 'gone' | 'tooLarge'>): string[] {
  const lines: string[] = [];
  if (files.gone.length > 0) lines.push(`(no longer stored: ${files.gone.join(', ')})`);
  if (files.tooLarge.length > 0) lines.push(`(too large to attach: ${files.tooLarge.join(', ')})`);
  return lines;
}

/**
 * A text without the lines `filesNotSentLines` added, so a retry recognises what an earlier try posted whether or not
 * a file went missing in between.
 */
export function withoutFilesNotSentLines(text: string): string {
  const lines = text.trimEnd().split('\n');
  while (lines.length > 0 && NOT_SENT_LINE.test((lines.at(-1) ?? '').trim())) lines.pop();
  return lines.join('\n');
}
