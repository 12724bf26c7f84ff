/** Retention (`storage.retentionDays`): files older than that are deleted, at start and every hour after. */
import type { StorageConfig } from '../../common/config';
import type { Logger } from '../../common/logger';
import type { FileStore } from './store';

const HOUR = 3_600_000;

export function startFileSweeper(store: FileStore, storage: StorageConfig, log: Logger): { stop(): void } {
  const days = storage.retentionDays;
  if (days === undefined) return { stop: () => undefined };
  const sweep = async (): Promise<void> => {
    try {
      const deleted = await store.sweep(Date.now() - days * 86_400_000);
      if (deleted > 0) log.info({ deleted, retentionDays: days }, 'files past their retention deleted');
    } catch (err) {
      // Tried again in an hour; downloads refuse expired files meanwhile (api/files.ts).
      log.warn({ err: (err as Error).message }, 'the file retention sweep failed');
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), HOUR);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
