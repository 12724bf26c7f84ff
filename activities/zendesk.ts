import type { ParleyConfig } from '../common/config';
import { IntegrationError } from '../common/errors';
import { createZendeskAdapter, ZendeskBatchError } from '../integrations/zendesk/adapter';
import { createZendeskClient } from '../integrations/zendesk/client';
import type { OutboxBatch, OutboxSendResult } from '../workflows/definitions';
import { toApplicationFailure } from './failures';

export function createZendeskActivities(deps: { config: ParleyConfig; fetch?: typeof fetch }) {
  return {
    /** Adds a batch to the user's Zendesk ticket as one public comment (creating the ticket first when needed). */
    async commentOnZendeskTicket(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = deps.config.apps.find((a) => a.id === batch.appId);
      if (!app?.zendesk) {
        throw toApplicationFailure(
          new IntegrationError('zendesk_not_configured', `app ${batch.appId} has no Zendesk integration`, {
            retryable: false,
          }),
        );
      }
      const adapter = createZendeskAdapter(createZendeskClient(app.zendesk, deps.fetch));
      try {
        return await adapter.send({
          appId: app.id,
          userId: batch.userId,
          conversationId: batch.conversationId,
          profile: batch.profile,
          refs: batch.refs,
          items: batch.items,
        });
      } catch (err) {
        if (err instanceof ZendeskBatchError) throw toApplicationFailure(err.cause, 0, err.refs);
        throw toApplicationFailure(err);
      }
    },
  };
}
