import { sleep } from '@temporalio/activity';
import type { AppConfig, ParleyConfig } from '../common/config';
import { createSlackAdapter } from '../integrations/slack/adapter';
import type { SlackChannelCache } from '../integrations/slack/cache';
import { createSlackClient, type SlackConfig } from '../integrations/slack/client';
import { slackErrorCode } from '../integrations/slack/errors';
import {
  createRotatingSlackClient,
  type SlackCredentials,
  type SlackCredentialSource,
} from '../integrations/slack/installation';
import { type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { readStoredFile, type FileStore } from '../integrations/files/store';
import { IntegrationError, OutboxBatchError } from '../common/errors';
import { appFor, toApplicationFailure } from './failures';
import { pulse } from './pulse';

export interface SlackActivityDeps {
  config: ParleyConfig;
  /** Channel ids by name, shared by every batch this worker sends (built once in `createActivities`). */
  slackChannels: SlackChannelCache;
  files?: FileStore;
  fetch?: typeof fetch;
  /** The token each app's calls use now: static, or its OAuth installation's (built once in `createActivities`). */
  slackCredentials: SlackCredentialSource;
}

type SlackApp = AppConfig & { slack: NonNullable<AppConfig['slack']> };

/** The adapter's config with the token and dispatch channel of now. */
export function slackConfigWith(app: SlackApp, credentials: SlackCredentials): SlackConfig {
  const installer = app.slack.installerUserId ?? credentials.installation?.installerUserId;
  return {
    ...app.slack,
    botToken: credentials.token,
    dispatchChannel: credentials.dispatchChannel,
    ...(installer ? { installerUserId: installer } : {}),
  };
}

/** How many times one activity re-reads a token Slack called expired before leaving it to Temporal's retries. */
const TOKEN_REREADS = 3;

/**
 * Runs `fn` with the app's credentials; when Slack answers `token_expired` (the token rotated elsewhere since this
 * process read it), re-reads them and runs again. Retrying is safe: every Slack step checks what is already there
 * first. A token still expired after the re-reads is a retryable `slack_token_expired`: the installation workflow
 * is refreshing it.
 */
export async function withSlackCredentials<T>(
  source: SlackCredentialSource,
  app: SlackApp,
  fn: (credentials: SlackCredentials) => Promise<T>,
): Promise<T> {
  let credentials = await source.get(app);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(credentials);
    } catch (err) {
      const cause = err instanceof OutboxBatchError ? err.cause : err;
      if (credentials.source !== 'oauth' || slackErrorCode(cause) !== 'token_expired') throw err;
      source.invalidate(app.id);
      const fresh = await source.get(app);
      if (fresh.token === credentials.token || attempt + 1 >= TOKEN_REREADS) {
        const expired = new IntegrationError('slack_token_expired', 'the Slack token expired before its refresh', {
          retryable: true,
          cause,
        });
        throw err instanceof OutboxBatchError
          ? new OutboxBatchError(expired, err.completed, err.refs, err.needsHistory)
          : expired;
      }
      credentials = fresh;
    }
  }
}

export function createSlackActivities(deps: SlackActivityDeps) {
  const channels = deps.slackChannels;
  const files = deps.files;
  return {
    /** Posts a batch into the user's Slack channel (creating and announcing it first when needed). */
    async postSlackMessages(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'slack');
      try {
        return await withSlackCredentials(deps.slackCredentials, app, async (credentials) => {
          const config = slackConfigWith(app, credentials);
          const adapter = createSlackAdapter({
            // Each call takes the newest token this process knows (a refresh here switches it mid-batch).
            client:
              credentials.source === 'oauth'
                ? createRotatingSlackClient(
                    app.slack.apiUrl,
                    () => deps.slackCredentials.newest(app.id) ?? credentials.token,
                  )
                : createSlackClient(config),
            config,
            hooks: { heartbeat: pulse(), sleep: (ms) => sleep(ms) },
            channels,
            ...(files
              ? { readFile: (id: string) => readStoredFile(files, batch.appId, id, deps.config.storage.maxFileBytes) }
              : {}),
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
          });
          const { refs } = await adapter.send({ ...batch, appName: app.name ?? app.id });
          return { refs };
        });
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}
