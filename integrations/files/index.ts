/** The file store the config names: `storage: { kind: fs | s3, … }`. */
import path from 'node:path';
import type { StorageConfig } from '../../common/config';
import { parleyHome } from '../../common/paths';
import { createS3FileStore } from './s3';
import { createFsFileStore, type FileStore } from './store';

export function createFileStore(storage: StorageConfig, home = parleyHome()): FileStore {
  if (storage.kind === 'fs') return createFsFileStore(path.resolve(storage.path ?? path.join(home, 'files')));
  return createS3FileStore(storage);
}
