/**
 * The file store: where the bytes of users' and agents' files live (never in Temporal). One interface, two kinds:
 * the filesystem (`storage: { kind: fs }`, under `.parley/files` by default, so `npm start` needs nothing else) and an
 * S3-compatible bucket (./s3.ts).
 *
 * Every operation names the app: a file is found only under its app's prefix (`<appId>/blobs/<id>`), so one app can
 * never read, stat or delete another's file, even knowing its id. Which users a file belongs to is kept as empty
 * markers (`<appId>/users/<sha256(userId)>/<id>`), so erasing a user finds their files without a scan.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { isFileId } from '../../common/files';

export interface StoredFile {
  id: string;
  appId: string;
  name: string;
  mediaType: string;
  size: number;
  /** ISO 8601: retention counts from here. */
  createdAt: string;
}

export interface FileStore {
  readonly kind: 'fs' | 's3';
  /** A folder where uploads are spooled before `put` (on the store's own disk for `fs`, so `put` is a rename). */
  readonly spoolDir: string;
  /** Moves the spooled file at `source` into the store under `file`'s app and id. */
  put(file: StoredFile, source: string): Promise<StoredFile>;
  stat(appId: string, id: string): Promise<StoredFile | undefined>;
  /** The file and its bytes as a stream; undefined when the app has no such file. */
  get(appId: string, id: string): Promise<{ file: StoredFile; body: Readable } | undefined>;
  delete(appId: string, id: string): Promise<boolean>;
  /** Records that the file belongs to the user (it was attached to their message). */
  claim(appId: string, id: string, userId: string): Promise<void>;
  /** Deletes every file the user's messages carried; answers their ids. */
  eraseUser(appId: string, userId: string): Promise<string[]>;
  /** Deletes the files created before `beforeMs` (retention); answers how many. */
  sweep(beforeMs: number): Promise<number>;
}

const APP_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The app id as a path segment; anything else is refused before it reaches a path. */
export function appSegment(appId: string): string {
  if (!APP_ID.test(appId)) throw new Error(`not an app id: ${JSON.stringify(appId)}`);
  return appId;
}

export function fileSegment(id: string): string {
  if (!isFileId(id)) throw new Error(`not a file id: ${JSON.stringify(id)}`);
  return id;
}

/** A user id as a path segment: its SHA-256, so no user id can say `..` or be too long for a file name. */
export function userSegment(userId: string): string {
  return createHash('sha256').update(userId).digest('hex');
}

function missing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

export function parseStoredFile(text: string): StoredFile | undefined {
  try {
    const value = JSON.parse(text) as Partial<StoredFile>;
    if (
      typeof value.id === 'string' &&
      typeof value.appId === 'string' &&
      typeof value.name === 'string' &&
      typeof value.mediaType === 'string' &&
      typeof value.size === 'number' &&
      typeof value.createdAt === 'string'
    )
      return value as StoredFile;
  } catch {
    // A torn or foreign file: not a stored file.
  }
  return undefined;
}

/** The filesystem store under `root`: `<root>/<appId>/blobs/<id>` and `<id>.json`, markers in `<root>/<appId>/users/`. */
export function createFsFileStore(root: string): FileStore {
  const spoolDir = path.join(root, '.incoming');
  const blob = (appId: string, id: string) => path.join(root, appSegment(appId), 'blobs', fileSegment(id));
  const metaPath = (appId: string, id: string) => `${blob(appId, id)}.json`;
  const userDir = (appId: string, userId: string) => path.join(root, appSegment(appId), 'users', userSegment(userId));

  async function stat(appId: string, id: string): Promise<StoredFile | undefined> {
    if (!isFileId(id)) return undefined;
    try {
      const file = parseStoredFile(await fsp.readFile(metaPath(appId, id), 'utf8'));
      // The record must name the app it was found under: a copied record cannot move a file between apps.
      return file && file.appId === appId && file.id === id ? file : undefined;
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async function remove(appId: string, id: string): Promise<boolean> {
    if (!isFileId(id)) return false;
    let found = false;
    for (const p of [metaPath(appId, id), blob(appId, id)]) {
      try {
        await fsp.unlink(p);
        found = true;
      } catch (err) {
        if (!missing(err)) throw err;
      }
    }
    return found;
  }

  return {
    kind: 'fs',
    spoolDir,
    async put(file, source) {
      await fsp.mkdir(path.dirname(blob(file.appId, file.id)), { recursive: true, mode: 0o700 });
      await fsp.rename(source, blob(file.appId, file.id));
      // The record last: a file without one is not served, so a crash in between leaves nothing half-visible.
      const tmp = `${metaPath(file.appId, file.id)}.tmp`;
      await fsp.writeFile(tmp, JSON.stringify(file), { mode: 0o600 });
      await fsp.rename(tmp, metaPath(file.appId, file.id));
      return file;
    },
    stat,
    async get(appId, id) {
      const file = await stat(appId, id);
      if (!file) return undefined;
      try {
        const handle = await fsp.open(blob(appId, id), 'r');
        return { file, body: handle.createReadStream() };
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    delete: remove,
    async claim(appId, id, userId) {
      const dir = userDir(appId, userId);
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      await fsp.writeFile(path.join(dir, fileSegment(id)), '');
    },
    async eraseUser(appId, userId) {
      const dir = userDir(appId, userId);
      let ids: string[];
      try {
        ids = (await fsp.readdir(dir)).filter(isFileId);
      } catch (err) {
        if (missing(err)) return [];
        throw err;
      }
      const erased: string[] = [];
      for (const id of ids) if (await remove(appId, id)) erased.push(id);
      await fsp.rm(dir, { recursive: true, force: true });
      return erased;
    },
    async sweep(beforeMs) {
      let count = 0;
      let apps: string[];
      try {
        apps = (await fsp.readdir(root)).filter((name) => APP_ID.test(name));
      } catch (err) {
        if (missing(err)) return 0;
        throw err;
      }
      for (const appId of apps) {
        let names: string[];
        try {
          names = await fsp.readdir(path.join(root, appId, 'blobs'));
        } catch (err) {
          if (missing(err)) continue;
          throw err;
        }
        for (const name of names) {
          if (!name.endsWith('.json')) continue;
          const id = name.slice(0, -'.json'.length);
          const file = await stat(appId, id);
          if (file && Date.parse(file.createdAt) < beforeMs && (await remove(appId, id))) count++;
        }
      }
      return count;
    },
  };
}

/** A spool folder outside any store, for stores that are not on this machine's disk. */
export function tempSpoolDir(): string {
  const dir = path.join(os.tmpdir(), 'parley-spool');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A stored file's bytes in memory (at most `maxBytes`: the store's own limit), for a vendor upload. */
export async function readStoredFile(
  store: FileStore,
  appId: string,
  id: string,
  maxBytes: number,
): Promise<{ bytes: Buffer; file: StoredFile } | undefined> {
  const found = await store.get(appId, id);
  if (!found) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of found.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      found.body.destroy();
      throw new Error(`file ${id} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return { bytes: Buffer.concat(chunks), file: found.file };
}
