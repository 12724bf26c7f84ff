import type { ParleyConfig } from '../common/config';
import { IntegrationError } from '../common/errors';
import { createHelpScoutAdapter, HelpScoutBatchError } from '../integrations/helpscout/adapter';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import type { OutboxBatch, OutboxSendResult } from '../workflows/definitions';
import { toApplicationFailure } from './failures';

export function createHelpScoutActivities(deps: { config: ParleyConfig; fetch?: typeof fetch }) {
  return {
    /** Adds a batch to the user's Help Scout conversation (opening it first when needed). */
    async postHelpScoutThreads(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = deps.config.apps.find((a) => a.id === batch.appId);
      if (!app?.helpscout) {
        throw toApplicationFailure(
          new IntegrationError('helpscout_not_configured', `app ${batch.appId} has no Help Scout integration`, {
            retryable: false,
          }),
        );
      }
      const adapter = createHelpScoutAdapter(createHelpScoutClient(app.helpscout, deps.fetch), app.helpscout);
      try {
        const { refs } = await adapter.send({
          appId: app.id,
          appName: app.name ?? app.id,
          userId: batch.userId,
          conversationId: batch.conversationId,
          profile: batch.profile,
          refs: batch.refs,
          items: batch.items,
          ...(batch.recent ? { recent: batch.recent } : {}),
        });
        return { refs };
      } catch (err) {
        if (err instanceof HelpScoutBatchError)
          throw toApplicationFailure(err.cause, err.completed, err.refs, err.needsHistory);
        throw toApplicationFailure(err);
      }
    },
  };
}
