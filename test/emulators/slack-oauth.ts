/**
 * Slack's OAuth v2 side for the emulator (test/emulators/slack.ts wires it in): the authorize page, `oauth.v2.access`
 * for both grants, expiring tokens with token rotation, revoked refresh tokens, and an uninstall. Written from Slack's
 * documentation, not from Parley's code:
 * - docs.slack.dev/authentication/installing-with-oauth: `GET /oauth/v2/authorize?client_id&scope&user_scope&state&
 *   redirect_uri&team`; after Allow, Slack redirects to the redirect URL with `code` and `state`; Cancel redirects
 *   with `error=access_denied` and `state`. The `incoming-webhook` scope makes the installer pick a channel.
 * - docs.slack.dev/reference/methods/oauth.v2.access: `client_id`, `client_secret` (form fields or HTTP Basic),
 *   `code`, `redirect_uri`, `grant_type` (`authorization_code` | `refresh_token`), `refresh_token`; errors
 *   `invalid_client_id`, `bad_client_secret`, `invalid_code`, `code_already_used`, `bad_redirect_uri`,
 *   `invalid_grant_type`, `invalid_refresh_token`; the answer carries `app_id`, `authed_user`, `scope`,
 *   `token_type: bot`, `access_token`, `bot_user_id`, `team`, `enterprise`, `is_enterprise_install`,
 *   `incoming_webhook {channel, channel_id, configuration_url, url}`.
 * - docs.slack.dev/authentication/using-token-rotation: with rotation on, access tokens (`xoxe.xoxb-…`) expire after
 *   `expires_in` seconds (43,200 on Slack) and come with a refresh token (`xoxe-…`); a refresh answers a new access
 *   token and a new refresh token, and the used refresh token is revoked. An expired token answers `token_expired`.
 * - docs.slack.dev/reference/events/app_uninstalled and tokens_revoked (`tokens: {oauth: [user ids], bot: [user ids]}`).
 * - Every Web API answer carries `x-oauth-scopes`, the scopes the calling token has (docs.slack.dev/authentication/
 *   tokens, "Checking scopes").
 */
import crypto from 'node:crypto';
import type http from 'node:http';

export interface SlackOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** Redirect URLs set in the app's "OAuth & Permissions"; the authorize page refuses any other. Empty: any. */
  redirectUrls?: string[];
  /** Token rotation: access tokens expire after this many seconds (Slack: 43,200). Off when unset. */
  tokenLifetimeSeconds?: number;
}

/** What the installer does on the next visit of the authorize page. */
export interface InstallChoice {
  /** The channel picked for the incoming webhook (a name without `#`); default `general`. */
  channel?: string;
  /** Who clicks Allow (the installer, `authed_user.id`). */
  userId?: string;
  /** Cancel instead of Allow. */
  deny?: boolean;
}

export interface IssuedToken {
  token: string;
  kind: 'access' | 'refresh';
  issuedAt: number;
  expiresAt?: number;
  state: 'active' | 'used' | 'revoked';
  scopes: string[];
}

/** What the authorize page needs of the workspace it runs in. */
export interface OAuthWorkspace {
  baseUrl(): string;
  teamId: string;
  teamName: string;
  apiAppId: string;
  botUserId: string;
  channelIdByName(name: string): string | undefined;
  /** The installer: a member of the workspace (`authed_user.id`). */
  defaultInstaller(): string;
}

export interface SlackOAuth {
  readonly options: SlackOAuthOptions;
  /** Sets what the next visit of the authorize page does (otherwise: Allow, #general, the workspace's owner). */
  nextInstall(choice: InstallChoice): void;
  /** Every token issued so far, oldest first. */
  issued(): IssuedToken[];
  /** Refresh grants answered with new tokens. */
  refreshCount(): number;
  /** Completed `authorization_code` grants. */
  installCount(): number;
  /** Every refresh token still usable is revoked: the next refresh answers `invalid_refresh_token`. */
  revokeRefreshTokens(): void;
  /** Every token of the app is revoked (an uninstall); the caller sends the events. */
  revokeAll(): void;
  /** The state of a token Slack issued here; undefined for a token this module never issued. */
  tokenState(token: string, now?: number): 'active' | 'expired' | 'revoked' | undefined;
  scopesOf(token: string): string[] | undefined;
  handleAuthorize(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** `oauth.v2.access`: the answer's body (ok or not). */
  access(args: Record<string, unknown>, authorization: string | undefined): Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function createSlackOAuth(options: SlackOAuthOptions, workspace: OAuthWorkspace): SlackOAuth {
  const tokens = new Map<string, IssuedToken>();
  const codes = new Map<
    string,
    { scopes: string[]; redirectUri?: string; userId: string; channel: string; used: boolean; at: number }
  >();
  let next: InstallChoice = {};
  let refreshes = 0;
  let installs = 0;

  const rand = (n: number): string => crypto.randomBytes(n).toString('hex');
  const issue = (kind: IssuedToken['kind'], scopes: string[]): IssuedToken => {
    const rotating = options.tokenLifetimeSeconds !== undefined;
    const token =
      kind === 'refresh'
        ? `xoxe-1-${rand(16)}`
        : rotating
          ? `xoxe.xoxb-1-${rand(16)}`
          : `xoxb-${workspace.teamId}-${rand(12)}`;
    const now = Date.now();
    const entry: IssuedToken = { token, kind, issuedAt: now, state: 'active', scopes };
    if (rotating && kind === 'access') entry.expiresAt = now + (options.tokenLifetimeSeconds ?? 0) * 1000;
    tokens.set(token, entry);
    return entry;
  };

  /** The bot's access token (and, with rotation, a refresh token), as `oauth.v2.access` answers them. */
  const tokenFields = (scopes: string[]): Record<string, unknown> => {
    const access = issue('access', scopes);
    const fields: Record<string, unknown> = { access_token: access.token };
    if (options.tokenLifetimeSeconds !== undefined) {
      fields.refresh_token = issue('refresh', scopes).token;
      fields.expires_in = options.tokenLifetimeSeconds;
    }
    return fields;
  };

  const clientOf = (args: Record<string, unknown>, authorization: string | undefined) => {
    // HTTP Basic (client_id:client_secret) is preferred by Slack; form fields work too.
    const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '')?.[1];
    if (basic) {
      const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      return { id, secret };
    }
    return { id: str(args.client_id), secret: str(args.client_secret) };
  };

  const common = () => ({
    app_id: workspace.apiAppId,
    token_type: 'bot',
    bot_user_id: workspace.botUserId,
    team: { id: workspace.teamId, name: workspace.teamName },
    enterprise: null,
    is_enterprise_install: false,
  });

  return {
    options,
    nextInstall(choice) {
      next = choice;
    },
    issued: () => [...tokens.values()],
    refreshCount: () => refreshes,
    installCount: () => installs,
    revokeRefreshTokens() {
      for (const t of tokens.values()) if (t.kind === 'refresh' && t.state === 'active') t.state = 'revoked';
    },
    revokeAll() {
      for (const t of tokens.values()) if (t.state === 'active') t.state = 'revoked';
    },
    tokenState(token, now = Date.now()) {
      const t = tokens.get(token);
      if (!t || t.kind !== 'access') return undefined;
      if (t.state !== 'active') return 'revoked';
      return t.expiresAt !== undefined && now >= t.expiresAt ? 'expired' : 'active';
    },
    scopesOf: (token) => tokens.get(token)?.scopes,

    handleAuthorize(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const q = url.searchParams;
      const page = (status: number, text: string): void => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><title>Slack</title><p>${text}</p>`);
      };
      if (req.method !== 'GET') return page(405, 'Method not allowed');
      // Slack's own error pages: the installer never gets back to the app.
      if (q.get('client_id') !== options.clientId) return page(400, 'Invalid client_id parameter');
      const scopes = (q.get('scope') ?? '').split(',').filter(Boolean);
      if (scopes.length === 0 && !q.get('user_scope')) return page(400, 'Invalid permissions requested');
      const redirect = q.get('redirect_uri') ?? options.redirectUrls?.[0];
      if (!redirect) return page(400, 'No redirect URL was configured for this app');
      const allowed = options.redirectUrls ?? [];
      if (allowed.length > 0 && !allowed.some((a) => redirect.startsWith(a)))
        return page(400, 'redirect_uri did not match any configured URIs');
      const team = q.get('team');
      if (team && team !== workspace.teamId) return page(400, 'This app cannot be installed in that workspace');

      const choice = next;
      next = {};
      const back = new URL(redirect);
      const state = q.get('state');
      if (choice.deny) {
        back.searchParams.set('error', 'access_denied');
      } else {
        const code = `${workspace.teamId}.${rand(12)}`;
        codes.set(code, {
          scopes,
          ...(q.get('redirect_uri') ? { redirectUri: redirect } : {}),
          userId: choice.userId ?? workspace.defaultInstaller(),
          channel: choice.channel ?? 'general',
          used: false,
          at: Date.now(),
        });
        back.searchParams.set('code', code);
      }
      if (state !== null) back.searchParams.set('state', state);
      res.writeHead(302, { location: back.toString() });
      res.end();
    },

    access(args, authorization) {
      const client = clientOf(args, authorization);
      if (client.id !== options.clientId) return { ok: false, error: 'invalid_client_id' };
      if (client.secret !== options.clientSecret) return { ok: false, error: 'bad_client_secret' };
      const grant = str(args.grant_type) ?? 'authorization_code';
      if (grant === 'refresh_token') {
        const presented = tokens.get(str(args.refresh_token) ?? '');
        if (!presented || presented.kind !== 'refresh' || presented.state !== 'active')
          return { ok: false, error: 'invalid_refresh_token' };
        // A refresh token is good once: the next refresh needs the new one.
        presented.state = 'used';
        refreshes += 1;
        return { ok: true, ...common(), scope: presented.scopes.join(','), ...tokenFields(presented.scopes) };
      }
      if (grant !== 'authorization_code') return { ok: false, error: 'invalid_grant_type' };
      const code = codes.get(str(args.code) ?? '');
      if (!code || Date.now() - code.at > 600_000) return { ok: false, error: 'invalid_code' };
      if (code.used) return { ok: false, error: 'code_already_used' };
      if (code.redirectUri !== undefined && str(args.redirect_uri) !== code.redirectUri)
        return { ok: false, error: 'bad_redirect_uri' };
      code.used = true;
      installs += 1;
      const botScopes = code.scopes;
      const answer: Record<string, unknown> = {
        ok: true,
        ...common(),
        authed_user: { id: code.userId },
        scope: botScopes.join(','),
        ...tokenFields(botScopes),
      };
      if (botScopes.includes('incoming-webhook')) {
        const channelId = workspace.channelIdByName(code.channel);
        answer.incoming_webhook = {
          channel: `#${code.channel}`,
          channel_id: channelId,
          configuration_url: `${workspace.baseUrl()}/services/${workspace.teamId}/config`,
          url: `${workspace.baseUrl()}/services/${workspace.teamId}/B${rand(4).toUpperCase()}/${rand(12)}`,
        };
      }
      return answer;
    },
  };
}
