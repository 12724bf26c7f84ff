/**
 * The erasure's activities: one clean-up per vendor (each calls its room's `erase.ts`) and the `user:erased`
 * webhook. Unlike the outboxes' sends, a rate limit here is an ordinary retry after the vendor's wait
 * (`nextRetryDelay`): there is no batch to gather meanwhile, only the erasure waiting for its answer.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ParleyConfig } from '../common/config';
import type { VendorErasure } from '../common/erasure';
import { IntegrationError, integrationError } from '../common/errors';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import type { HelpScoutCache } from '../integrations/helpscout/cache';
import { createHelpScoutEraser } from '../integrations/helpscout/erase';
import { eraseSinkConversation } from '../integrations/sink/erase';
import { createSlackClient } from '../integrations/slack/client';
import type { SlackCredentialSource } from '../integrations/slack/installation';
import { slackConfigWith, withSlackCredentials } from './slack';
import { createSlackEraser, erasedChannelName } from '../integrations/slack/erase';
import type { WebhookErrorCode } from '../integrations/webhooks/errors';
import { deliverUserErased, type UserErasedEvent } from '../integrations/webhooks/erase';
import { createZendeskClient } from '../integrations/zendesk/client';
import { createZendeskEraser } from '../integrations/zendesk/erase';
import { appFor } from './failures';
import { pulse } from './pulse';

/** What every vendor's clean-up gets: who, which conversation, the references it made there. */
export interface EraseVendorInput {
  appId: string;
  userId: string;
  conversationId: string;
  /** When the conversation began (a vendor's record older than that is not one Parley made for it). */
  since: string;
  refs: Record<string, string>;
  /** Random, chosen by the workflow so every retry agrees: the user's Slack channels are named after it. */
  seed: string;
}

export interface UserErasedWebhookInput extends UserErasedEvent {
  url: string;
}

/**
 * An erasure activity's failure: `type` = the error code; a rate limit retried after its wait, a permanent fault
 * (revoked token, integration gone from the config) not retried, so the workflow reports it and goes on.
 */
export function toErasureFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof IntegrationError) {
    const limited = err.retryAfterMs !== undefined;
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable && !limited,
      ...(limited ? { nextRetryDelay: Math.max(1000, err.retryAfterMs ?? 0) } : {}),
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type: 'parley_internal',
    message,
    cause: err instanceof Error ? err : undefined,
  });
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toErasureFailure(err);
  }
}

export function createErasureActivities(deps: {
  config: ParleyConfig;
  fetch?: typeof fetch;
  /** The worker's Help Scout tokens and mailbox ids, shared with its sends. */
  helpscoutCache: HelpScoutCache;
  /** Slack's current token per app (static or OAuth-installed). */
  slackCredentials: SlackCredentialSource;
}) {
  const withFetch = deps.fetch ? { fetch: deps.fetch } : {};
  return {
    /** Anonymises the user's dispatch notices, renames and archives their `sk-` channels. */
    async eraseSlackConversation(input: EraseVendorInput): Promise<VendorErasure> {
      const app = appFor(deps.config, input.appId, 'slack');
      return mapped(() =>
        withSlackCredentials(deps.slackCredentials, app, (credentials) => {
          const config = slackConfigWith(app, credentials);
          return createSlackEraser(createSlackClient(config), config).erase(
            {
              conversationId: input.conversationId,
              appName: app.name ?? app.id,
              refs: input.refs,
              anonymousName: erasedChannelName(input.seed),
            },
            { heartbeat: pulse() },
          );
        }),
      );
    },

    /** Deletes the conversation's tickets and Parley's end user, each permanently. */
    async eraseZendeskUser(input: EraseVendorInput): Promise<VendorErasure> {
      const app = appFor(deps.config, input.appId, 'zendesk');
      const eraser = createZendeskEraser(createZendeskClient(app.zendesk, deps.fetch));
      return mapped(() =>
        eraser.erase(
          { conversationId: input.conversationId, since: input.since, refs: input.refs },
          { heartbeat: pulse() },
        ),
      );
    },

    /** Deletes the user's Help Scout conversations and Parley's customer for them. */
    async eraseHelpScoutCustomer(input: EraseVendorInput): Promise<VendorErasure> {
      const app = appFor(deps.config, input.appId, 'helpscout');
      const client = createHelpScoutClient(app.helpscout, { cache: deps.helpscoutCache, ...withFetch });
      return mapped(() =>
        createHelpScoutEraser(client).erase(
          { appId: input.appId, userId: input.userId, refs: input.refs },
          { heartbeat: pulse() },
        ),
      );
    },

    /** Deletes what the sink holds of the conversation. */
    async eraseSinkConversation(input: EraseVendorInput): Promise<VendorErasure> {
      const app = appFor(deps.config, input.appId, 'sink');
      return mapped(() => eraseSinkConversation(app.sink.url, input.conversationId, deps.fetch));
    },

    /** Tells one of the app's webhook URLs that the user was erased (the conversation's last event there). */
    async deliverUserErasedWebhook(input: UserErasedWebhookInput): Promise<void> {
      const { url, ...event } = input;
      const hook = deps.config.apps.find((a) => a.id === input.appId)?.webhooks.find((w) => w.url === url);
      if (!hook)
        throw toErasureFailure(
          integrationError<WebhookErrorCode>(
            'webhook_not_configured',
            `app ${input.appId} has no webhook ${url} any more`,
            {
              retryable: false,
            },
          ),
        );
      await mapped(() => deliverUserErased({ url, secret: hook.secret, ...withFetch }, event));
    },
  };
}
