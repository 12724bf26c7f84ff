/**
 * The S3 file store against a real S3-compatible server (MinIO, `npm run s3:install`): the store's contract (apps
 * kept apart, a user's files erased, retention), and the API storing, serving and erasing files through it. Skips,
 * saying so, when no MinIO binary is installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { newFileId } from '../common/files';
import { createS3FileStore } from '../integrations/files/s3';
import type { FileStore, StoredFile } from '../integrations/files/store';
import { storageSchema } from '../common/config';
import { pdf, png } from './helpers/files';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { findMinio, startS3Server, type S3Server } from './helpers/s3';

const minio = findMinio();
if (!minio)
  console.warn('files-s3.test.ts skipped: no MinIO binary (run `npm run s3:install`, or set PARLEY_TEST_MINIO_PATH)');
const describeS3 = minio ? describe : describe.skip;

let s3: S3Server;
beforeAll(async () => {
  if (minio) s3 = await startS3Server(minio);
}, 60_000);
afterAll(async () => {
  await s3?.stop();
});

function storage(prefix: string) {
  return storageSchema.parse({
    kind: 's3',
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    prefix,
  }) as Extract<ReturnType<typeof storageSchema.parse>, { kind: 's3' }>;
}

async function put(store: FileStore, appId: string, content: Buffer, createdAt = new Date().toISOString()) {
  fs.mkdirSync(store.spoolDir, { recursive: true });
  const source = path.join(store.spoolDir, `s_${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(source, content);
  const file: StoredFile = {
    id: newFileId(),
    appId,
    name: 'a.png',
    mediaType: 'image/png',
    size: content.length,
    createdAt,
  };
  return store.put(file, source);
}

async function read(store: FileStore, appId: string, id: string): Promise<Buffer | undefined> {
  const found = await store.get(appId, id);
  if (!found) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of found.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describeS3('the S3 file store on MinIO', () => {
  it("stores and serves a file, and never gives one app another app's file", async () => {
    const store = createS3FileStore(storage('contract/'));
    const file = await put(store, 'acme', png());
    expect(await store.stat('acme', file.id)).toEqual(file);
    expect((await read(store, 'acme', file.id))?.equals(png())).toBe(true);
    expect(await store.stat('globex', file.id)).toBeUndefined();
    expect(await store.get('globex', file.id)).toBeUndefined();
    expect(await store.delete('globex', file.id)).toBe(false);
    const keys = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'contract/' }));
    expect((keys.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      [`contract/acme/blobs/${file.id}`, `contract/acme/blobs/${file.id}.json`].sort(),
    );
    expect(await store.delete('acme', file.id)).toBe(true);
    expect(await store.stat('acme', file.id)).toBeUndefined();
  });

  it("erases a user's files only, and sweeps what is past retention", async () => {
    const store = createS3FileStore(storage('erase/'));
    const [a, b] = [await put(store, 'acme', png()), await put(store, 'acme', pdf())];
    await store.claim('acme', a.id, 'jane');
    await store.claim('acme', b.id, 'john');
    expect(await store.eraseUser('acme', 'jane')).toEqual([a.id]);
    expect(await store.stat('acme', a.id)).toBeUndefined();
    expect(await store.stat('acme', b.id)).toEqual(b);
    // The objects' own dates count: everything written before "now + 1 s" is past it.
    expect(await store.sweep(Date.now() + 1000)).toBe(1);
    expect(await store.stat('acme', b.id)).toBeUndefined();
  });
});

describeS3('the API with the S3 store', () => {
  const key = testKey('acme');
  let parley: TestParley;
  let root: string;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-s3-api-'));
    const { kind: _kind, ...rest } = storage('api/');
    parley = await startTestParley({
      config: testConfig({ storage: { kind: 's3', ...rest }, apps: [{ id: 'acmes3', apiKeys: [key] }] }),
    });
  });
  afterAll(async () => {
    await parley?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('uploads into the bucket, serves the signed URL from it, and erases the user there', async () => {
    const form = new FormData();
    form.append('file', new Blob([png(6, 6)], { type: 'image/png' }), 'shot.png');
    const up = await fetch(`${parley.apiUrl}/v1/apps/acmes3/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    expect(up.status).toBe(201);
    const { file } = (await up.json()) as { file: { id: string; url: string } };
    // The URL is on server.publicUrl (unset here: localhost:3000); the path and query are what count.
    const url = new URL(file.url);
    const got = await fetch(`${parley.apiUrl}${url.pathname}${url.search}`);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(png(6, 6))).toBe(true);
    const api = apiClient(parley.apiUrl, key);
    expect(
      (await api('POST', '/v1/apps/acmes3/users/jane/messages', { attachments: [{ fileId: file.id }] })).status,
    ).toBe(202);
    const erased = await api('DELETE', '/v1/apps/acmes3/users/jane');
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toContainEqual(expect.objectContaining({ kind: 'file', id: file.id }));
    const keys = await s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `api/acme/blobs/${file.id}` }),
    );
    expect(keys.Contents ?? []).toEqual([]);
  });
});
