import type { ParleyConfig } from '../common/config';
import { createHelpScoutAdapter } from '../integrations/helpscout/adapter';
import type { HelpScoutCache } from '../integrations/helpscout/cache';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { readStoredFile, type FileStore } from '../integrations/files/store';
import { appFor, toApplicationFailure } from './failures';

export function createHelpScoutActivities(deps: {
  config: ParleyConfig;
  fetch?: typeof fetch;
  /** The worker's Help Scout tokens and mailbox ids, built once by `createActivities`. */
  helpscoutCache: HelpScoutCache;
  files?: FileStore;
}) {
  const files = deps.files;
  return {
    /** Adds a batch to the user's Help Scout conversation (opening it first when needed). */
    async postHelpScoutThreads(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'helpscout');
      const cache = deps.helpscoutCache;
      const client = createHelpScoutClient(app.helpscout, { cache, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
      // The bytes come from Parley's own store, never from a URL anyone supplied.
      const readFile = files
        ? (id: string) => readStoredFile(files, batch.appId, id, deps.config.storage.maxFileBytes)
        : undefined;
      const adapter = createHelpScoutAdapter(client, app.helpscout, cache, readFile);
      try {
        const { refs } = await adapter.send({ ...batch, appName: app.name ?? app.id });
        return { refs };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
