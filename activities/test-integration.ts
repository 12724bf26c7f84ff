import type { ParleyConfig } from '../common/config';
import { IntegrationError } from '../common/errors';
import { createTestSinkClient } from '../integrations/test/client';
import type { OutboxBatch } from '../workflows/definitions';
import { toApplicationFailure } from './failures';
import { pulse } from './pulse';

export function createTestIntegrationActivities(deps: { config: ParleyConfig; fetch?: typeof fetch }) {
  return {
    /** Sends a batch to the test sink, skipping what an earlier attempt already delivered. */
    async sendTestIntegrationBatch(batch: OutboxBatch): Promise<void> {
      const heartbeat = pulse();
      try {
        const cfg = deps.config.apps.find((a) => a.id === batch.appId)?.test;
        if (!cfg)
          throw new IntegrationError('test_not_configured', `app ${batch.appId} has no test integration`, {
            retryable: false,
          });
        const sink = createTestSinkClient(cfg.url, deps.fetch);
        heartbeat();
        const already = new Set(await sink.listDelivered(batch.conversationId));
        const items = batch.items
          .filter((item) => !already.has(item.eventId))
          .map((item) => ({
            eventId: item.eventId,
            kind: item.kind,
            text: item.message?.text,
            messageId: item.message?.id,
          }));
        heartbeat();
        if (items.length > 0) await sink.postBatch(batch.conversationId, items);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
