import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ParleyConfig } from '../common/config';
import type { Metrics } from '../common/metrics';
import { type OutboxBatch, type OutboxFailureDetails } from '../common/conversation';
import { createHelpScoutCache } from '../integrations/helpscout/cache';
import { createFileStore } from '../integrations/files';
import type { FileStore } from '../integrations/files/store';
import { createEmailActivities, type WatchEmailInboxInput } from './email';
import { createHelpScoutActivities } from './helpscout';
import { createZendeskActivities } from './zendesk';
import { createSlackActivities } from './slack';
import { createSlackChannelCache } from '../integrations/slack/cache';
import { createSinkActivities } from './sink';
import { createWebhookActivities } from './webhooks';
import { runningLocally, type LocalSendGate } from './local-sends';
import { installationSealKeys, lazySealer, type Sealer } from '../common/seal';
import { createSlackCredentialSource } from '../integrations/slack/installation';
import {
  createSlackInstallationActivities,
  type RefreshSlackTokenInput,
  type SlackInstallationNoticeInput,
} from './slack-installation';
import { createErasureActivities, type EraseVendorInput, type UserErasedWebhookInput } from './erase';
import { createOfflineActivities, type EmailRepliesInput } from './offline';

export interface ActivityDeps {
  config: ParleyConfig;
  fetch?: typeof fetch;
  metrics?: Metrics;
  /** The worker's own Temporal client: the inbox watcher signals replies and finds conversations with it. */
  temporal?: Client;
  /** Where users' and agents' files are (default: the store `config.storage` names). */
  files?: FileStore;
  /** Seals and opens Slack installation secrets (common/seal.ts); default: the local key in `.parley/`. */
  sealer?: Sealer;
  /** Bounds the sends run as local first attempts (activities/local-sends.ts); without it, none is declined. */
  localSends?: LocalSendGate;
}

/** Slack's credentials (static tokens, or OAuth installations read through a cache) and the installation's activities. */
function slackInstallationParts(deps: ActivityDeps) {
  const sealer = deps.sealer ?? lazySealer(() => installationSealKeys([]));
  const temporal = deps.temporal;
  const slackCredentials = createSlackCredentialSource({
    temporal: temporal ?? {
      workflow: {
        list: () => {
          throw new Error('Slack OAuth installations need the worker’s Temporal client');
        },
        getHandle: () => {
          throw new Error('Slack OAuth installations need the worker’s Temporal client');
        },
      },
    },
    sealer,
  });
  const installation = createSlackInstallationActivities({ ...deps, sealer, slackCredentials });
  return { slackCredentials, installation };
}

/**
 * Counts what a send activity did: items out, relay latency, batch size, rate limits and failures. A local first
 * attempt passes the worker's local-send gate first (activities/local-sends.ts); a declined one sent nothing and
 * counts only as declined.
 */
function instrumented<R>(deps: ActivityDeps, send: (batch: OutboxBatch) => Promise<R>) {
  const { metrics, localSends } = deps;
  const measured = async (batch: OutboxBatch): Promise<R> => {
    const integration = batch.outbox.split(':')[0] ?? batch.outbox;
    metrics?.outboxBatch.observe({ integration }, batch.items.length);
    const delivered = (n: number): void => {
      if (!metrics || n <= 0) return;
      metrics.relayed.inc({ integration, direction: 'out' }, n);
      for (const item of batch.items.slice(0, n)) {
        const at = item.message ? Date.parse(item.message.at) : item.enqueuedAt;
        if (Number.isFinite(at)) metrics.relayLatency.observe({ integration }, Math.max(0, Date.now() - at) / 1000);
      }
    };
    try {
      const result = await send(batch);
      delivered(batch.items.length);
      return result;
    } catch (err) {
      if (metrics && err instanceof ApplicationFailure) {
        const details = err.details?.[0] as OutboxFailureDetails | undefined;
        delivered(details?.completed ?? 0);
        if (err.type?.endsWith('_rate_limited')) {
          metrics.rateLimitWaits.inc({ integration });
          metrics.rateLimitSeconds.inc({ integration }, (details?.retryAfterMs ?? 0) / 1000);
        } else {
          metrics.sendFailures.inc({ integration, code: err.type ?? 'unknown' });
        }
      }
      throw err;
    }
  };
  if (!localSends) return measured;
  return (batch: OutboxBatch): Promise<R> => {
    const key = `${batch.appId}/${batch.outbox}`;
    const timed = async (): Promise<R> => {
      const started = Date.now();
      try {
        return await measured(batch);
      } finally {
        localSends.observe(key, Date.now() - started);
      }
    };
    return runningLocally() ? localSends.run(key, timed) : timed();
  };
}

/** Every activity Parley's workers run, built from their dependencies (tests pass emulator URLs via config). */
export function createActivities(deps: ActivityDeps) {
  const webhooks = createWebhookActivities(deps);
  const sink = createSinkActivities(deps);
  // One channel cache per worker (an LRU of at most 10,000 ids), shared by every Slack batch it sends.
  const files = deps.files ?? createFileStore(deps.config.storage);
  const { slackCredentials, installation: slackInstallation } = slackInstallationParts(deps);
  const slack = createSlackActivities({ ...deps, files, slackChannels: createSlackChannelCache(), slackCredentials });
  const helpscoutCache = createHelpScoutCache();
  const helpscout = createHelpScoutActivities({ ...deps, files, helpscoutCache });
  const zendesk = createZendeskActivities({ ...deps, files });
  const email = createEmailActivities({ ...deps, files });
  const watchEmailInbox = (input: WatchEmailInboxInput) => email.watchEmailInbox(input);
  const erasure = createErasureActivities({ ...deps, helpscoutCache, slackCredentials });
  const offline = createOfflineActivities(deps);
  return {
    deliverClientWebhooks: instrumented(deps, (b) => webhooks.deliverClientWebhooks(b)),
    sendSinkBatch: instrumented(deps, (b) => sink.sendSinkBatch(b)),
    /** The sink's activity under its old name, for the `test` outboxes of conversations started before the rename. */
    sendTestIntegrationBatch: instrumented(deps, (b) => sink.sendSinkBatch(b)),
    postSlackMessages: instrumented(deps, (b) => slack.postSlackMessages(b)),
    postHelpScoutThreads: instrumented(deps, (b) => helpscout.postHelpScoutThreads(b)),
    commentOnZendeskTicket: instrumented(deps, (b) => zendesk.commentOnZendeskTicket(b)),
    sendEmailNotifications: instrumented(deps, (b) => email.sendEmailNotifications(b)),
    watchEmailInbox,
    /**
     * The inbox session under its old name: a session scheduled before the rename still runs as `watchInbox`, and
     * watchers whose history predates it go on scheduling it (workflows/inbox.ts's `patched`). Keep it registered.
     */
    watchInbox: watchEmailInbox,
    // Erasing a user (workflows/erase.ts): each vendor's clean-up, then the `user:erased` webhook.
    eraseSlackConversation: (input: EraseVendorInput) => erasure.eraseSlackConversation(input),
    eraseZendeskUser: (input: EraseVendorInput) => erasure.eraseZendeskUser(input),
    eraseHelpScoutCustomer: (input: EraseVendorInput) => erasure.eraseHelpScoutCustomer(input),
    eraseSinkConversation: (input: EraseVendorInput) => erasure.eraseSinkConversation(input),
    deliverUserErasedWebhook: (input: UserErasedWebhookInput) => erasure.deliverUserErasedWebhook(input),
    // Slack installations (workflows/slack-installation.ts)
    refreshSlackToken: (input: RefreshSlackTokenInput) => slackInstallation.refreshSlackToken(input),
    resumeSlackOutboxes: (input: { appId: string }) => slackInstallation.resumeSlackOutboxes(input),
    postSlackInstallationNotice: (input: SlackInstallationNoticeInput) =>
      slackInstallation.postSlackInstallationNotice(input),
    // Offline users (workflows/receipts.ts): the agents' replies a user has not seen, by mail.
    emailRepliesToUser: (input: EmailRepliesInput) => offline.emailRepliesToUser(input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
