/**
 * What Help Scout calls in one process share: access tokens (one grant serves every call until it nears expiry)
 * and mailbox ids looked up by name. Built once per process (`createActivities` for the worker, `createApp` for
 * the API) and passed in, so nothing lives at module scope and a test builds a fresh one.
 */

export interface CachedToken {
  token: string;
  /** When Help Scout said it lapses, in ms since the epoch of the client's clock. */
  expiresAt: number;
}

export interface HelpScoutCache {
  /** By API URL and client id (`tokenKey`). */
  readonly tokens: Map<string, CachedToken>;
  /** By API URL, client id and configured mailbox name (`mailboxKey`). */
  readonly mailboxes: Map<string, number>;
}

export function createHelpScoutCache(): HelpScoutCache {
  return { tokens: new Map(), mailboxes: new Map() };
}

/** One token per Help Scout app (client id) and API, whichever Parley app uses it. */
export const tokenKey = (apiUrl: string, clientId: string): string => `${apiUrl}|${clientId}`;

/** One id per mailbox name as a Help Scout app sees it. */
export const mailboxKey = (apiUrl: string, clientId: string, mailbox: string | number): string =>
  `${apiUrl}|${clientId}|${mailbox}`;
