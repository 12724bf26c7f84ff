/**
 * What Slack's OAuth v2 needs of Parley, without Temporal: the scopes Parley asks for, the signed `state` and the
 * signed install links (both bound to one app, expiring), the token refresh of token rotation, and the connection
 * check behind "Test connection". The install flow itself (URL building, code exchange) is @slack/oauth's
 * InstallProvider, wired in api/slack-install.ts with these stores.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { LogLevel, WebClient } from '@slack/web-api';
import { z } from 'zod';
import { IntegrationError, integrationError } from '../../common/errors';
import { slackErrorCode, toSlackIntegrationError, type SlackErrorCode } from './errors';
import { userText } from './format';

/**
 * The bot scopes Parley needs (slack-app-manifest.yaml lists the same, with why; a unit test keeps them equal), and
 * `incoming-webhook`, which makes the installer pick the dispatch channel on Slack's Allow screen.
 */
export const SLACK_BOT_SCOPES = [
  'channels:history',
  'channels:join',
  'channels:manage',
  'channels:read',
  'chat:write',
  'chat:write.customize',
  'commands',
  'files:read',
  'files:write',
  'groups:history',
  'groups:read',
  'groups:write',
  'reactions:read',
  'usergroups:read',
  'users:read',
  'users:read.email',
] as const;
export const SLACK_INSTALL_SCOPES: readonly string[] = [...SLACK_BOT_SCOPES, 'incoming-webhook'];

export interface SlackOAuthConfig {
  clientId: string;
  clientSecret: string;
  apiUrl: string;
}

// ── Signed tokens: the OAuth `state` and the install links ───────────────────────────────────────────
/** A key of its own for each use, derived from the app's client secret: a state is no install link, and back. */
function keyFor(clientSecret: string, use: 'state' | 'install-link'): Buffer {
  return Buffer.from(hkdfSync('sha256', clientSecret, 'parley-slack', use, 32));
}

export interface SignedClaims {
  /** The Parley app the token is bound to. */
  app: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Random: makes each token unique, and single-use where the verifier remembers it. */
  nonce: string;
  /** The OAuth state's redirect URI: the code exchange must name the same one. */
  redirectUri?: string;
}

/** `<base64url claims>.<base64url hmac>`. */
export function signClaims(clientSecret: string, use: 'state' | 'install-link', claims: SignedClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const mac = createHmac('sha256', keyFor(clientSecret, use)).update(body).digest('base64url');
  return `${body}.${mac}`;
}

/** The claims' app, read before the signature is checked (to know whose secret checks it); never trusted alone. */
export function unverifiedApp(token: string): string | undefined {
  if (token.length > 2048) return undefined;
  const [body] = token.split('.');
  try {
    const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8')) as Partial<SignedClaims>;
    return typeof claims.app === 'string' ? claims.app : undefined;
  } catch {
    return undefined;
  }
}

export type ClaimsRefusal = 'malformed' | 'bad_signature' | 'expired' | 'wrong_app';

export function verifyClaims(
  clientSecret: string,
  use: 'state' | 'install-link',
  token: string,
  expected: { app: string; nowMs: number },
): { ok: true; claims: SignedClaims } | { ok: false; reason: ClaimsRefusal } {
  if (token.length > 2048) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  const [body, mac] = parts;
  if (parts.length !== 2 || !body || !mac) return { ok: false, reason: 'malformed' };
  const want = createHmac('sha256', keyFor(clientSecret, use)).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'bad_signature' };
  let claims: SignedClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SignedClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    typeof claims.exp !== 'number' ||
    typeof claims.nonce !== 'string' ||
    (claims.redirectUri !== undefined && typeof claims.redirectUri !== 'string')
  )
    return { ok: false, reason: 'malformed' };
  if (claims.app !== expected.app) return { ok: false, reason: 'wrong_app' };
  if (claims.exp * 1000 <= expected.nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

export function newClaims(app: string, ttlSeconds: number, nowMs: number): SignedClaims {
  return { app, exp: Math.floor(nowMs / 1000) + ttlSeconds, nonce: randomBytes(12).toString('base64url') };
}

/** Nonces seen, each until its token expires, at most `max` (the oldest go first): what makes a token single-use. */
export function createNonceRegistry(max = 10_000) {
  const seen = new Map<string, number>();
  return {
    /** True the first time a nonce is presented (before it expires), false after. */
    use(nonce: string, expMs: number, nowMs: number): boolean {
      for (const [n, until] of seen) {
        if (until > nowMs && seen.size < max) break;
        seen.delete(n);
      }
      if (seen.has(nonce)) return false;
      seen.set(nonce, expMs);
      return true;
    },
  };
}

// ── Token rotation ──────────────────────────────────────────────────────────────────────────────────
function noTokenClient(apiUrl: string): WebClient {
  return new WebClient(undefined, {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
}

/** Refresh answers after which the refresh token is dead: passed on as `slack_<code>`, not retried. */
const FATAL_REFRESH_CODES = [
  'invalid_refresh_token',
  'token_revoked',
  'app_uninstalled',
  'invalid_auth',
  'account_inactive',
  'invalid_client_id',
  'bad_client_secret',
  'invalid_grant_type',
] as const;

export interface RefreshedTokens {
  token: string;
  refreshToken: string;
  expiresInSeconds: number;
  scopes: string[];
}

/** `oauth.v2.access` with `grant_type=refresh_token`: the new bot token and the new (single-use) refresh token. */
export async function refreshSlackToken(config: SlackOAuthConfig, refreshToken: string): Promise<RefreshedTokens> {
  let res;
  try {
    res = await noTokenClient(config.apiUrl).oauth.v2.access({
      client_id: config.clientId,
      client_secret: config.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
  } catch (err) {
    const code = slackErrorCode(err);
    const fatal = FATAL_REFRESH_CODES.find((c) => c === code);
    if (fatal)
      throw integrationError<SlackErrorCode>(`slack_${fatal}`, `Slack refused the token refresh: ${fatal}`, {
        retryable: false,
        cause: err,
      });
    const mapped = toSlackIntegrationError(err);
    // A refresh must not wait out a rate limit as an outbox does: it is retried by Temporal like any fault.
    if (mapped.code === 'slack_rate_limited') throw rateLimitedAsRetryable(mapped);
    throw mapped;
  }
  if (!res.access_token || !res.refresh_token || typeof res.expires_in !== 'number')
    throw integrationError<SlackErrorCode>('slack_bad_answer', 'oauth.v2.access answered no rotated token', {
      retryable: true,
    });
  return {
    token: res.access_token,
    refreshToken: res.refresh_token,
    expiresInSeconds: res.expires_in,
    scopes: (res.scope ?? '').split(',').filter(Boolean),
  };
}

function rateLimitedAsRetryable(err: IntegrationError): IntegrationError {
  return new IntegrationError('slack_unavailable', err.message, { retryable: true, cause: err });
}

// ── Test connection ─────────────────────────────────────────────────────────────────────────────────
export interface SlackConnectionReport {
  workspace: { id?: string; name?: string; url?: string; enterpriseId?: string };
  botUser: { id?: string; name?: string; botId?: string };
  scopes: { granted: string[]; missing: string[] };
  dispatchChannel: {
    name: string;
    id?: string;
    exists: boolean;
    archived?: boolean;
    isMember?: boolean;
    canPost: boolean;
    problem?: string;
  };
}

interface ChannelInfo {
  id?: string;
  name?: string;
  is_archived?: boolean;
  is_member?: boolean;
  is_private?: boolean;
}

async function findChannelByName(client: WebClient, name: string): Promise<ChannelInfo | undefined> {
  let cursor: string | undefined;
  // Bounded: 50 pages of 200 channels.
  for (let page = 0; page < 50; page++) {
    const res = await client.conversations.list({
      types: 'public_channel,private_channel',
      exclude_archived: false,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    const found: ChannelInfo | undefined = res.channels?.find((c) => c.name === name);
    if (found) return found;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

/**
 * `auth.test` with the current token (its `x-oauth-scopes` header says what was granted), and the dispatch channel:
 * does it exist, is it archived, can the bot post there (a member, or free to join a public channel).
 */
export async function checkSlackConnection(client: WebClient, dispatchChannel: string): Promise<SlackConnectionReport> {
  try {
    const auth = await client.auth.test();
    const granted = (auth.response_metadata?.scopes ?? []).slice().sort();
    // Slack names the token's scopes on every answer; without the header nothing can be said to be missing.
    const missing = granted.length === 0 ? [] : SLACK_BOT_SCOPES.filter((s) => !granted.includes(s));
    const bare = dispatchChannel.replace(/^#/, '');
    let channel: ChannelInfo | undefined;
    if (/^[CG][A-Z0-9]{6,}$/.test(bare)) {
      try {
        channel = (await client.conversations.info({ channel: bare })).channel;
      } catch (err) {
        if (slackErrorCode(err) !== 'channel_not_found') throw err;
      }
    } else {
      channel = await findChannelByName(client, bare);
    }
    const can = (scope: string): boolean => granted.length === 0 || granted.includes(scope);
    const report: SlackConnectionReport['dispatchChannel'] = {
      name: channel?.name ?? bare,
      exists: Boolean(channel),
      canPost: false,
    };
    if (channel) {
      if (channel.id) report.id = channel.id;
      report.archived = channel.is_archived === true;
      report.isMember = channel.is_member === true;
      const mayJoin = channel.is_private !== true && can('channels:join');
      report.canPost = !report.archived && can('chat:write') && (report.isMember || mayJoin);
      if (report.archived) report.problem = 'the channel is archived';
      else if (!report.canPost)
        report.problem = channel.is_private ? 'invite the bot to this private channel' : 'the bot may not post here';
    } else {
      report.problem = `no channel #${bare} the bot can see`;
    }
    return {
      workspace: {
        ...(auth.team_id ? { id: auth.team_id } : {}),
        ...(auth.team ? { name: auth.team } : {}),
        ...(auth.url ? { url: auth.url } : {}),
        ...(auth.enterprise_id ? { enterpriseId: auth.enterprise_id } : {}),
      },
      botUser: {
        ...(auth.user_id ? { id: auth.user_id } : {}),
        ...(auth.user ? { name: auth.user } : {}),
        ...(auth.bot_id ? { botId: auth.bot_id } : {}),
      },
      scopes: { granted, missing },
      dispatchChannel: report,
    };
  } catch (err) {
    throw toSlackIntegrationError(err);
  }
}

/** The dispatch channel's notice that Parley lost its tokens: what happened, that nothing is lost, what to do. */
export function reinstallNoticeText(
  appName: string,
  reason: string,
  publicUrl: string | undefined,
  appId: string,
): string {
  const where = publicUrl
    ? `${publicUrl.replace(/\/+$/, '')}/slack/install?app=${encodeURIComponent(appId)}`
    : `/slack/install?app=${encodeURIComponent(appId)}`;
  return (
    `:warning: Parley (${userText(appName)}) can no longer use its Slack tokens (${userText(reason)}). ` +
    `Messages from users are kept and will arrive here once an admin reinstalls the app: ${userText(where)}`
  );
}

// ── Lifecycle events ────────────────────────────────────────────────────────────────────────────────
/** `app_uninstalled` or `tokens_revoked` (docs.slack.dev/reference/events/…), as the installation needs them. */
export interface InstallationEvent {
  kind: 'app_uninstalled' | 'tokens_revoked';
  teamId?: string;
  enterpriseId?: string;
  /** `tokens_revoked`: the users whose bot tokens were revoked. */
  botUserIds: string[];
}

const lifecycleSchema = z.object({
  type: z.literal('event_callback'),
  team_id: z.string().max(32).optional(),
  enterprise_id: z.string().max(32).nullish(),
  event: z.object({
    type: z.enum(['app_uninstalled', 'tokens_revoked']),
    tokens: z.object({ bot: z.array(z.string().max(32)).max(1000).optional() }).optional(),
  }),
});

/** The lifecycle event in a verified Events API body, or undefined for any other event. */
export function installationEventOf(json: unknown): InstallationEvent | undefined {
  const parsed = lifecycleSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { team_id: teamId, enterprise_id: enterpriseId, event } = parsed.data;
  return {
    kind: event.type,
    ...(teamId ? { teamId } : {}),
    ...(enterpriseId ? { enterpriseId } : {}),
    botUserIds: event.tokens?.bot ?? [],
  };
}
