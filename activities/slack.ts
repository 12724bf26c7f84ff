import { sleep } from '@temporalio/activity';
import type { ParleyConfig } from '../common/config';
import { createSlackAdapter } from '../integrations/slack/adapter';
import type { SlackChannelCache } from '../integrations/slack/cache';
import { createSlackClient } from '../integrations/slack/client';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { readStoredFile, type FileStore } from '../integrations/files/store';
import { appFor, toApplicationFailure } from './failures';
import { pulse } from './pulse';

export interface SlackActivityDeps {
  config: ParleyConfig;
  /** Channel ids by name, shared by every batch this worker sends (built once in `createActivities`). */
  slackChannels: SlackChannelCache;
  files?: FileStore;
  fetch?: typeof fetch;
}

export function createSlackActivities(deps: SlackActivityDeps) {
  const channels = deps.slackChannels;
  const files = deps.files;
  return {
    /** Posts a batch into the user's Slack channel (creating and announcing it first when needed). */
    async postSlackMessages(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'slack');
      const adapter = createSlackAdapter({
        client: createSlackClient(app.slack),
        config: app.slack,
        hooks: { heartbeat: pulse(), sleep: (ms) => sleep(ms) },
        channels,
        ...(files
          ? { readFile: (id: string) => readStoredFile(files, batch.appId, id, deps.config.storage.maxFileBytes) }
          : {}),
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
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
