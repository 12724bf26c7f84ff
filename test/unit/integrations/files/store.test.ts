import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newFileId } from '../../../../common/files';
import { createFsFileStore, type FileStore, type StoredFile } from '../../../../integrations/files/store';

let root: string;
let store: FileStore;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-files-'));
  store = createFsFileStore(root);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

async function put(appId: string, content: string, createdAt = new Date().toISOString()): Promise<StoredFile> {
  fs.mkdirSync(store.spoolDir, { recursive: true });
  const source = path.join(store.spoolDir, `s_${Math.random()}`);
  fs.writeFileSync(source, content);
  const file: StoredFile = {
    id: newFileId(),
    appId,
    name: 'a.txt',
    mediaType: 'text/plain',
    size: content.length,
    createdAt,
  };
  return store.put(file, source);
}

async function read(appId: string, id: string): Promise<string | undefined> {
  const found = await store.get(appId, id);
  if (!found) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of found.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('the filesystem file store', () => {
  it('puts, stats, gets and deletes a file', async () => {
    const file = await put('acme', 'hello');
    expect(await store.stat('acme', file.id)).toEqual(file);
    expect(await read('acme', file.id)).toBe('hello');
    expect(await store.delete('acme', file.id)).toBe(true);
    expect(await store.stat('acme', file.id)).toBeUndefined();
    expect(await store.delete('acme', file.id)).toBe(false);
  });

  it("never gives one app another app's file, even by its id", async () => {
    const file = await put('acme', 'secret');
    expect(await store.stat('globex', file.id)).toBeUndefined();
    expect(await store.get('globex', file.id)).toBeUndefined();
    expect(await store.delete('globex', file.id)).toBe(false);
    expect(await read('acme', file.id)).toBe('secret');
    // A record copied under another app still names its own: it is not served there.
    fs.mkdirSync(path.join(root, 'globex', 'blobs'), { recursive: true });
    fs.copyFileSync(path.join(root, 'acme', 'blobs', file.id), path.join(root, 'globex', 'blobs', file.id));
    fs.copyFileSync(
      path.join(root, 'acme', 'blobs', `${file.id}.json`),
      path.join(root, 'globex', 'blobs', `${file.id}.json`),
    );
    expect(await store.get('globex', file.id)).toBeUndefined();
  });

  it('refuses ids and app ids that could leave its folder', async () => {
    expect(await store.stat('acme', '../../etc/passwd')).toBeUndefined();
    await expect(store.stat('../acme', newFileId())).rejects.toThrow('not an app id');
    await expect(store.claim('acme', '../x', 'u1')).rejects.toThrow('not a file id');
  });

  it("erases a user's files and only theirs", async () => {
    const [a, b, c] = [await put('acme', 'a'), await put('acme', 'b'), await put('acme', 'c')];
    await store.claim('acme', a.id, 'jane');
    await store.claim('acme', b.id, 'jane');
    await store.claim('acme', c.id, 'john');
    expect((await store.eraseUser('acme', 'jane')).sort()).toEqual([a.id, b.id].sort());
    expect(await store.stat('acme', a.id)).toBeUndefined();
    expect(await store.stat('acme', c.id)).toEqual(c);
    expect(await store.eraseUser('acme', 'jane')).toEqual([]);
    expect(await store.eraseUser('globex', 'john')).toEqual([]);
  });

  it('sweeps files older than the retention', async () => {
    const old = await put('acme', 'old', '2020-01-01T00:00:00.000Z');
    const fresh = await put('globex', 'fresh');
    expect(await store.sweep(Date.parse('2021-01-01T00:00:00Z'))).toBe(1);
    expect(await store.stat('acme', old.id)).toBeUndefined();
    expect(await store.stat('globex', fresh.id)).toEqual(fresh);
  });
});
