import type { ParleyConfig } from '../common/config';
import { createZendeskAdapter } from '../integrations/zendesk/adapter';
import { createZendeskClient } from '../integrations/zendesk/client';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { readStoredFile, type FileStore } from '../integrations/files/store';
import { appFor, toApplicationFailure } from './failures';

export function createZendeskActivities(deps: { config: ParleyConfig; fetch?: typeof fetch; files?: FileStore }) {
  const files = deps.files;
  return {
    /** Adds a batch to the user's Zendesk ticket as one public comment (creating the ticket first when needed). */
    async commentOnZendeskTicket(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'zendesk');
      const adapter = createZendeskAdapter(createZendeskClient(app.zendesk, deps.fetch), {
        ...app.zendesk,
        // The bytes come from Parley's own store, never from a URL anyone supplied.
        ...(files
          ? { readFile: (id: string) => readStoredFile(files, batch.appId, id, deps.config.storage.maxFileBytes) }
          : {}),
      });
      try {
        return await adapter.send(batch);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
