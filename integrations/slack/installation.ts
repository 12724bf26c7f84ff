/**
 * The token an app's Slack calls use now: its static `botToken`, or the bot token of its OAuth installation, read
 * from the installation workflow (sealed there) through a small bounded cache. A refresh in this process invalidates
 * the entry; other processes' entries live at most `ttlMs` (and never past the token's expiry), and the old token
 * still works until it expires, since the workflow refreshes well before. A `token_expired` answer re-reads.
 */
import type { WebClient } from '@slack/web-api';
import type { Sealer } from '../../common/seal';
import { createSlackClient } from './client';
import {
  findInstallationKey,
  readInstallation,
  type InstallationReader,
  type SlackInstallationState,
} from '../../common/slack-installation';
import { integrationError } from '../../common/errors';
import type { SlackErrorCode } from './errors';

/** The part of an app's config this needs. */
export interface SlackAppRef {
  id: string;
  slack: { botToken?: string | undefined; clientId?: string | undefined; dispatchChannel?: string | undefined };
}

export interface SlackCredentials {
  token: string;
  /** Where dispatch notices go: `dispatchChannel` from config, else the channel picked at install, else `general`. */
  dispatchChannel: string;
  source: 'static' | 'oauth';
  /** The installation (OAuth only). */
  installation?: SlackInstallationState;
}

export interface SlackCredentialSource {
  get(app: SlackAppRef): Promise<SlackCredentials>;
  /** Forget what is cached for the app, and for its workspace (a refresh here, an install, `token_expired`). */
  invalidate(appId: string, key?: string): void;
  /** The installation of a workspace (team or enterprise id), for routing inbound requests; cached like tokens. */
  byKey(key: string): Promise<SlackInstallationState | undefined>;
  /** The app's installation whatever its status (for the check), or undefined. */
  installationOf(appId: string): Promise<SlackInstallationState | undefined>;
  /** The newest token this process knows for the app (from a read, or a refresh it ran), synchronously. */
  newest(appId: string): string | undefined;
  /** A refresh in this process: its token is the newest at once, before any read. */
  rotated(appId: string, token: string, expiresAt: number): void;
}

export interface CredentialSourceDeps {
  temporal: InstallationReader;
  sealer: Sealer;
  ttlMs?: number;
  /** Entries kept at most (apps and workspaces); the oldest go first. */
  max?: number;
  now?: () => number;
}

/** The installation's dispatch channel: the config's, else the one picked at install, else `general`. */
export function dispatchChannelOf(
  slack: SlackAppRef['slack'],
  installation: Pick<SlackInstallationState, 'incomingWebhook'> | undefined,
): string {
  return slack.dispatchChannel ?? installation?.incomingWebhook?.channelId ?? 'general';
}

export function createSlackCredentialSource(deps: CredentialSourceDeps): SlackCredentialSource {
  const ttlMs = deps.ttlMs ?? 30_000;
  const max = deps.max ?? 1_000;
  const now = deps.now ?? Date.now;
  type Entry<T> = { value: Promise<T>; until: number };
  const byApp = new Map<string, Entry<SlackInstallationState | undefined>>();
  const byTeam = new Map<string, Entry<SlackInstallationState | undefined>>();
  /** The newest token per app: a later expiry wins, so a read that lags a refresh never brings an older one back. */
  const newestToken = new Map<string, { token: string; expiresAt: number }>();
  const remember = (appId: string, token: string, expiresAt: number): void => {
    const known = newestToken.get(appId);
    if (known && known.expiresAt > expiresAt) return;
    newestToken.delete(appId);
    newestToken.set(appId, { token, expiresAt });
    while (newestToken.size > max) newestToken.delete(newestToken.keys().next().value as string);
  };

  function cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>, until: (v: T) => number) {
    const hit = map.get(key);
    if (hit && hit.until > now()) return hit.value;
    map.delete(key);
    const value = load();
    const entry: Entry<T> = { value, until: now() + ttlMs };
    map.set(key, entry);
    while (map.size > max) map.delete(map.keys().next().value as string);
    value.then(
      (v) => {
        entry.until = Math.min(entry.until, until(v));
      },
      () => map.get(key) === entry && map.delete(key),
    );
    return value;
  }

  // A token is not served from cache in its last 10 seconds; a missing installation is asked again after 2.
  const validity = (s: SlackInstallationState | undefined): number =>
    s === undefined ? now() + 2_000 : s.expiresAt !== undefined ? s.expiresAt - 10_000 : Number.POSITIVE_INFINITY;

  async function installationOf(appId: string): Promise<SlackInstallationState | undefined> {
    const key = await findInstallationKey(deps.temporal, appId);
    return key === undefined ? undefined : readInstallation(deps.temporal, key);
  }

  return {
    async get(app) {
      if (!app.slack.clientId) {
        if (!app.slack.botToken) throw new Error(`app ${app.id}: slack has neither a botToken nor a clientId`);
        return {
          token: app.slack.botToken,
          dispatchChannel: dispatchChannelOf(app.slack, undefined),
          source: 'static',
        };
      }
      const installation = await cached(byApp, app.id, () => installationOf(app.id), validity);
      if (!installation || installation.status === 'pending' || !installation.token) {
        // Installed by hand before the OAuth settings were added: the static token goes on working.
        if (app.slack.botToken)
          return {
            token: app.slack.botToken,
            dispatchChannel: dispatchChannelOf(app.slack, undefined),
            source: 'static',
          };
        throw integrationError<SlackErrorCode>(
          'slack_not_installed',
          `app ${app.id} is not installed in a Slack workspace yet: open /slack/install?app=${app.id}`,
          { retryable: false },
        );
      }
      if (installation.status === 'needs_reinstall')
        throw integrationError<SlackErrorCode>(
          'slack_needs_reinstall',
          `the Slack installation of app ${app.id} needs a reinstall (${installation.reason ?? 'tokens refused'}): open /slack/install?app=${app.id}`,
          { retryable: false },
        );
      let token: string;
      try {
        token = deps.sealer.open(installation.token);
      } catch (err) {
        throw integrationError<SlackErrorCode>('slack_installation_unreadable', (err as Error).message, {
          retryable: false,
          cause: err,
        });
      }
      remember(app.id, token, installation.expiresAt ?? Number.POSITIVE_INFINITY);
      return {
        token: newestToken.get(app.id)?.token ?? token,
        dispatchChannel: dispatchChannelOf(app.slack, installation),
        source: 'oauth',
        installation,
      };
    },
    newest: (appId) => newestToken.get(appId)?.token,
    rotated(appId, token, expiresAt) {
      remember(appId, token, expiresAt);
      byApp.delete(appId);
    },
    invalidate(appId, key) {
      byApp.delete(appId);
      // A `token_expired` answer: the newest known token is no good any more.
      const known = newestToken.get(appId);
      if (known && known.expiresAt <= now()) newestToken.delete(appId);
      if (key !== undefined) byTeam.delete(key);
    },
    installationOf: (appId) => cached(byApp, appId, () => installationOf(appId), validity),
    byKey(key) {
      return cached(byTeam, key, () => readInstallation(deps.temporal, key), validity);
    },
  };
}

/**
 * A WebClient whose every call carries the newest token: each property read (`client.chat`, `client.conversations`)
 * goes to a client for `token()` at that moment, so a batch that outlives a token picks up its successor.
 */
export function createRotatingSlackClient(apiUrl: string, token: () => string): WebClient {
  let current: { token: string; client: WebClient } | undefined;
  const client = (): WebClient => {
    const now = token();
    if (current?.token !== now) current = { token: now, client: createSlackClient({ botToken: now, apiUrl }) };
    return current.client;
  };
  // A Proxy, not a copy: WebClient's method groups are built per instance, bound to its token.
  return new Proxy({} as WebClient, { get: (_target, prop) => Reflect.get(client(), prop) as unknown });
}
