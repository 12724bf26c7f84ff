import {
  cleanFileName,
  contentDisposition,
  DEFAULT_ALLOWED_TYPES,
  filesNotSentLines,
  filesToSend,
  fileUrlKeys,
  judgeFile,
  newFileId,
  signFileUrl,
  sniffMediaType,
  verifyFileUrl,
  withoutFilesNotSentLines,
} from '../../../common/files';
import { docx, jpegHead, odt, pdf, png, reader, xlsx, zip } from '../../helpers/files';

const sniff = (bytes: Buffer) => sniffMediaType(reader(bytes), bytes.length);

describe('sniffMediaType', () => {
  it.each([
    ['a PNG', png(), 'image/png'],
    ['a JPEG', jpegHead(), 'image/jpeg'],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
    ['a WebP', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), 'image/webp'],
    ['a PDF', pdf(), 'application/pdf'],
    ['a DOCX', docx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['an XLSX (content types not first)', xlsx(), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['an ODT', odt(), 'application/vnd.oasis.opendocument.text'],
    ['any other ZIP', zip([['a.txt', 'hello']]), 'application/zip'],
    ['text', Buffer.from('name,plan\nJane,pro\n'), 'text/plain'],
    ['UTF-8 text', Buffer.from('Grüße, 日本語 👩‍💻\n'), 'text/plain'],
    ['HTML', Buffer.from('\n  <!doctype html><script>alert(1)</script>'), 'text/html'],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'text/html'],
    ['HTML after a BOM', Buffer.from('\ufeff<html>', 'utf8'), 'text/html'],
    ['binary', Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]), 'application/octet-stream'],
    ['an executable', Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), 'application/octet-stream'],
    ['invalid UTF-8', Buffer.from([0x61, 0xc3, 0x28]), 'application/octet-stream'],
  ])('knows %s', async (_what, bytes, type) => {
    expect(await sniff(bytes)).toBe(type);
  });

  it('reads a bounded head: text cut mid-character at 4 kB is still text, and 1 MB takes no time', async () => {
    const long = Buffer.from('é'.repeat(600_000), 'utf8');
    const started = Date.now();
    expect(await sniff(long)).toBe('text/plain');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not look into a ZIP whose directory claims to be huge or out of the file', async () => {
    const bytes = docx();
    // Point the end record's central directory size past the file.
    const broken = Buffer.from(bytes);
    broken.writeUInt32LE(0x7fffffff, broken.length - 22 + 12);
    expect(await sniff(broken)).toBe('application/zip');
  });
});

describe('judgeFile', () => {
  const allowed = DEFAULT_ALLOWED_TYPES;
  it('accepts what the bytes are when nothing claims otherwise', () => {
    expect(judgeFile({ sniffed: 'image/png', name: 'shot.png', declared: 'image/png', allowed })).toEqual({
      ok: true,
      mediaType: 'image/png',
    });
    expect(judgeFile({ sniffed: 'image/jpeg', name: 'photo.JPG', declared: 'image/jpg', allowed })).toMatchObject({
      ok: true,
    });
    // multipart's defaults claim nothing.
    expect(
      judgeFile({ sniffed: 'application/pdf', name: 'doc', declared: 'application/octet-stream', allowed }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('tells CSV from text by the name or the declared type', () => {
    expect(judgeFile({ sniffed: 'text/plain', name: 'plans.csv', declared: 'text/plain', allowed })).toEqual({
      ok: true,
      mediaType: 'text/csv',
    });
    expect(judgeFile({ sniffed: 'text/plain', name: 'notes.txt', allowed })).toEqual({
      ok: true,
      mediaType: 'text/plain',
    });
  });

  it('refuses a file whose name or declared type lies: a .png that is HTML, a PDF sent as an image', () => {
    expect(judgeFile({ sniffed: 'text/html', name: 'cat.png', declared: 'image/png', allowed })).toMatchObject({
      ok: false,
      code: 'file_type_mismatch',
    });
    expect(judgeFile({ sniffed: 'application/pdf', name: 'cat.png', allowed })).toMatchObject({
      ok: false,
      code: 'file_type_mismatch',
    });
    expect(judgeFile({ sniffed: 'application/pdf', name: 'x', declared: 'image/png', allowed })).toMatchObject({
      ok: false,
      code: 'file_type_mismatch',
    });
  });

  it('refuses what is not on the allow-list, however it is named', () => {
    expect(judgeFile({ sniffed: 'text/html', name: 'page.html', allowed })).toMatchObject({
      ok: false,
      code: 'file_type_not_allowed',
    });
    expect(judgeFile({ sniffed: 'application/zip', name: 'a.zip', allowed })).toMatchObject({ ok: false });
    expect(judgeFile({ sniffed: 'image/png', name: 'a.png', allowed: ['application/pdf'] })).toMatchObject({
      ok: false,
      code: 'file_type_not_allowed',
    });
  });
});

describe('file names', () => {
  it('keeps the last path segment, without quotes, controls or bidi tricks', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('C:\\Users\\jane\\shot.png')).toBe('shot.png');
    expect(cleanFileName('a"b<c>.png')).toBe('a_b_c_.png');
    expect(cleanFileName('invoice\u202egnp.exe')).toBe('invoicegnp.exe');
    expect(cleanFileName('line\r\nbreak.txt')).toBe('line break.txt');
    expect(cleanFileName('')).toBe('file');
    expect(cleanFileName('..')).toBe('file');
    expect(Buffer.byteLength(cleanFileName('é'.repeat(500)))).toBeLessThanOrEqual(200);
  });

  it('writes Content-Disposition as an attachment, with an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('Grüße.pdf')).toBe(
      `attachment; filename="Gr__e.pdf"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.pdf`,
    );
  });
});

describe('signed URLs', () => {
  const keys = fileUrlKeys('acme', ['sk_acme_0123456789abcdef']);
  const id = newFileId();
  const now = Date.parse('2026-01-01T00:00:00Z');
  const url = new URL(
    signFileUrl({
      baseUrl: 'https://parley.example/',
      appId: 'acme',
      fileId: id,
      key: keys[0]!,
      expiresAt: now + 3600_000,
    }),
  );
  const check = (over: Partial<Parameters<typeof verifyFileUrl>[0]> = {}) =>
    verifyFileUrl({
      appId: 'acme',
      fileId: id,
      exp: url.searchParams.get('exp') ?? undefined,
      sig: url.searchParams.get('sig') ?? undefined,
      keys,
      nowMs: now,
      ...over,
    });

  it('is served by Parley, names the app, and verifies until it expires', () => {
    expect(url.origin + url.pathname).toBe(`https://parley.example/files/${id}`);
    expect(url.searchParams.get('app')).toBe('acme');
    expect(check()).toEqual({ ok: true });
    expect(check({ nowMs: now + 3600_000 })).toEqual({ ok: false, reason: 'expired' });
  });

  it('cannot be moved to another file, another app, or a later expiry', () => {
    expect(check({ fileId: newFileId() })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ appId: 'globex', keys: fileUrlKeys('globex', ['sk_acme_0123456789abcdef']) })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(check({ exp: String(Number(url.searchParams.get('exp')) + 1) })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ sig: 'zz' })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ exp: undefined })).toEqual({ ok: false, reason: 'malformed' });
  });

  it("is signed per app: another app's keys do not verify it, a rotated key list still does", () => {
    expect(check({ keys: fileUrlKeys('acme', ['sk_other_0123456789abcdef']) })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(check({ keys: fileUrlKeys('acme', ['sk_new_0123456789abcdefgh', 'sk_acme_0123456789abcdef']) })).toEqual({
      ok: true,
    });
    // A configured secret is still per app.
    expect(fileUrlKeys('acme', [], 'x'.repeat(16))[0]).not.toEqual(fileUrlKeys('globex', [], 'x'.repeat(16))[0]);
  });
});

describe('files a vendor cannot have', () => {
  const attachment = (id: string, size: number) => ({ id, name: `${id}.png`, mediaType: 'image/png', size });
  const bytes = (n: number) => Buffer.alloc(n, 1);

  it('sets aside files gone from the store and over the limit, by the recorded size before reading', async () => {
    const read: string[] = [];
    const readFile = (id: string) => {
      read.push(id);
      return Promise.resolve(
        id === 'gone' ? undefined : { bytes: bytes(id === 'grew' ? 20 : 5), file: attachment(id, 5) },
      );
    };
    const result = await filesToSend(
      readFile,
      [attachment('ok', 5), attachment('gone', 5), attachment('big', 11), attachment('grew', 5)],
      10,
    );
    expect(result.files.map((f) => f.file.id)).toEqual(['ok']);
    expect(result.gone).toEqual(['gone.png']);
    expect(result.tooLarge).toEqual(['big.png', 'grew.png']);
    expect(read).toEqual(['ok', 'gone', 'grew']);
  });

  it('names them in last lines that a retry can take off again', () => {
    const lines = filesNotSentLines({ gone: ['a.png'], tooLarge: ['b.pdf', 'c.pdf'] });
    expect(lines).toEqual(['(no longer stored: a.png)', '(too large to attach: b.pdf, c.pdf)']);
    expect(filesNotSentLines({ gone: [], tooLarge: [] })).toEqual([]);
    const text = ['It breaks\n📎 a.png (image/png)', ...lines].join('\n');
    expect(withoutFilesNotSentLines(text)).toBe('It breaks\n📎 a.png (image/png)');
    // Only last lines: the same words the user wrote earlier in the text stay.
    expect(withoutFilesNotSentLines('(no longer stored: x)\nhello')).toBe('(no longer stored: x)\nhello');
  });
});
