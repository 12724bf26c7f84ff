import type { ParleyConfig } from '../common/config';
import { createZendeskAdapter } from '../integrations/zendesk/adapter';
import { createZendeskClient } from '../integrations/zendesk/client';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { appFor, toApplicationFailure } from './failures';

export function createZendeskActivities(deps: { config: ParleyConfig; fetch?: typeof fetch }) {
  return {
    /** Adds a batch to the user's Zendesk ticket as one public comment (creating the ticket first when needed). */
    async commentOnZendeskTicket(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'zendesk');
      const adapter = createZendeskAdapter(createZendeskClient(app.zendesk, deps.fetch), app.zendesk);
      try {
        return await adapter.send(batch);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
