/**
 * Files through the API: `POST /v1/apps/{appId}/files` (client key, multipart field `file`) streams an upload to
 * the store's spool with busboy (never more than `storage.maxFileBytes` written, 413 beyond), sniffs its type from
 * the bytes and refuses what is not allowed or lies about itself (415); `GET /v1/apps/{appId}/files/{fileId}` gives
 * a fresh signed URL; `GET /files/{fileId}?app=…&exp=…&sig=…` serves the bytes to whoever holds a valid URL, as a
 * download that no browser renders (`Content-Disposition: attachment`, `nosniff`, a sandboxing CSP).
 *
 * And the messages' side: the attachments a `POST …/messages` names are looked up in the app's store (never fetched
 * from anywhere), counted against the limits and recorded as the user's (so erasing the user erases them).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { Router, type Request } from 'express';
import type { AppConfig, ParleyConfig } from '../common/config';
import type { Attachment } from '../common/conversation';
import {
  cleanFileName,
  contentDisposition,
  DEFAULT_ALLOWED_TYPES,
  isFileId,
  judgeFile,
  newFileId,
  sniffMediaType,
  verifyFileUrl,
} from '../common/files';
import type { Logger } from '../common/logger';
import type { FileStore, StoredFile } from '../integrations/files/store';
import { createFileUrls, type FileUrls } from '../integrations/files/urls';
import { authedApp } from './auth';
import { HttpError } from './errors';

export interface FilesDeps {
  config: ParleyConfig;
  store: FileStore;
  log?: Logger;
  nowMs?: () => number;
}

export interface Files {
  store: FileStore;
  urls: FileUrls;
  /** The client routes, mounted at `/v1/apps/:appId/files` behind the key check. */
  clientRouter: Router;
  /** `GET /files/:fileId`, mounted at the root: the signed URL is the only credential. */
  downloadRouter: Router;
  /** The attachments a message names, checked and recorded as the user's; 400/413 when they cannot be. */
  attach(app: AppConfig, userId: string, refs: readonly { fileId: string }[]): Promise<Attachment[]>;
}

/** Multipart's overhead beside the file (boundaries, headers): a body larger than the file by more is refused. */
const MULTIPART_SLACK = 64 * 1024;

/** Strict: a download is never rendered as a page, whatever a browser thinks of its bytes. */
const DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

interface Received {
  path: string;
  size: number;
  name: string;
  declared: string;
}

/** Streams the one `file` part of a multipart body into `spoolDir`; throws the 4xx that fits. */
async function receive(req: Request, spoolDir: string, maxBytes: number): Promise<Received> {
  const declaredLength = Number(req.get('content-length') ?? NaN);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes + MULTIPART_SLACK)
    throw new HttpError(413, 'payload_too_large', `files are limited to ${maxBytes} bytes`);
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // busboy says `limit` on reaching the size, not on passing it: one byte more tells a file of exactly the limit.
      limits: { files: 1, fileSize: maxBytes + 1, fields: 5, fieldSize: 1024, parts: 6, headerPairs: 20 },
    });
  } catch (err) {
    throw new HttpError(400, 'invalid_request', `not a multipart body: ${(err as Error).message}`);
  }
  await fsp.mkdir(spoolDir, { recursive: true, mode: 0o700 });
  const spooled = path.join(spoolDir, `up_${randomBytes(12).toString('hex')}`);
  let received: Received | undefined;
  let tooLarge = false;
  let writing: Promise<void> | undefined;
  let problem: HttpError | undefined;
  parser.on('file', (field, stream, info) => {
    if (field !== 'file') {
      problem ??= new HttpError(400, 'invalid_request', `the file goes in the field "file", not "${field}"`);
      stream.resume();
      return;
    }
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    stream.on('limit', () => {
      tooLarge = true;
    });
    writing = pipeline(stream, fs.createWriteStream(spooled, { mode: 0o600 })).then(() => {
      received = { path: spooled, size, name: info.filename ?? '', declared: info.mimeType };
    });
  });
  parser.on('filesLimit', () => {
    problem ??= new HttpError(400, 'invalid_request', 'send one file per request');
  });
  try {
    await pipeline(req, parser);
    await writing;
  } catch (err) {
    await fsp.rm(spooled, { force: true });
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'invalid_request', `the multipart body could not be read: ${(err as Error).message}`);
  }
  if (tooLarge || problem || !received) {
    await fsp.rm(spooled, { force: true });
    if (tooLarge) throw new HttpError(413, 'payload_too_large', `files are limited to ${maxBytes} bytes`);
    throw problem ?? new HttpError(400, 'invalid_request', 'no file: send it as the multipart field "file"');
  }
  return received;
}

/** Reads ranges of a spooled file for the sniffer. */
async function sniffSpooled(file: string, size: number): Promise<string> {
  const handle = await fsp.open(file, 'r');
  try {
    return await sniffMediaType(async (offset, length) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      if (buffer.length > 0) await handle.read(buffer, 0, buffer.length, offset);
      return buffer;
    }, size);
  } finally {
    await handle.close();
  }
}

function describe(file: StoredFile): Attachment {
  return { id: file.id, name: file.name, mediaType: file.mediaType, size: file.size };
}

export function createFiles(deps: FilesDeps): Files {
  const { config, store } = deps;
  const storage = config.storage;
  const allowed: readonly string[] = storage.allowedTypes ?? DEFAULT_ALLOWED_TYPES;
  const urls = createFileUrls(config);
  const now = deps.nowMs ?? Date.now;

  const clientRouter = Router({ mergeParams: true });
  clientRouter.post('/', async (req, res) => {
    const app = authedApp(res);
    if (!req.is('multipart/form-data'))
      throw new HttpError(415, 'unsupported_media_type', 'send the file as multipart/form-data, in the field "file"');
    const upload = await receive(req, store.spoolDir, storage.maxFileBytes);
    try {
      if (upload.size === 0) throw new HttpError(400, 'file_empty', 'the file is empty');
      const name = cleanFileName(upload.name);
      const sniffed = await sniffSpooled(upload.path, upload.size);
      const verdict = judgeFile({ sniffed, name, declared: upload.declared, allowed });
      if (!verdict.ok) throw new HttpError(415, verdict.code, verdict.message);
      const file: StoredFile = {
        id: newFileId(),
        appId: app.id,
        name,
        mediaType: verdict.mediaType,
        size: upload.size,
        createdAt: new Date(now()).toISOString(),
      };
      await store.put(file, upload.path);
      res.status(201).json({ file: { ...describe(file), url: urls.url(app.id, file.id, now()) } });
    } finally {
      await fsp.rm(upload.path, { force: true });
    }
  });

  clientRouter.get('/:fileId', async (req, res) => {
    const app = authedApp(res);
    const id = String(req.params.fileId);
    const file = isFileId(id) ? await store.stat(app.id, id) : undefined;
    if (!file || expired(file)) throw new HttpError(404, 'file_not_found', `no file "${id}" in app "${app.id}"`);
    res.json({ file: { ...describe(file), url: urls.url(app.id, file.id, now()) } });
  });

  function expired(file: StoredFile): boolean {
    if (storage.retentionDays === undefined) return false;
    return Date.parse(file.createdAt) + storage.retentionDays * 86_400_000 <= now();
  }

  const downloadRouter = Router();
  downloadRouter.get('/:fileId', async (req, res) => {
    const id = String(req.params.fileId);
    const appId = typeof req.query.app === 'string' ? req.query.app : '';
    const app = config.apps.find((a) => a.id === appId);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const check =
      app && isFileId(id)
        ? verifyFileUrl({
            appId,
            fileId: id,
            exp: str(req.query.exp),
            sig: str(req.query.sig),
            keys: urls.keys(app),
            nowMs: now(),
          })
        : ({ ok: false, reason: 'malformed' } as const);
    if (!check.ok) {
      if (check.reason === 'expired')
        throw new HttpError(403, 'url_expired', 'this download link has expired: ask for the message again');
      throw new HttpError(403, 'signature_invalid', 'not a valid download link');
    }
    const found = await store.get(appId, id);
    if (!found || expired(found.file)) throw new HttpError(404, 'file_not_found', 'the file is gone');
    res.set({
      'Content-Type': found.file.mediaType,
      'Content-Length': String(found.file.size),
      'Content-Disposition': contentDisposition(found.file.name),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': DOWNLOAD_CSP,
      'Cache-Control': 'private, max-age=0, no-store',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    try {
      await pipeline(found.body, res);
    } catch (err) {
      // The client went away mid-download: nothing to answer any more.
      deps.log?.debug({ err: (err as Error).message, fileId: id }, 'download interrupted');
    }
  });

  async function attach(app: AppConfig, userId: string, refs: readonly { fileId: string }[]): Promise<Attachment[]> {
    if (refs.length > storage.maxFilesPerMessage)
      throw new HttpError(400, 'too_many_attachments', `at most ${storage.maxFilesPerMessage} files per message`);
    const ids = [...new Set(refs.map((r) => r.fileId))];
    const files: StoredFile[] = [];
    for (const id of ids) {
      const file = await store.stat(app.id, id);
      if (!file || expired(file))
        throw new HttpError(400, 'attachment_not_found', `no file "${id}" in this app: upload it first`);
      files.push(file);
    }
    const total = files.reduce((sum, f) => sum + f.size, 0);
    if (total > storage.maxBytesPerMessage)
      throw new HttpError(
        413,
        'payload_too_large',
        `a message's files are limited to ${storage.maxBytesPerMessage} bytes`,
      );
    for (const file of files) await store.claim(app.id, file.id, userId);
    return files.map(describe);
  }

  return { store, urls, clientRouter, downloadRouter, attach };
}
