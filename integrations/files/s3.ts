/**
 * The S3 file store (`storage: { kind: s3, bucket, endpoint?, region, accessKeyId?, secretAccessKey?,
 * forcePathStyle?, prefix? }`) through the official AWS SDK, for any S3-compatible server (AWS, MinIO, …). The same
 * layout as the filesystem store, as keys: `<prefix><appId>/blobs/<id>` and `<id>.json`, markers under
 * `<prefix><appId>/users/<sha256(userId)>/<id>`; every key is built from a checked app id and file id, so one app
 * never reaches another's objects. The SDK's own retries stay on here: these calls are the API's and activities'
 * reads and writes of Parley's own data, not a vendor's rate-limited API.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { StorageConfig } from '../../common/config';
import { isFileId } from '../../common/files';
import {
  appSegment,
  fileSegment,
  parseStoredFile,
  tempSpoolDir,
  userSegment,
  type FileStore,
  type StoredFile,
} from './store';

type S3Storage = Extract<StorageConfig, { kind: 's3' }>;

function notFound(err: unknown): boolean {
  return (
    err instanceof NoSuchKey ||
    (err instanceof S3ServiceException && (err.name === 'NotFound' || err.$metadata.httpStatusCode === 404))
  );
}

export function createS3FileStore(storage: S3Storage, client?: S3Client): FileStore {
  const s3 =
    client ??
    new S3Client({
      region: storage.region,
      forcePathStyle: storage.forcePathStyle,
      ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
      ...(storage.accessKeyId && storage.secretAccessKey
        ? { credentials: { accessKeyId: storage.accessKeyId, secretAccessKey: storage.secretAccessKey } }
        : {}),
    });
  const Bucket = storage.bucket;
  const prefix = storage.prefix;
  const blobKey = (appId: string, id: string) => `${prefix}${appSegment(appId)}/blobs/${fileSegment(id)}`;
  const metaKey = (appId: string, id: string) => `${blobKey(appId, id)}.json`;
  const userPrefix = (appId: string, userId: string) => `${prefix}${appSegment(appId)}/users/${userSegment(userId)}/`;

  async function readText(Key: string): Promise<string | undefined> {
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket, Key }));
      return await res.Body?.transformToString('utf8');
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  async function stat(appId: string, id: string): Promise<StoredFile | undefined> {
    if (!isFileId(id)) return undefined;
    const text = await readText(metaKey(appId, id));
    const file = text === undefined ? undefined : parseStoredFile(text);
    return file && file.appId === appId && file.id === id ? file : undefined;
  }

  async function keysUnder(Prefix: string): Promise<{ key: string; modified?: Date }[]> {
    const keys: { key: string; modified?: Date }[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket, Prefix, ...(ContinuationToken ? { ContinuationToken } : {}) }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key) keys.push({ key: o.Key, ...(o.LastModified ? { modified: o.LastModified } : {}) });
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys;
  }

  async function deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
      if (Objects.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }));
    }
  }

  async function remove(appId: string, id: string): Promise<boolean> {
    if (!(await stat(appId, id))) return false;
    await deleteKeys([metaKey(appId, id), blobKey(appId, id)]);
    return true;
  }

  return {
    kind: 's3',
    spoolDir: tempSpoolDir(),
    async put(file, source) {
      const { size } = await fsp.stat(source);
      await s3.send(
        new PutObjectCommand({
          Bucket,
          Key: blobKey(file.appId, file.id),
          Body: fs.createReadStream(source),
          ContentLength: size,
          ContentType: file.mediaType,
        }),
      );
      // The record last: a blob without one is never served.
      await s3.send(
        new PutObjectCommand({
          Bucket,
          Key: metaKey(file.appId, file.id),
          Body: JSON.stringify(file),
          ContentType: 'application/json',
        }),
      );
      await fsp.rm(source, { force: true });
      return file;
    },
    stat,
    async get(appId, id) {
      const file = await stat(appId, id);
      if (!file) return undefined;
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket, Key: blobKey(appId, id) }));
        return res.Body ? { file, body: res.Body as Readable } : undefined;
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    delete: remove,
    async claim(appId, id, userId) {
      await s3.send(
        new PutObjectCommand({
          Bucket,
          Key: `${userPrefix(appId, userId)}${fileSegment(id)}`,
          Body: Buffer.alloc(0),
          ContentLength: 0,
        }),
      );
    },
    async eraseUser(appId, userId) {
      const markers = await keysUnder(userPrefix(appId, userId));
      const erased: string[] = [];
      for (const { key } of markers) {
        const id = key.slice(key.lastIndexOf('/') + 1);
        if (isFileId(id) && (await remove(appId, id))) erased.push(id);
      }
      await deleteKeys(markers.map((m) => m.key));
      return erased;
    },
    async sweep(beforeMs) {
      // The objects' own dates: no record needs reading to know a file's age.
      const metas = (await keysUnder(prefix)).filter(
        (o) => o.key.endsWith('.json') && o.key.includes('/blobs/') && o.modified && o.modified.getTime() < beforeMs,
      );
      await deleteKeys(metas.flatMap((o) => [o.key, o.key.slice(0, -'.json'.length)]));
      return metas.length;
    },
  };
}
