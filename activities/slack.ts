import { heartbeat, sleep } from '@temporalio/activity';
import type { ParleyConfig } from '../common/config';
import { IntegrationError } from '../common/errors';
import { createSlackAdapter, SlackBatchError } from '../integrations/slack/adapter';
import { createSlackClient } from '../integrations/slack/client';
import type { OutboxBatch, OutboxSendResult } from '../workflows/definitions';
import { toApplicationFailure } from './failures';

export function createSlackActivities(deps: { config: ParleyConfig }) {
  return {
    /** Posts a batch into the user's Slack channel (creating and announcing it first when needed). */
    async postSlackMessages(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = deps.config.apps.find((a) => a.id === batch.appId);
      if (!app?.slack) {
        throw toApplicationFailure(
          new IntegrationError('slack_not_configured', `app ${batch.appId} has no Slack integration`, {
            retryable: false,
          }),
        );
      }
      const adapter = createSlackAdapter(createSlackClient(app.slack), app.slack, {
        heartbeat: () => heartbeat(),
        sleep: (ms) => sleep(ms),
      });
      try {
        const { refs } = await adapter.send({
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
        if (err instanceof SlackBatchError) throw toApplicationFailure(err.cause, err.completed, err.refs);
        throw toApplicationFailure(err);
      }
    },
  };
}
