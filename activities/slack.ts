import { sleep } from '@temporalio/activity';
import type { ParleyConfig } from '../common/config';
import { createSlackAdapter } from '../integrations/slack/adapter';
import { createSlackClient } from '../integrations/slack/client';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { appFor, toApplicationFailure } from './failures';
import { pulse } from './pulse';

export function createSlackActivities(deps: { config: ParleyConfig }) {
  return {
    /** Posts a batch into the user's Slack channel (creating and announcing it first when needed). */
    async postSlackMessages(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'slack');
      const adapter = createSlackAdapter(createSlackClient(app.slack), app.slack, {
        heartbeat: pulse(),
        sleep: (ms) => sleep(ms),
      });
      try {
        const { refs } = await adapter.send({ ...batch, appName: app.name ?? app.id });
        return { refs };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
