import type { OutboxBatch } from '../common/conversation';
import type { ParleyConfig } from '../common/config';
import { createSinkAdapter } from '../integrations/sink/adapter';
import { createSinkClient } from '../integrations/sink/client';
import { appFor, toApplicationFailure } from './failures';
import { pulse } from './pulse';

export function createSinkActivities(deps: { config: ParleyConfig; fetch?: typeof fetch }) {
  return {
    /** Sends a batch to the sink, skipping what an earlier attempt already delivered. */
    async sendSinkBatch(batch: OutboxBatch): Promise<void> {
      const app = appFor(deps.config, batch.appId, 'sink');
      const adapter = createSinkAdapter(createSinkClient(app.sink.url, deps.fetch), { heartbeat: pulse() });
      try {
        await adapter.send(batch);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
