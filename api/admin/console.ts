/**
 * `/admin`, the admin console: sign in with an admin key, then the apps and their integrations (live checks, Test
 * connection, Slack install, the Help Scout mailbox picker, Zendesk connect and remove with their plans), the
 * conversations (search over Parley's search attributes, a conversation's messages and outboxes, Resume, archive),
 * and health at a glance. Server-rendered HTML forms: no script, every action a POST with the session's CSRF token,
 * answered by a redirect to the page that shows its result (post/redirect/get). Each action calls the same function
 * the JSON endpoint calls.
 */
import type { Client } from '@temporalio/client';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import {
  enabledIntegrations,
  INTEGRATIONS,
  type AppConfig,
  type IntegrationName,
  type ParleyConfig,
} from '../../common/config';
import { userLabel, speaker } from '../../common/conversation';
import { conversationWorkflowId } from '../../common/ids';
import type { Logger } from '../../common/logger';
import type { Metrics } from '../../common/metrics';
import { tokenKey, type HelpScoutCache } from '../../integrations/helpscout/cache';
import { createHelpScoutClient } from '../../integrations/helpscout/client';
import { connectHelpScout, disconnectHelpScout } from '../../integrations/helpscout/connect';
import { listMailboxes } from '../../integrations/helpscout/mailbox';
import { createZendeskClient } from '../../integrations/zendesk/client';
import {
  connectZendesk,
  planZendeskConnect,
  planZendeskRemove,
  removeZendesk,
} from '../../integrations/zendesk/connect';
import type { ConversationState } from '../../workflows/definitions';
import type { Keyring } from '../auth';
import { archiveConversation, queryConversation, resumeOutboxes } from '../client-api';
import { HttpError } from '../errors';
import { cachedReadiness, type ReadinessCheck } from '../health';
import type { SlackCredentialSource } from '../../integrations/slack/installation';
import { checkIntegration, fromError, type IntegrationCheck } from '../integrations';
import { checkUserIdBytes } from '../budgets';
import { userIdParam } from '../schemas';
import { html, safeUrl, type HtmlValue, type SafeHtml } from './html';
import { renderLayout, stylesheet } from './layout';
import { createRecentCounts, type RecentCounts } from './recent';
import { buildConversationQuery, SEARCH_FIELDS, SearchInputError, type SearchInput } from './search';
import { createAdminSessions, type AdminSession, type AdminSessions, type Flash } from './session';
import {
  appLabel,
  checkFacts,
  checkSentence,
  configBlock,
  configLines,
  csrfField,
  facts,
  INTEGRATION_LABELS,
  messageItem,
  outboxSection,
  plain,
  postButton,
  stateBadge,
} from './views';

export interface AdminConsoleDeps {
  config: ParleyConfig;
  /** The configuration file, named where a setting's line is shown. */
  configFile?: string;
  temporal: Client;
  keyring: Keyring;
  readiness: () => Promise<ReadinessCheck>;
  metrics: Metrics;
  helpscoutCache: HelpScoutCache;
  /** Slack's current token per app (static or its OAuth installation), for Test connection. */
  slackCredentials: SlackCredentialSource;
  zendeskSecrets: Map<string, string>;
  /** The integration routes' last checks, shared: a check run here shows in `GET …/integrations` and back. */
  checks: Map<string, IntegrationCheck>;
  /** Where the Temporal UI is (default the dev server's, http://localhost:8233). */
  temporalUiUrl?: string;
  log: Logger;
  now?: () => number;
  /** For tests: the session store's bounds and lifetimes. */
  sessions?: AdminSessions;
}

export interface AdminConsole {
  router: Router;
  sessions: AdminSessions;
  /** For `/slack/install`: the request comes from a signed-in admin (a live session cookie). */
  isAdminSession(req: Request): boolean;
  stop(): void;
}

/** Search results shown at most; the rest are reached by narrowing the search. */
const SEARCH_LIMIT = 50;
/** Conversations whose outboxes the health page reads, the most recent first. */
const HEALTH_SCAN = 100;
const HEALTH_CACHE_MS = 15_000;
const MESSAGES_SHOWN = 30;

interface Locals {
  adminSession?: AdminSession;
}

const session = (res: Response): AdminSession => {
  const s = (res.locals as Locals).adminSession;
  if (!s) throw new HttpError(401, 'unauthorized', 'sign in first');
  return s;
};

/** Answers a POST with a redirect to the page that shows its result. */
const seeOther = (res: Response, to: string): void => {
  res.redirect(303, to);
};

function formString(req: Request, name: string, max = 2000): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

/** A Keyword search attribute of a listed workflow, as a string ('' when absent). */
function keyword(attributes: unknown, name: string): string {
  const values = (attributes as Record<string, unknown> | undefined)?.[name];
  const first: unknown = Array.isArray(values) ? values[0] : undefined;
  return typeof first === 'string' ? first : '';
}

function keywords(attributes: unknown, name: string): string[] {
  const values = (attributes as Record<string, unknown> | undefined)?.[name];
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
}

function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
}

export function createAdminConsole(deps: AdminConsoleDeps): AdminConsole {
  const { config, temporal } = deps;
  const now = deps.now ?? Date.now;
  const publicUrl = config.server.publicUrl;
  const sessions = deps.sessions ?? createAdminSessions({ secure: publicUrl?.startsWith('https:') ?? false, now });
  const readiness = cachedReadiness(deps.readiness);
  const recent: RecentCounts = createRecentCounts(deps.metrics, { now });
  const uiBase = (deps.temporalUiUrl ?? 'http://localhost:8233').replace(/\/$/, '');
  // Read when a link is made: unit tests build the app on a stand-in client without options.
  const namespace = (): string => (temporal.options as { namespace?: string } | undefined)?.namespace ?? 'default';
  const router = Router();

  const appOf = (id: unknown): { app: AppConfig; index: number } => {
    const index = config.apps.findIndex((a) => a.id === id);
    const app = config.apps[index];
    if (!app) throw new HttpError(404, 'app_not_found', `no app "${String(id)}"`);
    return { app, index };
  };

  async function banner(): Promise<SafeHtml | undefined> {
    const r = await readiness();
    if (r.ready) return undefined;
    const lines: string[] = [];
    const { temporal: t, worker, searchAttributes } = r.checks;
    if (t && !t.ok)
      lines.push(`Temporal is unreachable: ${t.detail ?? 'no answer'}. Nothing is relayed until it is back.`);
    if (worker && !worker.ok)
      lines.push(`No worker is polling: ${worker.detail ?? 'not running'}. Messages wait in Temporal until one runs.`);
    if (searchAttributes && !searchAttributes.ok)
      lines.push(`Search attributes: ${searchAttributes.detail ?? 'missing'}.`);
    for (const [name, c] of Object.entries(r.checks))
      if (!c.ok && !['temporal', 'worker', 'searchAttributes'].includes(name))
        lines.push(`${name}: ${c.detail ?? 'failed'}`);
    return html`<p><strong>Parley is not ready.</strong></p>
      ${lines.map((l) => html`<p>${l}</p>`)}`;
  }

  async function page(
    res: Response,
    title: string,
    body: SafeHtml,
    current?: 'apps' | 'conversations' | 'health',
    status = 200,
  ): Promise<void> {
    const s = (res.locals as Locals).adminSession;
    const notices: Flash[] = s ? sessions.takeFlash(s) : [];
    // Readiness details name internal addresses: like /readyz, only for admins.
    const shown = s ? await banner() : undefined;
    res
      .status(status)
      .type('html')
      .send(
        renderLayout({
          title,
          body,
          ...(s ? { session: { csrf: s.csrf, ...(current ? { current } : {}) } } : {}),
          ...(shown ? { banner: shown } : {}),
          notices,
        }),
      );
  }

  // ── Headers, bodies, the session and CSRF ──────────────────────────────────────────────────────────
  router.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy':
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    next();
  });
  router.get('/static/admin.css', stylesheet);
  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 30 }));

  /** A POST from another origin is refused before anything else (the browser says where a form came from). */
  const sameOrigin: RequestHandler = (req, _res, next) => {
    const origin = req.get('origin');
    if (req.method === 'POST' && origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.get('host')) throw new HttpError(403, 'csrf_failed', 'this form was sent from another site');
    }
    next();
  };
  router.use(sameOrigin);

  // ── Signing in and out ─────────────────────────────────────────────────────────────────────────────
  async function loginPage(req: Request, res: Response, status = 200, error?: string): Promise<void> {
    const token = sessions.loginToken(req, res);
    const noKeys = (config.admin?.keys.length ?? 0) === 0;
    await page(
      res,
      'Sign in',
      html`${error ? html`<div class="notice error" role="alert"><p>${error}</p></div>` : ''}
        ${
          noKeys
            ? html`<p>No admin key is configured: add <code>admin: { keys: [ "…" ] }</code> to the configuration.</p>`
            : ''
        }
        <form method="post" action="/admin/login" class="stack">
          <input type="hidden" name="csrf" value="${token}" />
          <label for="key">Admin key</label>
          <input
            id="key"
            name="key"
            type="password"
            autocomplete="current-password"
            required
            autofocus
            aria-describedby="key-help"
          />
          <p id="key-help" class="muted">
            A key from <code>admin.keys</code> in the configuration. A client app's key cannot sign in.
          </p>
          <div><button type="submit">Sign in</button></div>
        </form>`,
      undefined,
      status,
    );
  }

  router.get('/login', async (req, res) => {
    if (sessions.current(req)) return seeOther(res, '/admin/apps');
    await loginPage(req, res);
  });

  router.post('/login', async (req, res) => {
    if (!sessions.verifyLoginToken(req, formString(req, 'csrf'))) {
      await loginPage(req, res, 403, 'The form expired or did not come from this page (CSRF check failed). Try again.');
      return;
    }
    const key = formString(req, 'key', 500)?.trim() ?? '';
    const caller = key ? deps.keyring.identifyKey(key) : 'invalid';
    if (caller === 'invalid') {
      await loginPage(req, res, 401, 'That key is not valid.');
      return;
    }
    if (caller.scope !== 'admin') {
      await loginPage(
        req,
        res,
        403,
        "forbidden_scope: that is a client app's key. Only admin keys (admin.keys in the configuration) sign in here.",
      );
      return;
    }
    sessions.open(req, res);
    deps.log.info('admin console sign-in');
    seeOther(res, '/admin/apps');
  });

  // Everything below needs a session; POSTs also its CSRF token.
  router.use((req, res, next) => {
    const s = sessions.current(req);
    if (!s) {
      if (req.method === 'GET') return seeOther(res, '/admin/login');
      throw new HttpError(401, 'unauthorized', 'your session ended: sign in again');
    }
    (res.locals as Locals).adminSession = s;
    if (req.method === 'POST' && !sessions.verifyCsrf(s, formString(req, 'csrf')))
      throw new HttpError(403, 'csrf_failed', 'the form had no valid CSRF token: reload the page and try again');
    next();
  });

  router.post('/logout', (req, res) => {
    sessions.close(req, res);
    seeOther(res, '/admin/login');
  });

  router.get('/', (_req, res) => seeOther(res, '/admin/apps'));

  // ── Apps and integrations ──────────────────────────────────────────────────────────────────────────
  async function knownCheck(app: AppConfig, name: IntegrationName): Promise<IntegrationCheck> {
    const key = `${app.id}:${name}`;
    const known =
      deps.checks.get(key) ?? (await checkIntegration(app, name, deps.helpscoutCache, deps.slackCredentials));
    deps.checks.set(key, known);
    return known;
  }

  router.get('/apps', async (_req, res) => {
    const rows = await Promise.all(
      config.apps.map(async (app) => ({
        app,
        checks: await Promise.all(enabledIntegrations(app).map((n) => knownCheck(app, n))),
      })),
    );
    await page(
      res,
      'Apps & integrations',
      html`<div class="table-wrap">
        <table>
          <caption class="muted">
            Each app of the configuration and the last check of each integration.
          </caption>
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Integrations</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              ({ app, checks }) =>
                html`<tr>
                  <td><a href="/admin/apps/${encodeURIComponent(app.id)}">${appLabel(app)}</a></td>
                  <td>
                    ${
                      checks.length === 0
                        ? html`<span class="muted">none configured</span>`
                        : html`<ul>
                            ${checks.map((c) => html`<li>${INTEGRATION_LABELS[c.name as IntegrationName] ?? c.name}: ${stateBadge(c.state)} <span class="muted">${c.message}</span></li>`)}
                          </ul>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`,
      'apps',
    );
  });

  function slackSection(app: AppConfig, index: number): SafeHtml {
    const slack = app.slack as (Record<string, unknown> & { dispatchChannel?: string }) | undefined;
    const installUrl = `/slack/install?app=${encodeURIComponent(app.id)}`;
    return html`<h3>Install</h3>
      <p>
        Dispatch channel: <strong>${slack?.dispatchChannel ?? 'chosen on Slack’s screen at install'}</strong>
        <span class="muted"
          >(set in config as <code>apps[${index}].slack.dispatchChannel</code>, or picked when installing)</span
        >
      </p>
      <p><a class="button secondary" href="${installUrl}">${slack ? 'Reinstall in Slack' : 'Add to Slack'}</a></p>`;
  }

  function helpscoutSection(app: AppConfig, s: AdminSession): SafeHtml {
    const hs = app.helpscout;
    const token = hs
      ? deps.helpscoutCache.tokens.get(tokenKey(hs.apiUrl.endsWith('/') ? hs.apiUrl : `${hs.apiUrl}/`, hs.clientId))
      : undefined;
    return html`<h3>Mailbox</h3>
      <p>Configured mailbox: <strong>${String(hs?.mailbox ?? '')}</strong></p>
      <p>
        Access token:
        ${
          token
            ? `expires at ${new Date(token.expiresAt).toISOString()} (Parley asks for a new one a minute before)`
            : 'none asked for yet in this process'
        }
      </p>
      <div class="actions">
        <a class="button secondary" href="/admin/apps/${encodeURIComponent(app.id)}/helpscout"
          >Pick the mailbox and connect</a
        >
        ${postButton(`/admin/apps/${encodeURIComponent(app.id)}/helpscout/remove`, s.csrf, 'Remove Help Scout webhook', { kind: 'secondary' })}
      </div>`;
  }

  function zendeskSection(app: AppConfig): SafeHtml {
    return html`<h3>Webhook and triggers</h3>
      <p>
        <a class="button secondary" href="/admin/apps/${encodeURIComponent(app.id)}/zendesk"
          >Connect or remove: see what changes in Zendesk first</a
        >
      </p>`;
  }

  router.get('/apps/:appId', async (req, res) => {
    const s = session(res);
    const { app, index } = appOf(req.params.appId);
    const names = enabledIntegrations(app);
    const checks = await Promise.all(names.map((n) => knownCheck(app, n)));
    const missing = INTEGRATIONS.filter((n) => !names.includes(n));
    const base = `/admin/apps/${encodeURIComponent(app.id)}`;
    await page(
      res,
      appLabel(app),
      html`<p><a href="/admin/conversations?app=${encodeURIComponent(app.id)}">This app’s conversations</a></p>
        ${names.map((name, i) => {
          const check = checks[i];
          const id = `integration-${name}`;
          return html`<section class="card" id="${id}" aria-labelledby="${id}-h">
            <h2 id="${id}-h">${INTEGRATION_LABELS[name]} ${check ? stateBadge(check.state) : ''}</h2>
            ${checkFacts(check)}
            <div class="actions">${postButton(`${base}/integrations/${name}/check`, s.csrf, 'Test connection')}</div>
            ${name === 'slack' ? slackSection(app, index) : ''} ${name === 'helpscout' ? helpscoutSection(app, s) : ''}
            ${name === 'zendesk' ? zendeskSection(app) : ''}
            ${configBlock(deps.configFile, configLines(index, name, app[name]))}
          </section>`;
        })}
        ${
          missing.length > 0
            ? html`<section class="card" aria-labelledby="add-h">
                <h2 id="add-h">Add an integration</h2>
                <p>
                  Integrations are added in the configuration file (<code>apps[${index}].&lt;name&gt;</code>), then
                  Parley restarts; see the docs of each.
                </p>
                <ul>
                  ${missing.map((n) => html`<li>${INTEGRATION_LABELS[n]}: <code>apps[${index}].${n}: { … }</code></li>`)}
                </ul>
                ${missing.includes('slack') ? html`<p><a class="button secondary" href="/slack/install?app=${encodeURIComponent(app.id)}">Add to Slack</a></p>` : ''}
              </section>`
            : ''
        }`,
      'apps',
    );
  });

  router.post('/apps/:appId/integrations/:name/check', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const name = String(req.params.name) as IntegrationName;
    if (!enabledIntegrations(app).includes(name))
      throw new HttpError(404, 'integration_not_configured', `app "${app.id}" has no ${name} integration`);
    const result = await checkIntegration(app, name, deps.helpscoutCache, deps.slackCredentials);
    deps.checks.set(`${app.id}:${name}`, result);
    sessions.flash(s, {
      kind: result.state === 'ok' ? 'ok' : 'error',
      text: checkSentence(result, INTEGRATION_LABELS[name]),
    });
    seeOther(res, `/admin/apps/${encodeURIComponent(app.id)}#integration-${name}`);
  });

  // ── Help Scout: the mailbox picker ─────────────────────────────────────────────────────────────────
  function helpscoutOf(app: AppConfig) {
    if (!app.helpscout)
      throw new HttpError(404, 'integration_not_configured', `app "${app.id}" has no helpscout integration`);
    return { config: app.helpscout, client: createHelpScoutClient(app.helpscout, { cache: deps.helpscoutCache }) };
  }

  router.get('/apps/:appId/helpscout', async (req, res) => {
    const s = session(res);
    const { app, index } = appOf(req.params.appId);
    const { config: hs, client } = helpscoutOf(app);
    let body: SafeHtml;
    try {
      const mailboxes = await listMailboxes(client);
      const configured = String(hs.mailbox).toLowerCase();
      const isConfigured = (m: { id: number; name: string }) =>
        String(m.id) === configured || m.name.toLowerCase() === configured;
      body = html`<p>
          The mailboxes these credentials can see. Parley opens its Help Scout conversations in the configured mailbox
          (<code>apps[${index}].helpscout.mailbox: ${String(hs.mailbox)}</code>), and connecting points Parley’s webhook
          at the one you pick.
        </p>
        ${
          mailboxes.length === 0
            ? html`<p>These credentials see no mailbox.</p>`
            : html`<form
                method="post"
                action="/admin/apps/${encodeURIComponent(app.id)}/helpscout/connect"
                class="stack"
              >
                ${csrfField(s.csrf)}
                <fieldset>
                  <legend>Mailbox</legend>
                  ${mailboxes.map(
                    (m) =>
                      html`<label class="choice"
                        ><input
                          type="radio"
                          name="mailbox"
                          value="${String(m.id)}"
                          ${isConfigured(m) ? html`checked` : ''}
                          required
                        />
                        ${m.name}${m.email ? html` <span class="muted">&lt;${m.email}&gt;</span>` : ''}
                        <span class="muted">(id ${String(m.id)})${isConfigured(m) ? ', configured' : ''}</span></label
                      >`,
                  )}
                </fieldset>
                <div><button type="submit">Connect</button></div>
              </form>`
        }`;
    } catch (err) {
      const c = fromError('helpscout', err);
      body = html`<div class="notice error" role="alert"><p>${checkSentence(c, 'Help Scout')}</p></div>`;
    }
    await page(res, `Help Scout mailbox · ${appLabel(app)}`, body, 'apps');
  });

  router.post('/apps/:appId/helpscout/connect', async (req, res) => {
    const s = session(res);
    const { app, index } = appOf(req.params.appId);
    const { config: hs, client } = helpscoutOf(app);
    const back = `/admin/apps/${encodeURIComponent(app.id)}#integration-helpscout`;
    const picked = formString(req, 'mailbox', 20);
    if (!picked || !/^\d+$/.test(picked)) throw new HttpError(400, 'invalid_request', 'pick a mailbox');
    if (!publicUrl)
      throw new HttpError(
        400,
        'public_url_missing',
        'set server.publicUrl: Help Scout must be able to call Parley back',
      );
    try {
      const mailboxes = await listMailboxes(client);
      const chosen = mailboxes.find((m) => String(m.id) === picked);
      if (!chosen) throw new HttpError(400, 'mailbox_not_found', `these credentials see no mailbox ${picked}`);
      const configured = String(hs.mailbox).toLowerCase();
      if (String(chosen.id) !== configured && chosen.name.toLowerCase() !== configured) {
        // The webhook and the conversations must use one mailbox, and the conversations' comes from the file.
        sessions.flash(s, {
          kind: 'error',
          text: `Not connected: Parley opens conversations in the configured mailbox "${String(hs.mailbox)}", so its webhook must listen there too. To use "${chosen.name}", change apps[${index}].helpscout.mailbox to ${chosen.id} in ${deps.configFile ?? 'parley.config.yaml'}, restart Parley, then connect.`,
        });
        return seeOther(res, `/admin/apps/${encodeURIComponent(app.id)}/helpscout`);
      }
      const connection = await connectHelpScout(client, hs, deps.helpscoutCache, app.id, publicUrl);
      sessions.flash(s, {
        kind: 'ok',
        text: `Help Scout connected: webhook ${connection.webhookId} ${connection.repaired ? 'repaired' : 'created'} on mailbox "${chosen.name}" (${chosen.id}), events ${connection.events.join(', ')}.`,
      });
    } catch (err) {
      if (err instanceof HttpError) throw err;
      sessions.flash(s, {
        kind: 'error',
        text: `Help Scout not connected. ${checkSentence(fromError('helpscout', err), 'Help Scout')}`,
      });
    }
    seeOther(res, back);
  });

  router.post('/apps/:appId/helpscout/remove', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const { client } = helpscoutOf(app);
    if (!publicUrl) throw new HttpError(400, 'public_url_missing', 'set server.publicUrl first');
    try {
      const removed = await disconnectHelpScout(client, app.id, publicUrl);
      sessions.flash(s, {
        kind: 'ok',
        text: `Help Scout: ${removed} Parley webhook(s) removed. Agent replies no longer reach Parley until you connect again.`,
      });
    } catch (err) {
      sessions.flash(s, {
        kind: 'error',
        text: `Help Scout webhook not removed. ${checkSentence(fromError('helpscout', err), 'Help Scout')}`,
      });
    }
    seeOther(res, `/admin/apps/${encodeURIComponent(app.id)}#integration-helpscout`);
  });

  // ── Zendesk: connect and remove, each shown first ─────────────────────────────────────────────────
  function zendeskOf(app: AppConfig) {
    if (!app.zendesk)
      throw new HttpError(404, 'integration_not_configured', `app "${app.id}" has no zendesk integration`);
    if (!publicUrl)
      throw new HttpError(400, 'public_url_missing', 'set server.publicUrl: Zendesk must be able to call Parley back');
    return { client: createZendeskClient(app.zendesk), url: app.zendesk.url, publicUrl };
  }
  const sharedWith = (app: AppConfig): string[] =>
    config.apps.filter((a) => a.id !== app.id && a.zendesk && a.zendesk.url === app.zendesk?.url).map((a) => a.id);

  router.get('/apps/:appId/zendesk', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const { client, url, publicUrl: callback } = zendeskOf(app);
    const base = `/admin/apps/${encodeURIComponent(app.id)}/zendesk`;
    let body: SafeHtml;
    try {
      const [plan, removal] = await Promise.all([
        planZendeskConnect(client, callback),
        planZendeskRemove(client, callback),
      ]);
      const others = sharedWith(app);
      const list = (titles: string[], none: string): SafeHtml =>
        titles.length === 0
          ? html`<p class="muted">${none}</p>`
          : html`<ul>
              ${titles.map((t) => html`<li>${t}</li>`)}
            </ul>`;
      body = html`<p>Account: <strong>${url}</strong></p>
        <section class="card" aria-labelledby="zc-h">
          <h2 id="zc-h">Connect: what it changes in Zendesk</h2>
          <ul>
            <li>
              Webhook “Parley” to <code>${plan.endpoint}</code>:
              ${plan.webhook === 'create' ? 'created' : 'repaired (it exists)'}${plan.duplicateWebhooks > 0 ? `, ${plan.duplicateWebhooks} extra cop${plan.duplicateWebhooks === 1 ? 'y' : 'ies'} deleted` : ''}.
            </li>
            <li>
              Trigger “Parley: agent replies on Parley tickets”:
              ${plan.trigger === 'create' ? 'created' : 'repaired (it exists)'}${plan.duplicateTriggers > 0 ? `, ${plan.duplicateTriggers} extra deleted` : ''}.
            </li>
          </ul>
          <h3>Triggers that email the requester and get the condition <code>tags not include parley</code></h3>
          ${list(plan.excludeFrom, 'None (no requester-email trigger lacks it).')}
          ${plan.alreadyExcluded.length > 0 ? html`<p class="muted">Already have it: ${plan.alreadyExcluded.join(', ')}.</p>` : ''}
          ${postButton(`${base}/connect`, s.csrf, 'Connect Zendesk')}
        </section>
        <section class="card" aria-labelledby="zr-h">
          <h2 id="zr-h">Remove: what it undoes</h2>
          ${
            others.length > 0
              ? html`<p>
                  Nothing is removed: the account is still used by ${others.join(', ')}. Remove it there too first.
                </p>`
              : html`<ul>
                    <li>
                      Parley’s trigger deleted (${removal.deleteTriggers} found) and its webhook deleted
                      (${removal.deleteWebhooks} found).
                    </li>
                  </ul>
                  <h3>Triggers whose <code>tags not include parley</code> condition is taken out</h3>
                  ${list(removal.restore, 'None.')}
                  ${postButton(`${base}/remove`, s.csrf, 'Remove Zendesk', { kind: 'danger' })}`
          }
        </section>`;
    } catch (err) {
      body = html`<div class="notice error" role="alert">
        <p>${checkSentence(fromError('zendesk', err), 'Zendesk')}</p>
      </div>`;
    }
    await page(res, `Zendesk · ${appLabel(app)}`, body, 'apps');
  });

  router.post('/apps/:appId/zendesk/connect', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const { client, url, publicUrl: callback } = zendeskOf(app);
    try {
      const connection = await connectZendesk(client, callback);
      deps.zendeskSecrets.set(url, connection.signingSecret);
      sessions.flash(s, {
        kind: 'ok',
        text: `Zendesk connected: webhook ${connection.webhookId}, trigger ${connection.triggerId}. ${connection.excludedFrom.length > 0 ? `"tags not include parley" added to: ${connection.excludedFrom.join(', ')}.` : 'No requester trigger needed the condition.'}`,
      });
    } catch (err) {
      sessions.flash(s, {
        kind: 'error',
        text: `Zendesk not connected. ${checkSentence(fromError('zendesk', err), 'Zendesk')}`,
      });
    }
    seeOther(res, `/admin/apps/${encodeURIComponent(app.id)}#integration-zendesk`);
  });

  router.post('/apps/:appId/zendesk/remove', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const { client, url, publicUrl: callback } = zendeskOf(app);
    const others = sharedWith(app);
    if (others.length > 0) {
      sessions.flash(s, {
        kind: 'info',
        text: `Zendesk not removed: the account is still used by ${others.join(', ')}.`,
      });
    } else {
      try {
        const { restored } = await removeZendesk(client, callback);
        deps.zendeskSecrets.delete(url);
        sessions.flash(s, {
          kind: 'ok',
          text: `Zendesk removed: trigger and webhook deleted${restored.length > 0 ? `; restored ${restored.join(', ')}` : ''}.`,
        });
      } catch (err) {
        sessions.flash(s, {
          kind: 'error',
          text: `Zendesk not removed. ${checkSentence(fromError('zendesk', err), 'Zendesk')}`,
        });
      }
    }
    seeOther(res, `/admin/apps/${encodeURIComponent(app.id)}#integration-zendesk`);
  });

  // ── Conversations ──────────────────────────────────────────────────────────────────────────────────
  const conversationHref = (appId: string, userId: string): string =>
    `/admin/conversations/${encodeURIComponent(appId)}/${encodeURIComponent(userId)}`;
  const temporalUiHref = (workflowId: string): string =>
    `${uiBase}/namespaces/${encodeURIComponent(namespace())}/workflows/${encodeURIComponent(workflowId)}`;

  router.get('/conversations', async (req, res) => {
    const input: SearchInput = {};
    for (const f of ['app', ...SEARCH_FIELDS.map((x) => x.field)] as const) {
      const v = queryString(req, f);
      if (v !== undefined) input[f] = v;
    }
    const searched = Object.values(input).some((v) => v && v.trim());
    let results: SafeHtml = html``;
    let status = 200;
    if (searched) {
      try {
        const query = buildConversationQuery(
          input,
          config.apps.map((a) => a.id),
        );
        const found: {
          workflowId: string;
          app: string;
          user: string;
          status: string;
          name?: string;
          integrations: string[];
          assignee?: string;
        }[] = [];
        for await (const w of temporal.workflow.list({ query, pageSize: SEARCH_LIMIT })) {
          const sa = w.searchAttributes;
          const memo = w.memo ?? {};
          const assignee = keyword(sa, 'ParleyAssignee');
          found.push({
            workflowId: w.workflowId,
            app: keyword(sa, 'ParleyApp'),
            user: keyword(sa, 'ParleyUser'),
            status: keyword(sa, 'ParleyStatus'),
            integrations: keywords(sa, 'ParleyIntegrations'),
            ...(typeof memo.displayName === 'string' ? { name: memo.displayName } : {}),
            ...(assignee ? { assignee } : {}),
          });
          if (found.length >= SEARCH_LIMIT) break;
        }
        results = html`<h2 id="results-h">Results</h2>
          <p role="status">
            ${found.length === 0 ? 'No conversation matches.' : `${found.length}${found.length >= SEARCH_LIMIT ? '+ (narrow the search)' : ''} conversation${found.length === 1 ? '' : 's'} found.`}
          </p>
          ${
            found.length > 0
              ? html`<div class="table-wrap">
                  <table aria-labelledby="results-h">
                    <thead>
                      <tr>
                        <th scope="col">User</th>
                        <th scope="col">App</th>
                        <th scope="col">Status</th>
                        <th scope="col">Integrations</th>
                        <th scope="col">Assignee</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${found.map(
                        (f) =>
                          html`<tr>
                            <td>
                              <a href="${conversationHref(f.app, f.user)}"
                                >${f.name ? `${f.name} (${f.user})` : f.user}</a
                              >
                            </td>
                            <td>${f.app}</td>
                            <td>${stateBadge(f.status || 'unknown')}</td>
                            <td>${f.integrations.join(', ')}</td>
                            <td>${f.assignee ?? ''}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>`
              : ''
          }`;
      } catch (err) {
        status = 400;
        const why =
          err instanceof SearchInputError
            ? err.message
            : `Temporal refused the search: ${plain((err as Error).message, 300)}`;
        results = html`<div class="notice error" role="alert"><p>${why}</p></div>`;
      }
    }
    const field = (name: string, label: string, control: SafeHtml): SafeHtml =>
      html`<div><label for="q-${name}">${label}</label>${control}</div>`;
    const text = (name: keyof SearchInput, label: string): SafeHtml =>
      field(
        name,
        label,
        html`<input type="search" id="q-${name}" name="${name}" value="${input[name] ?? ''}" maxlength="200" />`,
      );
    const select = (name: keyof SearchInput, label: string, options: [string, string][]): SafeHtml =>
      field(
        name,
        label,
        html`<select id="q-${name}" name="${name}">
          <option value="">Any</option>
          ${options.map(([v, l]) => html`<option value="${v}" ${input[name] === v ? html`selected` : ''}>${l}</option>`)}
        </select>`,
      );
    await page(
      res,
      'Conversations',
      html`<form method="get" action="/admin/conversations" role="search" aria-label="Conversations">
          <div class="grid">
            ${select(
              'app',
              'App',
              config.apps.map((a) => [a.id, appLabel(a)]),
            )}
            ${text('user', 'User id')}
            ${select('status', 'Status', [
              ['active', 'active'],
              ['archived', 'archived'],
            ])}
            ${select('integration', 'Integration', [...INTEGRATIONS.map((n): [string, string] => [n, INTEGRATION_LABELS[n]])])}
            ${text('slackChannel', 'Slack channel id')} ${text('zendeskTicket', 'Zendesk ticket')}
            ${text('helpscoutConversation', 'Help Scout conversation')} ${text('assignee', 'Assignee')}
          </div>
          <div class="actions">
            <button type="submit">Search</button> <a class="button secondary" href="/admin/conversations">Clear</a>
          </div>
        </form>
        ${results}`,
      'conversations',
      status,
    );
  });

  function userOf(app: AppConfig, value: unknown): string {
    const parsed = userIdParam.safeParse(value);
    if (!parsed.success) throw new HttpError(400, 'invalid_user_id', 'not a user id');
    checkUserIdBytes(app.id, parsed.data);
    return parsed.data;
  }

  router.get('/conversations/:appId/:userId', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const userId = userOf(app, req.params.userId);
    const state: ConversationState = await queryConversation(temporal, app.id, userId);
    const workflowId = conversationWorkflowId(app.id, userId);
    const action = conversationHref(app.id, userId);
    const boxes = Object.values(state.outboxes);
    const paused = boxes.filter((b) => b.status === 'faulted' || b.status === 'rate_limited');
    const messages = state.messages.slice(-MESSAGES_SHOWN);
    const rows: [string, HtmlValue][] = [
      ['App', appLabel(app)],
      ['User id', userId],
      ['Status', stateBadge(state.status)],
      // Who is in control (human takeover) and who handles it (Slack for teams).
      [
        'In control',
        state.control?.current === 'bot'
          ? `the app's bot${state.control.reason ? ` (${state.control.reason})` : ''}`
          : 'the team',
      ],
      [
        'Assignment',
        state.assignment
          ? `${state.assignment.status}${state.assignment.assignee ? `: ${state.assignment.assignee.name} (${state.assignment.assignee.source} ${state.assignment.assignee.id})` : ''}`
          : 'nobody yet',
      ],
      ['Started', state.createdAt],
      ['Last activity', state.updatedAt],
      ['Messages from the user', String(state.totalMessages)],
      ['Integrations', state.integrations.join(', ') || 'none'],
      ...Object.entries(state.refs).map(([k, v]): [string, HtmlValue] => [k, v]),
    ];
    await page(
      res,
      `Conversation with ${userLabel(state.profile, userId)}`,
      html`${facts(rows)}
        <div class="actions">
          <a class="button secondary" href="${safeUrl(temporalUiHref(workflowId))}">History in the Temporal UI</a>
          ${state.status === 'active' ? postButton(`${action}/archive`, s.csrf, 'Archive', { kind: 'secondary' }) : ''}
          ${paused.length > 1 ? postButton(`${action}/resume`, s.csrf, `Resume all ${paused.length} paused outboxes`) : ''}
        </div>
        <h2>Outboxes</h2>
        ${boxes.length === 0 ? html`<p class="muted">No outbox yet.</p>` : ''}
        ${boxes.map((b) =>
          outboxSection(
            b,
            b.status === 'faulted' || b.status === 'rate_limited'
              ? postButton(`${action}/resume`, s.csrf, `Resume ${b.key}`, { hidden: { outbox: b.key } })
              : undefined,
          ),
        )}
        <h2>Recent messages</h2>
        <p class="muted">The last ${messages.length} of the window (${state.messages.length} kept).</p>
        <ol class="plain">
          ${messages.map((m) => messageItem(m, speaker(m, state.profile, userId)))}
        </ol>`,
      'conversations',
    );
  });

  router.post('/conversations/:appId/:userId/resume', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const userId = userOf(app, req.params.userId);
    const outbox = formString(req, 'outbox', 2100) || undefined;
    await resumeOutboxes(temporal, app.id, userId, outbox);
    sessions.flash(s, {
      kind: 'ok',
      text: `Resume sent to ${outbox ? `the ${outbox} outbox` : 'every paused outbox'}: it tries again now.`,
    });
    seeOther(res, conversationHref(app.id, userId));
  });

  router.post('/conversations/:appId/:userId/archive', async (req, res) => {
    const s = session(res);
    const { app } = appOf(req.params.appId);
    const userId = userOf(app, req.params.userId);
    await archiveConversation(temporal, app.id, userId, 'admin');
    sessions.flash(s, { kind: 'ok', text: 'Archived. The next message from the user reopens the conversation.' });
    seeOther(res, conversationHref(app.id, userId));
  });

  // ── Health at a glance ─────────────────────────────────────────────────────────────────────────────
  let pausedCache: { at: number; value: Promise<PausedScan> } | undefined;
  interface PausedScan {
    scanned: number;
    more: boolean;
    paused: { app: string; user: string; key: string; status: string; reason: string }[];
  }
  async function scanPaused(): Promise<PausedScan> {
    const apps = config.apps.map((a) => a.id);
    const query = buildConversationQuery({}, apps);
    const ids: { app: string; user: string }[] = [];
    let more = false;
    for await (const w of temporal.workflow.list({ query, pageSize: HEALTH_SCAN })) {
      if (ids.length >= HEALTH_SCAN) {
        more = true;
        break;
      }
      ids.push({ app: keyword(w.searchAttributes, 'ParleyApp'), user: keyword(w.searchAttributes, 'ParleyUser') });
    }
    const paused: PausedScan['paused'] = [];
    // A few queries at a time: a page view must not flood the workers.
    for (let i = 0; i < ids.length; i += 8) {
      const states = await Promise.allSettled(
        ids.slice(i, i + 8).map((c) => queryConversation(temporal, c.app, c.user, 3000)),
      );
      states.forEach((r, j) => {
        const c = ids[i + j];
        if (r.status !== 'fulfilled' || !c) return;
        for (const b of Object.values(r.value.outboxes))
          if (b.status === 'faulted' || b.status === 'rate_limited')
            paused.push({
              ...c,
              key: b.key,
              status: b.status,
              reason: b.fault
                ? `${b.fault.type}: ${b.fault.message}`
                : b.holdUntil
                  ? `held until ${new Date(b.holdUntil).toISOString()}`
                  : '',
            });
      });
    }
    return { scanned: ids.length, more, paused };
  }

  router.get('/health', async (_req, res) => {
    if (!pausedCache || now() - pausedCache.at > HEALTH_CACHE_MS) pausedCache = { at: now(), value: scanPaused() };
    const scan = pausedCache.value;
    const [window, r] = await Promise.all([recent.lastHour(), readiness()]);
    let pausedView: SafeHtml;
    try {
      const p = await scan;
      const byIntegration = new Map<string, number>();
      for (const x of p.paused)
        byIntegration.set(x.key.split(':')[0] ?? x.key, (byIntegration.get(x.key.split(':')[0] ?? x.key) ?? 0) + 1);
      pausedView = html`<p class="muted">
          Read from the ${p.scanned} most recent running
          conversation${p.scanned === 1 ? '' : 's'}${p.more ? ' (there are more)' : ''}.
        </p>
        ${
          p.paused.length === 0
            ? html`<p>No outbox is paused.</p>`
            : html`<div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Conversation</th>
                      <th scope="col">Outbox</th>
                      <th scope="col">State</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${p.paused.map(
                      (x) =>
                        html`<tr>
                          <td><a href="${conversationHref(x.app, x.user)}">${x.app} / ${x.user}</a></td>
                          <td>${x.key}</td>
                          <td>${stateBadge(x.status)}</td>
                          <td>${x.reason}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }`;
      const names = new Set([...Object.keys(window.counts), ...byIntegration.keys()]);
      const since = new Date(window.since).toISOString();
      const countsView = html`<div class="table-wrap">
        <table>
          <caption class="muted">
            ${window.fullHour ? 'The last hour' : `Since ${since}, when this process started (less than an hour ago)`},
            from Parley’s metrics (this process).
          </caption>
          <thead>
            <tr>
              <th scope="col">Integration</th>
              <th scope="col">Relayed</th>
              <th scope="col">Failed sends</th>
              <th scope="col">Outboxes paused</th>
            </tr>
          </thead>
          <tbody>
            ${[...names].sort().map((n) => {
              const c = window.counts[n] ?? { relayed: 0, failed: 0 };
              return html`<tr>
                <th scope="row">${n}</th>
                <td>${String(c.relayed)}</td>
                <td>${String(c.failed)}</td>
                <td>${String(byIntegration.get(n) ?? 0)}</td>
              </tr>`;
            })}${
              names.size === 0
                ? html`<tr>
                    <td colspan="4">Nothing relayed yet.</td>
                  </tr>`
                : ''
            }
          </tbody>
        </table>
      </div>`;
      pausedView = html`<h2>Relayed and failed</h2>
        ${countsView}
        <h2>Paused outboxes</h2>
        ${pausedView}`;
    } catch (err) {
      pausedView = html`<div class="notice error" role="alert">
        <p>Conversations could not be read: ${plain((err as Error).message, 300)}</p>
      </div>`;
    }
    await page(
      res,
      'Health',
      html`<h2>Readiness</h2>
        ${facts(Object.entries(r.checks).map(([k, c]): [string, HtmlValue] => [k, html`${stateBadge(c.ok ? 'ok' : 'failing')} ${c.detail ?? ''}`]))}
        ${pausedView}`,
      'health',
    );
  });

  // ── Errors as pages ───────────────────────────────────────────────────────────────────────────────
  const errors: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = err instanceof HttpError ? err : undefined;
    const parser = err as { type?: string; status?: number };
    const status = e?.status ?? (typeof parser.status === 'number' && parser.status < 500 ? parser.status : 500);
    const message = e?.message ?? (status < 500 ? 'bad request' : 'internal error');
    if (status >= 500) deps.log.error({ err, method: req.method, path: req.path }, 'admin console request failed');
    void page(
      res,
      status === 403
        ? 'Refused'
        : status === 404
          ? 'Not found'
          : status === 401
            ? 'Signed out'
            : 'Something went wrong',
      html`<p>${e?.code ? html`<code>${e.code}</code>: ` : ''}${message}</p>
        <p><a href="${(res.locals as Locals).adminSession ? '/admin/apps' : '/admin/login'}">Back</a></p>`,
      undefined,
      status,
    ).catch(next);
  };
  router.use((req) => {
    throw new HttpError(404, 'not_found', `no page ${req.path}`);
  });
  router.use(errors);

  return { router, sessions, isAdminSession: (req) => sessions.isAdminSession(req), stop: () => recent.stop() };
}
