/** What Parley sends the sink for an outbox batch: the items it does not hold yet, as one batch. */
import type { OutboxBatch } from '../../common/conversation';
import type { SinkClient } from './client';

export function createSinkAdapter(client: SinkClient, hooks: { heartbeat: () => void }) {
  return {
    /** Skips what an earlier attempt already delivered (the sink lists the event ids it holds). */
    async send(batch: Pick<OutboxBatch, 'conversationId' | 'items'>): Promise<void> {
      hooks.heartbeat();
      const already = new Set(await client.listDelivered(batch.conversationId));
      const items = batch.items
        .filter((item) => !already.has(item.eventId))
        .map((item) => ({
          eventId: item.eventId,
          kind: item.kind,
          text: item.message?.text,
          messageId: item.message?.id,
        }));
      hooks.heartbeat();
      if (items.length > 0) await client.postBatch(batch.conversationId, items);
    },
  };
}
