import { LogLevel, WebClient } from '@slack/web-api';
import type { SlackRouteConfig } from '../../common/config';

export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  dispatchChannel: string;
  installerUserId?: string | undefined;
  apiUrl: string;
  /** Create the `sk-` channels private (`conversations.create` with `is_private`). */
  privateChannels?: boolean | undefined;
  /** Who may `/sk`, Join and archive: Slack user ids (`U…`, `W…`) and user group ids (`S…`); everyone when unset. */
  agents?: readonly string[] | undefined;
  /** `channels` (a channel per user, the default) or `threads` (a thread per conversation in its route's channel). */
  mode?: 'channels' | 'threads' | undefined;
  /** Threads mode: an agent's thread reply starting with this is an internal note. */
  notePrefix?: string | undefined;
  /** Where conversations go, first match wins (integrations/slack/routes.ts). */
  routes?: readonly SlackRouteConfig[] | undefined;
}

/** A WebClient for one app, retries off (Temporal owns them) and rate limits surfaced as errors. */
export function createSlackClient(config: Pick<SlackConfig, 'botToken' | 'apiUrl'>): WebClient {
  return new WebClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
}
