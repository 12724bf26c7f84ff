/**
 * The Slack emulator's files, as Slack documents them (docs.slack.dev/messaging/working-with-files):
 * - `files.getUploadURLExternal {filename, length, alt_txt?, snippet_type?}` → `{upload_url, file_id}`;
 * - a POST of the bytes to `upload_url` (raw or multipart; no token: the URL is the credential) → `200 OK - <length>`;
 * - `files.completeUploadExternal {files: [{id, title?}], channel_id?, thread_ts?, initial_comment?}` shares the
 *   files as one message in the channel (or keeps them private without a channel) → `{files: [{id, title}]}`;
 * - `url_private` (`/files-pri/<team>-<id>/<name>`) serves the bytes only with `Authorization: Bearer <token>`;
 *   without one Slack answers its sign-in page, as HTML with a 200, which is why a download must be checked.
 *
 * Kept beside slack.ts (which wires it in) so the file flow stays in one place.
 */
import crypto from 'node:crypto';
import type http from 'node:http';

export interface EmulatedFile {
  id: string;
  name: string;
  title: string;
  /** What `getUploadURLExternal` was told. */
  length: number;
  /** What arrived at the upload URL (undefined until then). */
  bytes?: Buffer;
  mimetype: string;
  altText?: string;
  /** Set once `completeUploadExternal` finished it. */
  completed: boolean;
  /** Where it was shared (none: private to the uploader). */
  channel?: string;
  threadTs?: string;
  /** Who uploaded it: the bot, or a person (`addUserFile`). */
  user: string;
  created: number;
}

export interface SlackFilesDeps {
  baseUrl: () => string;
  teamId: string;
  botUserId: string;
  /** Throws Slack's error for a channel the bot cannot post in; returns its id. */
  postableChannel: (ref: unknown) => string;
  /** Adds the file share message to the channel; returns its ts. */
  shareMessage: (channel: string, user: string, text: string, files: EmulatedFile[], threadTs?: string) => string;
  /** Is this token one the workspace knows and has not revoked? */
  validToken: (token: string) => boolean;
  error: (code: string) => Error;
}

/** A file object as Slack's Web API shows it (the fields apps read). */
export function fileJson(f: EmulatedFile, teamId: string, baseUrl: string): Record<string, unknown> {
  const path = `${teamId}-${f.id}/${encodeURIComponent(f.name)}`;
  return {
    id: f.id,
    created: f.created,
    timestamp: f.created,
    name: f.name,
    title: f.title,
    mimetype: f.mimetype,
    filetype: f.name.split('.').pop()?.toLowerCase() ?? 'binary',
    user: f.user,
    size: f.bytes?.length ?? f.length,
    mode: 'hosted',
    is_external: false,
    is_public: f.channel !== undefined,
    url_private: `${baseUrl}/files-pri/${path}`,
    url_private_download: `${baseUrl}/files-pri/${path}?download=1`,
    ...(f.altText ? { alt_txt: f.altText } : {}),
  };
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
};

/** Reads the bytes of a multipart upload's first file part, or the raw body. */
function uploadedBytes(req: http.IncomingMessage, body: Buffer): Buffer {
  const type = req.headers['content-type'] ?? '';
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
  if (!/^multipart\/form-data/i.test(type) || !boundary) return body;
  const marker = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const start = body.indexOf(marker);
  const headersEnd = body.indexOf('\r\n\r\n', start);
  const end = body.indexOf(Buffer.concat([Buffer.from('\r\n'), marker]), headersEnd);
  if (start < 0 || headersEnd < 0 || end < 0) return body;
  return body.subarray(headersEnd + 4, end);
}

export function createSlackFiles(deps: SlackFilesDeps) {
  const files = new Map<string, EmulatedFile>();
  const uploadUrls = new Map<string, string>(); // secret path → file id

  const str = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

  function newFile(name: string, length: number, user: string, altText?: string): EmulatedFile {
    const id = `F${crypto.randomBytes(6).toString('hex').toUpperCase()}`;
    const file: EmulatedFile = {
      id,
      name,
      title: name,
      length,
      mimetype: MIME_BY_EXTENSION[name.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream',
      completed: false,
      user,
      created: Math.floor(Date.now() / 1000),
      ...(altText ? { altText } : {}),
    };
    files.set(id, file);
    return file;
  }

  const handlers: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'files.getUploadURLExternal': (args) => {
      const filename = str(args.filename);
      const length = Number(str(args.length));
      // Slack: `missing_argument` "typically only occurs when the length provided is 0".
      if (!filename || !Number.isInteger(length) || length <= 0) throw deps.error('missing_argument');
      const altText = str(args.alt_txt);
      if (altText && altText.length > 1000) throw deps.error('alt_txt_too_large');
      const file = newFile(filename, length, deps.botUserId, altText);
      const secret = crypto.randomBytes(12).toString('hex');
      uploadUrls.set(secret, file.id);
      return { upload_url: `${deps.baseUrl()}/upload/v1/${secret}`, file_id: file.id };
    },

    'files.completeUploadExternal': (args) => {
      let list: unknown = args.files;
      if (typeof list === 'string') {
        try {
          list = JSON.parse(list) as unknown;
        } catch {
          throw deps.error('invalid_arguments');
        }
      }
      if (!Array.isArray(list) || list.length === 0) throw deps.error('invalid_arguments');
      const channelRef = str(args.channel_id) ?? str(args.channels);
      const channel = channelRef ? deps.postableChannel(channelRef) : undefined;
      const done: EmulatedFile[] = [];
      for (const entry of list) {
        const id = typeof entry === 'object' && entry !== null ? str((entry as Record<string, unknown>).id) : undefined;
        const file = id ? files.get(id) : undefined;
        // A file never uploaded to its URL cannot be completed.
        if (!file || !file.bytes || file.completed) throw deps.error('file_not_found');
        const title = str((entry as Record<string, unknown>).title);
        if (title) file.title = title;
        done.push(file);
      }
      const threadTs = str(args.thread_ts);
      for (const file of done) {
        file.completed = true;
        if (channel) {
          file.channel = channel;
          if (threadTs) file.threadTs = threadTs;
        }
      }
      if (channel) deps.shareMessage(channel, deps.botUserId, str(args.initial_comment) ?? '', done, threadTs);
      return { files: done.map((f) => ({ id: f.id, title: f.title })) };
    },
  };

  /** The upload POST and `url_private` downloads; false when the path is neither. */
  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): boolean {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const upload = /^\/upload\/v1\/([0-9a-f]+)$/.exec(pathname);
    if (upload?.[1]) {
      const id = uploadUrls.get(upload[1]);
      const file = id ? files.get(id) : undefined;
      if (req.method !== 'POST' || !file || file.completed) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return true;
      }
      file.bytes = Buffer.from(uploadedBytes(req, body));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${file.bytes.length}`);
      return true;
    }
    const download = /^\/files-pri\/([A-Z0-9]+)-(F[A-Z0-9]+)\/[^/]+$/.exec(pathname);
    if (download) {
      const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
      const file = files.get(download[2] ?? '');
      if (!token || !deps.validToken(token) || download[1] !== deps.teamId) {
        // Slack's answer to a download without a (valid) token: its sign-in page, not an error status.
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>');
        return true;
      }
      if (!file?.bytes) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('file_not_found');
        return true;
      }
      res.writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.bytes.length) });
      res.end(file.bytes);
      return true;
    }
    return false;
  }

  return {
    handlers,
    handle,
    /** Every file, newest last. */
    list: (): EmulatedFile[] => [...files.values()].map((f) => ({ ...f })),
    get: (id: string): EmulatedFile | undefined => files.get(id),
    /** A file a person uploads in Slack (for agent → user tests): completed and shared by the caller. */
    addUserFile(user: string, name: string, bytes: Buffer, mimetype?: string): EmulatedFile {
      const file = newFile(name, bytes.length, user);
      file.bytes = bytes;
      file.completed = true;
      if (mimetype) file.mimetype = mimetype;
      return file;
    },
  };
}
