import type { ParleyConfig } from '../common/config';
import { createHelpScoutAdapter } from '../integrations/helpscout/adapter';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { appFor, toApplicationFailure } from './failures';

export function createHelpScoutActivities(deps: { config: ParleyConfig; fetch?: typeof fetch }) {
  return {
    /** Adds a batch to the user's Help Scout conversation (opening it first when needed). */
    async postHelpScoutThreads(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'helpscout');
      const adapter = createHelpScoutAdapter(createHelpScoutClient(app.helpscout, deps.fetch), app.helpscout);
      try {
        const { refs } = await adapter.send({ ...batch, appName: app.name ?? app.id });
        return { refs };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
