/**
 * The installation workflow's side effects (workflows/slack-installation.ts): the token refresh (the one place a
 * refresh token is spent), resuming the app's Slack outboxes after an install, and the notice that the installation
 * needs a reinstall. Tokens are opened and sealed here, so the workflow only ever holds sealed ones.
 */
import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ParleyConfig } from '../common/config';
import { IntegrationError } from '../common/errors';
import type { Sealer } from '../common/seal';
import type { SlackReinstallReason, SlackTokenRefresh } from '../common/slack-installation';
import { createSlackClient } from '../integrations/slack/client';
import { toSlackIntegrationError } from '../integrations/slack/errors';
import type { SlackCredentialSource } from '../integrations/slack/installation';
import { refreshSlackToken, reinstallNoticeText } from '../integrations/slack/oauth';
import { resumeOutboxSignal } from '../workflows/definitions';
import { appFor, toApplicationFailure } from './failures';

export interface SlackInstallationActivityDeps {
  config: ParleyConfig;
  temporal?: Client;
  sealer: Sealer;
  slackCredentials: SlackCredentialSource;
}

export interface RefreshSlackTokenInput {
  appId: string;
  key: string;
  /** Sealed. */
  refreshToken: string;
}

export interface SlackInstallationNoticeInput {
  appId: string;
  key: string;
  reason: SlackReinstallReason;
}

function oauthOf(deps: SlackInstallationActivityDeps, appId: string) {
  const app = appFor(deps.config, appId, 'slack');
  const { clientId, clientSecret } = app.slack;
  if (!clientId || !clientSecret)
    throw toApplicationFailure(
      new IntegrationError('slack_not_configured', `app ${appId} has no slack.clientId/clientSecret any more`, {
        retryable: false,
      }),
    );
  return { app, oauth: { clientId, clientSecret, apiUrl: app.slack.apiUrl } };
}

export function createSlackInstallationActivities(deps: SlackInstallationActivityDeps) {
  return {
    /** Spends the refresh token: the new bot token and refresh token, sealed. */
    async refreshSlackToken(input: RefreshSlackTokenInput): Promise<SlackTokenRefresh> {
      const { oauth } = oauthOf(deps, input.appId);
      try {
        const next = await refreshSlackToken(oauth, deps.sealer.open(input.refreshToken));
        const expiresAt = Date.now() + next.expiresInSeconds * 1000;
        // This process's sends use the new token from their next call on.
        deps.slackCredentials.rotated(input.appId, next.token, expiresAt);
        return {
          token: deps.sealer.seal(next.token),
          refreshToken: deps.sealer.seal(next.refreshToken),
          expiresAt,
          scopes: next.scopes,
        };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    /** Wakes every Slack outbox of the app's running conversations (paused ones send again, others are unmoved). */
    async resumeSlackOutboxes(input: { appId: string }): Promise<{ signalled: number }> {
      const temporal = deps.temporal;
      if (!temporal) throw new Error('resumeSlackOutboxes needs the worker’s Temporal client');
      deps.slackCredentials.invalidate(input.appId);
      if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(input.appId)) return { signalled: 0 };
      const query = `WorkflowType = "conversation" AND ParleyApp = "${input.appId}" AND ParleyIntegrations = "slack" AND ExecutionStatus = "Running"`;
      let signalled = 0;
      for await (const execution of temporal.workflow.list({ query, pageSize: 200 })) {
        try {
          await temporal.workflow.getHandle(execution.workflowId).signal(resumeOutboxSignal, { outbox: 'slack' });
          signalled += 1;
        } catch (err) {
          // Closed between the listing and the signal: nothing to resume there.
          if ((err as { name?: string }).name !== 'WorkflowNotFoundError') throw err;
        }
        if (signalled % 50 === 0) heartbeat({ signalled });
      }
      return { signalled };
    },

    /** Tells the dispatch channel that the installation needs a reinstall, while a token may still post. */
    async postSlackInstallationNotice(input: SlackInstallationNoticeInput): Promise<void> {
      const app = appFor(deps.config, input.appId, 'slack');
      const installation = await deps.slackCredentials.byKey(input.key);
      if (!installation?.token) return;
      const token = deps.sealer.open(installation.token);
      const channel = app.slack.dispatchChannel ?? installation.incomingWebhook?.channelId ?? 'general';
      try {
        await createSlackClient({ botToken: token, apiUrl: app.slack.apiUrl }).chat.postMessage({
          channel,
          text: reinstallNoticeText(app.name ?? app.id, input.reason, deps.config.server.publicUrl, app.id),
        });
      } catch (err) {
        throw toApplicationFailure(toSlackIntegrationError(err));
      }
    },
  };
}
