/**
 * "Add to Slack": `GET /slack/install?app=<appId>` sends an admin to Slack's OAuth v2 Allow screen (Parley's bot
 * scopes and `incoming-webhook`, so the dispatch channel is picked there), and `GET /slack/oauth_redirect` exchanges
 * the code and stores the installation in its workflow (`slack-installation:<teamId>`, secrets sealed). The flow is
 * @slack/oauth's InstallProvider with Parley's stores: the state is signed with a key derived from the app's client
 * secret, bound to the app, expires in 10 minutes, is single-use, and must match the browser's state cookie (CSRF).
 *
 * Installing binds a workspace to an app, so `/slack/install` needs an admin: an admin key as Bearer, an admin
 * session (`isAdminSession`, the admin console's), or a signed, expiring, single-use install link an admin made with
 * `POST /v1/apps/{appId}/integrations/slack/install-link`.
 */
import {
  InstallProvider,
  InvalidStateError,
  LogLevel as SlackLogLevel,
  type CodedError,
  type Logger as SlackLogger,
  type Installation,
  type InstallationStore,
  type InstallURLOptions,
  type OrgInstallation,
  type StateStore,
} from '@slack/oauth';
import type { Client } from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import type { AppConfig, ParleyConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { Sealer } from '../common/seal';
import {
  findInstallationKey,
  installationKey,
  installationWorkflowId,
  SLACK_INSTALLATION_WORKFLOW_TYPE,
  type SlackInstallationRecord,
  type SlackInstallationState,
} from '../common/slack-installation';
import { escapeHtml } from '../common/text';
import { dispatchChannelOf, type SlackCredentialSource } from '../integrations/slack/installation';
import {
  createNonceRegistry,
  newClaims,
  signClaims,
  SLACK_INSTALL_SCOPES,
  unverifiedApp,
  verifyClaims,
} from '../integrations/slack/oauth';
import { installSlackUpdate, ParleyApp, slackInstallationEventSignal } from '../workflows/definitions';
import { adminApp, type Keyring } from './auth';
import { HttpError } from './errors';

type OAuthApp = AppConfig & { slack: NonNullable<AppConfig['slack']> & { clientId: string; clientSecret: string } };

const STATE_TTL_SECONDS = 600;
const LINK_TTL_SECONDS = 3_600;
/** How long the callback waits for the installation to show in visibility (where the worker finds it). */
const VISIBLE_WITHIN_MS = 10_000;

export interface SlackInstallDeps {
  config: ParleyConfig;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  keyring: Keyring;
  sealer: Sealer;
  credentials: SlackCredentialSource;
  /** The admin console's session check (injected by whoever builds the console). */
  isAdminSession?: (req: Request) => boolean;
  now?: () => number;
}

function isOAuthApp(app: AppConfig | undefined): app is OAuthApp {
  return Boolean(app?.slack?.clientId && app.slack.clientSecret);
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .set('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
        `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
    );
}

/** HTML for a browser, `{error}` JSON for anything else. */
function refuse(req: Request, res: Response, status: number, code: string, message: string): void {
  if (req.accepts(['json', 'html']) === 'html')
    page(res, status, 'Parley cannot install this', `<p>${escapeHtml(message)}</p>`);
  else res.status(status).json({ error: { code, message } });
}

/** Parley's installation store: each install becomes an update of the workspace's installation workflow. */
function createInstallationStore(deps: SlackInstallDeps, app: OAuthApp): InstallationStore {
  return {
    async storeInstallation(installation) {
      const install = installation as Installation<'v2', boolean>;
      const bot = install.bot;
      if (!bot?.token) throw new Error('Slack answered no bot token');
      const record: SlackInstallationRecord = {
        appId: app.id,
        isEnterpriseInstall: install.isEnterpriseInstall === true,
        scopes: bot.scopes ?? [],
        token: deps.sealer.seal(bot.token),
        ...(install.team?.id ? { teamId: install.team.id } : {}),
        ...(install.team?.name ? { teamName: install.team.name } : {}),
        ...(install.enterprise?.id ? { enterpriseId: install.enterprise.id } : {}),
        ...(install.enterprise?.name ? { enterpriseName: install.enterprise.name } : {}),
        ...(install.appId ? { slackAppId: install.appId } : {}),
        ...(bot.userId ? { botUserId: bot.userId } : {}),
        ...(bot.id ? { botId: bot.id } : {}),
        ...(bot.refreshToken ? { refreshToken: deps.sealer.seal(bot.refreshToken) } : {}),
        ...(bot.expiresAt !== undefined ? { expiresAt: bot.expiresAt * 1000 } : {}),
        ...(install.user?.id ? { installerUserId: install.user.id } : {}),
      };
      const hook = install.incomingWebhook;
      if (hook)
        record.incomingWebhook = {
          ...(hook.channel ? { channel: hook.channel.replace(/^#/, '') } : {}),
          ...(hook.channelId ? { channelId: hook.channelId } : {}),
          ...(hook.configurationUrl ? { configurationUrl: hook.configurationUrl } : {}),
          ...(hook.url ? { url: deps.sealer.seal(hook.url) } : {}),
        };
      const key = installationKey(record);
      const previous = await findInstallationKey(deps.temporal, app.id);
      const handle = await deps.temporal.workflow.start(SLACK_INSTALLATION_WORKFLOW_TYPE, {
        workflowId: installationWorkflowId(key),
        taskQueue: deps.taskQueue,
        args: [{ key }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [{ key: ParleyApp, value: app.id }],
        staticSummary: `Slack installation of ${app.name ?? app.id} in ${record.teamName ?? key}`,
      });
      try {
        await handle.executeUpdate(installSlackUpdate, { args: [record] });
      } catch (err) {
        throw new HttpError(409, 'slack_workspace_taken', errorText(err), { cause: err });
      }
      // The app moved to another workspace: the old installation ends (its tokens stay with Slack until uninstalled).
      if (previous !== undefined && previous !== key)
        await deps.temporal.workflow
          .getHandle(installationWorkflowId(previous))
          .signal(slackInstallationEventSignal, { kind: 'replaced', at: new Date().toISOString() });
      deps.credentials.invalidate(app.id, key);
      // The worker finds the app's installation through visibility: wait until it can, so the first message after
      // the success page goes out with the new token.
      const deadline = Date.now() + VISIBLE_WITHIN_MS;
      while ((await findInstallationKey(deps.temporal, app.id)) !== key && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    },
    fetchInstallation() {
      // InstallProvider asks only from `authorize()`, which Parley never calls: the workflow is the only refresher.
      return Promise.reject(new Error('Parley reads installations from their workflow'));
    },
  };
}

function errorText(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  return message;
}

/** The signed, expiring, single-use state, bound to the app (the cookie check is InstallProvider's). */
function createStateStore(
  deps: SlackInstallDeps,
  app: OAuthApp,
  used: ReturnType<typeof createNonceRegistry>,
): StateStore {
  const now = deps.now ?? Date.now;
  return {
    generateStateParam: (options: InstallURLOptions) =>
      Promise.resolve(
        signClaims(app.slack.clientSecret, 'state', {
          ...newClaims(app.id, STATE_TTL_SECONDS, now()),
          ...(options.redirectUri ? { redirectUri: options.redirectUri } : {}),
        }),
      ),
    verifyStateParam(_date: Date, state: string) {
      const result = verifyClaims(app.slack.clientSecret, 'state', state, { app: app.id, nowMs: now() });
      if (!result.ok) return Promise.reject(new InvalidStateError(`the state is ${result.reason.replace('_', ' ')}`));
      if (!used.use(`state:${result.claims.nonce}`, result.claims.exp * 1000, now()))
        return Promise.reject(new InvalidStateError('the state was used already'));
      const { redirectUri } = result.claims;
      return Promise.resolve({
        scopes: [...SLACK_INSTALL_SCOPES],
        metadata: app.id,
        ...(redirectUri ? { redirectUri } : {}),
      });
    },
  };
}

/** InstallProvider's logger, into Parley's (its errors are the install's failures, which the failure page reports). */
function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ name: 'slack-oauth' });
  const text = (msg: unknown[]): string => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ');
  return {
    debug: (...msg) => child.debug(text(msg)),
    info: (...msg) => child.debug(text(msg)),
    warn: (...msg) => child.warn(text(msg)),
    error: (...msg) => child.info(text(msg)),
    setLevel: () => undefined,
    getLevel: () => SlackLogLevel.DEBUG,
    setName: () => undefined,
  };
}

export function createSlackInstallRouter(deps: SlackInstallDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  const used = createNonceRegistry();
  const providers = new Map<string, InstallProvider>();

  function providerFor(app: OAuthApp): InstallProvider {
    let provider = providers.get(app.id);
    if (!provider) {
      provider = new InstallProvider({
        clientId: app.slack.clientId,
        clientSecret: app.slack.clientSecret,
        authorizationUrl: app.slack.oauthUrl,
        stateStore: createStateStore(deps, app, used),
        installationStore: createInstallationStore(deps, app),
        directInstall: true,
        logger: slackLogger(deps.log),
        clientOptions: { slackApiUrl: app.slack.apiUrl, retryConfig: { retries: 0 }, timeout: 10_000 },
      });
      providers.set(app.id, provider);
    }
    return provider;
  }

  function redirectUri(req: Request): string {
    // Slack checks it against the app's Redirect URLs, so a forged Host header leads nowhere.
    const base = deps.config.server.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return `${base.replace(/\/+$/, '')}/slack/oauth_redirect`;
  }

  /** An admin is asking: by key, by console session, or through an install link made for this app. */
  function isAdmin(req: Request, app: OAuthApp): boolean {
    if (deps.keyring.isAdmin(req)) return true;
    if (deps.isAdminSession?.(req)) return true;
    const link = typeof req.query.link === 'string' ? req.query.link : undefined;
    if (!link) return false;
    const result = verifyClaims(app.slack.clientSecret, 'install-link', link, { app: app.id, nowMs: now() });
    return result.ok && used.use(`link:${result.claims.nonce}`, result.claims.exp * 1000, now());
  }

  router.get('/install', async (req, res) => {
    const appId = typeof req.query.app === 'string' ? req.query.app : '';
    const app = deps.config.apps.find((a) => a.id === appId);
    if (!isOAuthApp(app)) {
      refuse(req, res, 404, 'app_not_found', `no app "${appId}" with slack.clientId and slack.clientSecret`);
      return;
    }
    if (!isAdmin(req, app)) {
      refuse(
        req,
        res,
        401,
        'unauthorized',
        'installing Slack binds a workspace to this app: sign in to /admin, or open an install link an admin made',
      );
      return;
    }
    await providerFor(app).handleInstallPath(req, res, undefined, {
      scopes: [...SLACK_INSTALL_SCOPES],
      redirectUri: redirectUri(req),
      metadata: app.id,
    });
  });

  router.get('/oauth_redirect', async (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const app = deps.config.apps.find((a) => a.id === unverifiedApp(state));
    if (!isOAuthApp(app)) {
      page(
        res,
        400,
        'This install link is not valid',
        '<p>Start again from Parley: the state is missing or forged.</p>',
      );
      return;
    }
    await providerFor(app).handleCallback(
      req,
      res,
      {
        successAsync: async (installation: Installation | OrgInstallation) => {
          const key = installationKey({
            isEnterpriseInstall: installation.isEnterpriseInstall === true,
            ...(installation.team?.id ? { teamId: installation.team.id } : {}),
            ...(installation.enterprise?.id ? { enterpriseId: installation.enterprise.id } : {}),
          });
          const state: SlackInstallationState | undefined = await deps.credentials.byKey(key);
          const workspace = installation.team?.name ?? installation.enterprise?.name ?? key;
          const channel = dispatchChannelOf(app.slack, state);
          const shown = app.slack.dispatchChannel ?? state?.incomingWebhook?.channel ?? channel;
          deps.log.info({ app: app.id, team: key }, 'slack installed');
          page(
            res,
            200,
            "That's it: Parley is in Slack",
            `<p>Parley (${escapeHtml(app.name ?? app.id)}) is installed in <strong>${escapeHtml(workspace)}</strong>.</p>` +
              `<p>New conversations are announced in <strong>#${escapeHtml(shown.replace(/^#/, ''))}</strong>.</p>`,
          );
        },
        failure: (error: CodedError) => {
          const cause = (error as { cause?: unknown }).cause;
          const taken = error instanceof HttpError ? error : cause instanceof HttpError ? cause : undefined;
          deps.log.warn({ app: app.id, code: error.code, err: error.message }, 'slack install failed');
          const status = taken ? taken.status : 400;
          page(
            res,
            status,
            'Parley was not installed',
            `<p>${escapeHtml(taken ? taken.message : error.message)}</p><p>Start again from /slack/install?app=${escapeHtml(app.id)}.</p>`,
          );
        },
      },
      { scopes: [...SLACK_INSTALL_SCOPES], redirectUri: redirectUri(req), metadata: app.id },
    );
  });

  return router;
}

/** `POST /v1/apps/{appId}/integrations/slack/install-link` (admin key): a URL that lets one visitor install, once. */
export function createSlackInstallLinkRouter(deps: Pick<SlackInstallDeps, 'config' | 'now'>): Router {
  const router = Router({ mergeParams: true });
  router.post('/integrations/slack/install-link', (req, res) => {
    const app = adminApp(res);
    if (!isOAuthApp(app))
      throw new HttpError(
        404,
        'integration_not_configured',
        `app "${app.id}" has no slack.clientId and slack.clientSecret (the OAuth install)`,
      );
    const nowMs = (deps.now ?? Date.now)();
    const claims = newClaims(app.id, LINK_TTL_SECONDS, nowMs);
    const link = signClaims(app.slack.clientSecret, 'install-link', claims);
    const base = deps.config.server.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    res.status(201).json({
      url: `${base.replace(/\/+$/, '')}/slack/install?app=${encodeURIComponent(app.id)}&link=${encodeURIComponent(link)}`,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    });
  });
  return router;
}
