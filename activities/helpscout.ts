import type { ParleyConfig } from '../common/config';
import { createHelpScoutAdapter } from '../integrations/helpscout/adapter';
import type { HelpScoutCache } from '../integrations/helpscout/cache';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { appFor, toApplicationFailure } from './failures';

export function createHelpScoutActivities(deps: {
  config: ParleyConfig;
  fetch?: typeof fetch;
  /** The worker's Help Scout tokens and mailbox ids, built once by `createActivities`. */
  helpscoutCache: HelpScoutCache;
}) {
  return {
    /** Adds a batch to the user's Help Scout conversation (opening it first when needed). */
    async postHelpScoutThreads(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'helpscout');
      const cache = deps.helpscoutCache;
      const client = createHelpScoutClient(app.helpscout, { cache, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
      const adapter = createHelpScoutAdapter(client, app.helpscout, cache);
      try {
        const { refs } = await adapter.send({ ...batch, appName: app.name ?? app.id });
        return { refs };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
