/**
 * "Test connection": each configured integration's state, and a live check of its credentials
 * (Slack `auth.test`, the sink's URL, …). Results are kept per process and shown by the listing.
 */
import { Router } from 'express';
import { type AppConfig, type ParleyConfig, enabledIntegrations, type IntegrationName } from '../common/config';
import { createZendeskClient } from '../integrations/zendesk/client';
import { checkZendesk, connectZendesk, removeZendesk } from '../integrations/zendesk/connect';
import { IntegrationError } from '../common/errors';
import { createSlackClient } from '../integrations/slack/client';
import type { SlackCredentialSource } from '../integrations/slack/installation';
import { checkSlackConnection } from '../integrations/slack/oauth';
import { createSinkClient } from '../integrations/sink/client';
import { checkEmail } from '../integrations/email/connect';
import type { HelpScoutCache } from '../integrations/helpscout/cache';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import { checkHelpScout, connectHelpScout, disconnectHelpScout } from '../integrations/helpscout/connect';
import { adminApp } from './auth';
import { HttpError } from './errors';

export type IntegrationState =
  | 'ok'
  | 'rate_limited'
  | 'auth_failed'
  | 'needs_reinstall'
  | 'not_installed'
  | 'unreachable'
  | 'error'
  | 'not_supported';

/**
 * One shape for every integration's check: `name`, `state`, `message`, `checkedAt` always; the rest where the
 * integration has it (Slack fills them all: workspace, bot user, scopes, token expiry, dispatch channel).
 */
export interface IntegrationCheck {
  name: string;
  state: IntegrationState;
  message: string;
  checkedAt: string;
  rateLimitedUntil?: string;
  /** Where it is connected: the Slack workspace, the Zendesk account, the Help Scout mailbox. */
  account?: { id?: string; name?: string; url?: string };
  /** Who Parley acts as there: the Slack bot user, the API user. */
  identity?: { id?: string; name?: string };
  /** Permissions granted, and those Parley needs but lacks. */
  scopes?: { granted: string[]; missing: string[] };
  /** How Parley holds its credentials: a static token, or an OAuth installation (status, expiry, refreshes). */
  credentials?: {
    kind: 'static' | 'oauth';
    status?: string;
    reason?: string;
    expiresAt?: string;
    refreshes?: number;
    installedAt?: string;
  };
  /** Where Parley posts by default (Slack's dispatch channel), and whether it can. */
  destination?: { name: string; id?: string; exists: boolean; canPost: boolean; problem?: string };
  /** The last failure seen: of this check, or of the installation's token refresh. */
  lastError?: { code: string; message: string; at: string };
}

export function fromError(name: string, err: unknown): IntegrationCheck {
  const e =
    err instanceof IntegrationError ? err : new IntegrationError(`${name}_error`, String(err), { retryable: true });
  const checkedAt = new Date().toISOString();
  if (e.code.endsWith('_rate_limited')) {
    return {
      name,
      state: 'rate_limited',
      message: e.message,
      checkedAt,
      rateLimitedUntil: new Date(Date.now() + (e.retryAfterMs ?? 0)).toISOString(),
    };
  }
  if (/_(auth_failed|rejected|unauthorized)$/.test(e.code))
    return { name, state: 'auth_failed', message: e.message, checkedAt };
  return { name, state: e.retryable ? 'unreachable' : 'error', message: e.message, checkedAt };
}

/** Slack's check: the installation's state, then `auth.test` and the dispatch channel with the current token. */
async function checkSlackApp(
  app: AppConfig & { slack: NonNullable<AppConfig['slack']> },
  credentials: SlackCredentialSource,
): Promise<IntegrationCheck> {
  const name = 'slack';
  const checkedAt = new Date().toISOString();
  let current;
  try {
    current = await credentials.get(app);
  } catch (err) {
    const code = err instanceof IntegrationError ? err.code : 'slack_error';
    const state: IntegrationState =
      code === 'slack_needs_reinstall' ? 'needs_reinstall' : code === 'slack_not_installed' ? 'not_installed' : 'error';
    const installation = app.slack.clientId
      ? await credentials.installationOf(app.id).catch(() => undefined)
      : undefined;
    return {
      name,
      state,
      message: err instanceof Error ? err.message : String(err),
      checkedAt,
      credentials: {
        kind: 'oauth',
        ...(installation?.status ? { status: installation.status } : {}),
        ...(installation?.reason ? { reason: installation.reason } : {}),
      },
      ...(installation?.lastError ? { lastError: installation.lastError } : {}),
    };
  }
  const installation = current.installation;
  const report: IntegrationCheck = {
    name,
    state: 'ok',
    message: '',
    checkedAt,
    credentials: {
      kind: current.source,
      ...(installation
        ? {
            status: installation.status,
            refreshes: installation.refreshes,
            ...(installation.expiresAt !== undefined
              ? { expiresAt: new Date(installation.expiresAt).toISOString() }
              : {}),
            ...(installation.installedAt ? { installedAt: installation.installedAt } : {}),
          }
        : {}),
    },
    ...(installation?.lastError ? { lastError: installation.lastError } : {}),
  };
  try {
    const client = createSlackClient({ botToken: current.token, apiUrl: app.slack.apiUrl });
    const live = await checkSlackConnection(client, current.dispatchChannel);
    report.account = live.workspace;
    report.identity = live.botUser;
    report.scopes = live.scopes;
    report.destination = live.dispatchChannel;
    const problems = [
      ...(live.scopes.missing.length > 0
        ? [`missing scopes ${live.scopes.missing.join(', ')}: reinstall to grant them`]
        : []),
      ...(live.dispatchChannel.problem ? [`#${live.dispatchChannel.name}: ${live.dispatchChannel.problem}`] : []),
    ];
    report.state = problems.length > 0 ? 'error' : 'ok';
    report.message = [
      `connected to ${live.workspace.name ?? live.workspace.id} as ${live.botUser.name ?? live.botUser.id}`,
      ...problems,
    ].join('; ');
    return report;
  } catch (err) {
    const failed = fromError(name, err);
    return { ...report, ...failed, lastError: { code: codeOf(err), message: failed.message, at: checkedAt } };
  }
}

function codeOf(err: unknown): string {
  return err instanceof IntegrationError ? err.code : 'error';
}

/** One integration's live check, as `POST …/integrations/:name/check` and the admin console run it. */
export async function checkIntegration(
  app: AppConfig,
  name: IntegrationName,
  helpscoutCache: HelpScoutCache,
  slackCredentials: SlackCredentialSource,
): Promise<IntegrationCheck> {
  const checkedAt = new Date().toISOString();
  try {
    if (name === 'slack' && app.slack) {
      return await checkSlackApp({ ...app, slack: app.slack }, slackCredentials);
    }
    if (name === 'zendesk' && app.zendesk) {
      return { name, state: 'ok', message: await checkZendesk(createZendeskClient(app.zendesk)), checkedAt };
    }
    if (name === 'helpscout' && app.helpscout) {
      const client = createHelpScoutClient(app.helpscout, { cache: helpscoutCache });
      return { name, state: 'ok', message: await checkHelpScout(client, app.helpscout, helpscoutCache), checkedAt };
    }
    if (name === 'email' && app.email) {
      return { name, state: 'ok', message: await checkEmail(app.email), checkedAt };
    }
    if (name === 'sink' && app.sink) {
      await createSinkClient(app.sink.url).listDelivered('connection-check');
      return { name, state: 'ok', message: 'sink reachable', checkedAt };
    }
    return { name, state: 'not_supported', message: `Parley does not send to ${name} yet`, checkedAt };
  } catch (err) {
    return fromError(name, err);
  }
}

export function createIntegrationsRouter(
  parleyConfig: ParleyConfig,
  zendeskSecrets: Map<string, string>,
  helpscoutCache: HelpScoutCache,
  slackCredentials: SlackCredentialSource,
  /** The last check of each `appId:integration`, shared with the admin console. */
  last: Map<string, IntegrationCheck> = new Map(),
): Router {
  const publicUrl = parleyConfig.server.publicUrl;
  const router = Router({ mergeParams: true });

  router.get('/integrations', async (_req, res) => {
    const app = adminApp(res);
    const results = await Promise.all(
      enabledIntegrations(app).map(async (name) => {
        const key = `${app.id}:${name}`;
        const known = last.get(key) ?? (await checkIntegration(app, name, helpscoutCache, slackCredentials));
        last.set(key, known);
        return known;
      }),
    );
    res.json({ integrations: results });
  });

  function helpscoutOf(app: AppConfig) {
    if (!app.helpscout)
      throw new HttpError(404, 'integration_not_configured', `app "${app.id}" has no helpscout integration`);
    if (!publicUrl)
      throw new HttpError(
        400,
        'public_url_missing',
        'set server.publicUrl: Help Scout must be able to call Parley back',
      );
    return {
      client: createHelpScoutClient(app.helpscout, { cache: helpscoutCache }),
      config: app.helpscout,
      publicUrl,
    };
  }

  function zendeskOf(app: AppConfig) {
    if (!app.zendesk)
      throw new HttpError(404, 'integration_not_configured', `app "${app.id}" has no zendesk integration`);
    if (!publicUrl)
      throw new HttpError(400, 'public_url_missing', 'set server.publicUrl: Zendesk must be able to call Parley back');
    return { client: createZendeskClient(app.zendesk), url: app.zendesk.url, publicUrl };
  }

  router.post('/integrations/zendesk/connect', async (_req, res) => {
    const app = adminApp(res);
    const { client, url, publicUrl: callback } = zendeskOf(app);
    try {
      const connection = await connectZendesk(client, callback);
      zendeskSecrets.set(url, connection.signingSecret);
      const { signingSecret: _secret, ...shown } = connection;
      res.json(shown);
    } catch (err) {
      const check = fromError('zendesk', err);
      throw new HttpError(502, `zendesk_${check.state}`, check.message);
    }
  });

  router.delete('/integrations/zendesk', async (_req, res) => {
    const app = adminApp(res);
    const { client, url, publicUrl: callback } = zendeskOf(app);
    // One webhook and trigger per Zendesk account: they stay while another app still uses the account.
    const others = parleyConfig.apps.filter((a) => a.id !== app.id && a.zendesk?.url === url).map((a) => a.id);
    if (others.length > 0) {
      res.json({ removed: false, stillUsedBy: others });
      return;
    }
    try {
      const { restored } = await removeZendesk(client, callback);
      zendeskSecrets.delete(url);
      res.json({ removed: true, restored });
    } catch (err) {
      const check = fromError('zendesk', err);
      throw new HttpError(502, `zendesk_${check.state}`, check.message);
    }
  });

  router.post('/integrations/helpscout/connect', async (_req, res) => {
    const app = adminApp(res);
    const { client, config, publicUrl: url } = helpscoutOf(app);
    try {
      res.json(await connectHelpScout(client, config, helpscoutCache, app.id, url));
    } catch (err) {
      const check = fromError('helpscout', err);
      throw new HttpError(502, `helpscout_${check.state}`, check.message);
    }
  });

  router.delete('/integrations/helpscout', async (_req, res) => {
    const app = adminApp(res);
    const { client, publicUrl: url } = helpscoutOf(app);
    try {
      res.json({ removedWebhooks: await disconnectHelpScout(client, app.id, url) });
    } catch (err) {
      const check = fromError('helpscout', err);
      throw new HttpError(502, `helpscout_${check.state}`, check.message);
    }
  });

  router.post('/integrations/:name/check', async (req, res) => {
    const app = adminApp(res);
    const name = String(req.params.name) as IntegrationName;
    if (!enabledIntegrations(app).includes(name))
      throw new HttpError(404, 'integration_not_configured', `app "${app.id}" has no ${name} integration`);
    const result = await checkIntegration(app, name, helpscoutCache, slackCredentials);
    last.set(`${app.id}:${name}`, result);
    res.json(result);
  });

  return router;
}
