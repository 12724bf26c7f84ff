/** The file store the config names: `storage: { kind: fs | s3, … }`. */
import path from 'node:path';
import type { StorageConfig } from '../../common/config';
import { parleyHome } from '../../common/paths';
import { createFsFileStore, type FileStore } from './store';

export function createFileStore(storage: StorageConfig, home = parleyHome()): FileStore {
  if (storage.kind === 'fs') return createFsFileStore(path.resolve(storage.path ?? path.join(home, 'files')));
  throw new Error('storage kind s3 is not available in this build');
}
