import type { Client } from '@temporalio/client';
import express, { type Express, type Request } from 'express';
import type { ParleyConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { createKeyring, requireAppKey } from './auth';
import { createClientApi } from './client-api';
import { errorHandler, HttpError, notFound } from './errors';
import { createHealthRouter, type ReadinessCheck } from './health';
import { createOpenApiDocument } from './openapi';
import { createSlackRouter } from './slack';
import { createSlackInstallLinkRouter, createSlackInstallRouter } from './slack-install';
import { installationSealKeys, lazySealer, type Sealer } from '../common/seal';
import { createSlackCredentialSource, type SlackCredentialSource } from '../integrations/slack/installation';
import { createHelpScoutRouter } from './helpscout';
import { createZendeskRouter, type ZendeskSecrets } from './zendesk';
import { createCodecRouter, type CodecDeps } from './codec';
import { metricsHandler, requestMetrics, requireAdminKey } from './metrics';
import { createIntegrationsRouter, type IntegrationCheck } from './integrations';
import { createOfflineRouter } from './offline';
import { bodyDepthGuard } from './budgets';
import { createMetrics, type Metrics } from '../common/metrics';
import { createHelpScoutCache } from '../integrations/helpscout/cache';
import { createFileStore } from '../integrations/files';
import type { FileStore } from '../integrations/files/store';
import { createFiles } from './files';
import { createAdminConsole, type AdminConsole } from './admin/console';

export interface AppDeps {
  temporal: Client;
  config: ParleyConfig;
  taskQueue: string;
  log: Logger;
  readiness: () => Promise<ReadinessCheck>;
  continueAsNewAfterEvents?: number;
  bodyLimit?: string;
  codec?: CodecDeps;
  metrics?: Metrics;
  /** Where the Temporal SDK exports its own metrics in this process, appended to `/metrics`. */
  temporalMetricsUrl?: string;
  /** Zendesk signing secrets by account URL, shared with whoever connects Zendesk. */
  zendeskSecrets?: ZendeskSecrets;
  /** The file store (default: the one `config.storage` names). */
  files?: FileStore;
  /** The configuration file, which the admin console names where it shows a setting's line. */
  configFile?: string;
  /** The Temporal UI's address, for the admin console's links to a conversation's history. */
  temporalUiUrl?: string;
  /** Receives the admin console once built (its `isAdminSession` serves `/slack/install`; `stop` ends its sampler). */
  onAdminConsole?: (console: AdminConsole) => void;
  /** Seals Slack installation secrets (common/seal.ts); default: the local key in `.parley/`. */
  sealer?: Sealer;
  /** The admin console's session check: an admin signed in there may open `/slack/install`. */
  isAdminSession?: (req: Request) => boolean;
}

/** Slack's current token per app, static or OAuth-installed, shared by every Slack route of this API. */
function slackCredentialsFor(deps: AppDeps): { sealer: Sealer; credentials: SlackCredentialSource } {
  const sealer = deps.sealer ?? lazySealer(() => installationSealKeys([]));
  return { sealer, credentials: createSlackCredentialSource({ temporal: deps.temporal, sealer }) };
}

/** The HTTP API (no `listen`): the client API, health and the OpenAPI document. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const metrics = deps.metrics ?? createMetrics();
  const keyring = createKeyring(deps.config);
  app.use(requestMetrics(metrics));
  // Without a key on PARLEY_METRICS_PORT (workers/parley.ts); here, on the public port, only with an admin key.
  app.get('/metrics', requireAdminKey(keyring), metricsHandler(metrics, deps.temporalMetricsUrl));
  app.use(createHealthRouter({ readiness: deps.readiness, isAdmin: (req) => keyring.isAdmin(req) }));
  const doc = createOpenApiDocument(deps.config.server.publicUrl);
  app.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });

  // The session cookie is `Secure` when Parley is reached over https, which its public URL says.
  const secureCookie = deps.config.server.publicUrl?.startsWith('https:') ?? false;
  app.use('/codec', createCodecRouter({ corsOrigins: [], secureCookie, ...deps.codec }));
  const zendeskSecrets = deps.zendeskSecrets ?? new Map<string, string>();
  const fileStore = deps.files ?? createFileStore(deps.config.storage);
  app.use(
    '/zendesk',
    createZendeskRouter({
      config: deps.config,
      temporal: deps.temporal,
      log: deps.log,
      metrics,
      secrets: zendeskSecrets,
      files: fileStore,
    }),
  );
  // The API process's Help Scout tokens and mailbox ids, shared by the webhook and the integration routes.
  const helpscoutCache = createHelpScoutCache();
  // The admin console (api/admin/): HTML pages on an admin key's session; it shares the integration checks.
  const integrationChecks = new Map<string, IntegrationCheck>();
  const slack = slackCredentialsFor(deps);
  const adminConsole = createAdminConsole({
    slackCredentials: slack.credentials,
    config: deps.config,
    temporal: deps.temporal,
    keyring,
    readiness: deps.readiness,
    metrics,
    helpscoutCache,
    zendeskSecrets,
    checks: integrationChecks,
    log: deps.log,
    ...(deps.configFile ? { configFile: deps.configFile } : {}),
    ...(deps.temporalUiUrl ? { temporalUiUrl: deps.temporalUiUrl } : {}),
  });
  deps.onAdminConsole?.(adminConsole);
  // Mounted here, before the vendors' routes: `/slack/install` asks `adminConsole.isAdminSession(req)`.
  app.use('/admin', adminConsole.router);
  app.use(
    '/helpscout',
    createHelpScoutRouter({
      config: deps.config,
      temporal: deps.temporal,
      log: deps.log,
      metrics,
      cache: helpscoutCache,
      files: fileStore,
    }),
  );
  app.use(
    '/slack',
    createSlackInstallRouter({
      config: deps.config,
      temporal: deps.temporal,
      taskQueue: deps.taskQueue,
      log: deps.log,
      keyring,
      sealer: slack.sealer,
      credentials: slack.credentials,
      isAdminSession: deps.isAdminSession ?? ((req) => adminConsole.isAdminSession(req)),
    }),
  );
  app.use(
    '/slack',
    createSlackRouter({
      config: deps.config,
      temporal: deps.temporal,
      log: deps.log,
      metrics,
      credentials: slack.credentials,
      files: fileStore,
    }),
  );
  // The unsubscribe link of the fallback mails to app users (no key: the signed token is the proof).
  app.use('/offline', createOfflineRouter({ config: deps.config, temporal: deps.temporal, log: deps.log }));

  // Files: uploads are multipart (ahead of the JSON-only routes), downloads need only their signed URL.
  const files = createFiles({
    config: deps.config,
    store: fileStore,
    log: deps.log,
  });
  app.use('/files', files.downloadRouter);
  app.use('/v1/apps/:appId/files', requireAppKey(deps.config, keyring), files.clientRouter);

  const json = express.json({ limit: deps.bodyLimit ?? '64kb', strict: true });
  app.use(
    '/v1/apps/:appId',
    (req, _res, next) => {
      // Bodies must be JSON; anything else is a clear 415 rather than an empty body.
      if (
        ['POST', 'PUT', 'PATCH'].includes(req.method) &&
        (req.headers['content-length'] ?? '0') !== '0' &&
        !req.is('application/json')
      ) {
        throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
      }
      next();
    },
    json,
    bodyDepthGuard(),
    requireAppKey(deps.config, keyring),
    createClientApi({ ...deps, metrics, files, apiReplicas: deps.config.server.apiReplicas }),
    createSlackInstallLinkRouter({ config: deps.config }),
    createIntegrationsRouter(deps.config, zendeskSecrets, helpscoutCache, slack.credentials, integrationChecks),
  );
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
