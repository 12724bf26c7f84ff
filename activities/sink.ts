import type { OutboxBatch } from '../common/conversation';
import type { ParleyConfig } from '../common/config';
import { createSinkClient } from '../integrations/sink/client';
import { appFor, toApplicationFailure } from './failures';
import { pulse } from './pulse';

export function createSinkActivities(deps: { config: ParleyConfig; fetch?: typeof fetch }) {
  return {
    /** Sends a batch to the sink, skipping what an earlier attempt already delivered. */
    async sendSinkBatch(batch: OutboxBatch): Promise<void> {
      const heartbeat = pulse();
      const app = appFor(deps.config, batch.appId, 'sink');
      try {
        const sink = createSinkClient(app.sink.url, deps.fetch);
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
