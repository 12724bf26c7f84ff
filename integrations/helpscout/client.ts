/**
 * Help Scout's Mailbox API 2.0 over fetch: OAuth2 client credentials (refreshed before expiry and on a 401),
 * non-2xx answers mapped by the shared `httpStatusError`, rate limits (`X-RateLimit-Retry-After`) surfaced for
 * the outbox.
 */
import { z } from 'zod';
import { httpStatusError, rateLimited } from '../../common/errors';
import { tokenKey, type HelpScoutCache } from './cache';
import { helpScoutError, type HelpScoutError } from './errors';

export interface HelpScoutConfig {
  clientId: string;
  clientSecret: string;
  mailbox: string | number;
  apiUrl: string;
}

export interface HelpScoutResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface HelpScoutClientOptions {
  /** Tokens (and, for `resolveMailboxId`, mailbox ids) shared by every client in this process. */
  cache: HelpScoutCache;
  fetch?: typeof fetch;
  /** The clock tokens expire by, in ms since the epoch; tests pass their own. */
  now?: () => number;
}

const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

/** A token is refreshed this long before it lapses, so no call goes out with one about to expire. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

/** Help Scout's wait on a 429: `X-RateLimit-Retry-After` (seconds), else `Retry-After`, else 10 s. */
export function retryAfterMs(headers: Headers): number {
  const seconds = Number(headers.get('x-ratelimit-retry-after') ?? headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
}

/** A non-2xx answer of the API (not the token endpoint) as Parley's error. */
export function helpScoutStatusError(
  res: { status: number; headers: Headers },
  method: string,
  path: string,
  detail: string,
): HelpScoutError {
  return httpStatusError('helpscout', 'Help Scout', {
    status: res.status,
    method,
    path,
    detail,
    retryAfterMs: retryAfterMs(res.headers),
  });
}

function parseBody(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return text;
  }
}

export function createHelpScoutClient(config: HelpScoutConfig, options: HelpScoutClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const base = config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`;
  const key = tokenKey(base, config.clientId);

  async function send(url: URL | string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw helpScoutError('helpscout_unavailable', `Help Scout unreachable: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
  }

  /** Exchanges the app credentials for a token; the token endpoint's refusals have their own codes. */
  async function grant(): Promise<string> {
    const res = await send(new URL('oauth2/token', base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: config.clientId,
        client_secret: config.clientSecret,
      }),
    });
    const text = await res.text();
    if (res.status === 429) throw rateLimited('helpscout', retryAfterMs(res.headers));
    if (res.status >= 500)
      throw helpScoutError('helpscout_unavailable', `Help Scout token endpoint answered ${res.status}`, {
        retryable: true,
      });
    if (!res.ok)
      throw helpScoutError('helpscout_auth_failed', `Help Scout refused the app credentials (${res.status})`, {
        retryable: false,
      });
    const parsed = tokenSchema.safeParse(parseBody(text || '{}'));
    if (!parsed.success)
      throw helpScoutError('helpscout_bad_answer', 'Help Scout sent no access token', { retryable: true });
    options.cache.tokens.set(key, {
      token: parsed.data.access_token,
      expiresAt: now() + parsed.data.expires_in * 1000,
    });
    return parsed.data.access_token;
  }

  /** The cached token while it has more than a minute left, else a new one; `force` always asks again. */
  async function token(force = false): Promise<string> {
    const cached = options.cache.tokens.get(key);
    if (!force && cached && cached.expiresAt - TOKEN_REFRESH_MARGIN_MS > now()) return cached.token;
    return grant();
  }

  async function request(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<HelpScoutResponse> {
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const init = (bearer: string): RequestInit => ({
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    let res = await send(url, init(await token()));
    // Revoked or expired early: one fresh token, then the answer stands.
    if (res.status === 401) res = await send(url, init(await token(true)));
    const text = await res.text();
    const body = parseBody(text);
    if (res.ok) return { status: res.status, headers: res.headers, body };
    const detail = (typeof body === 'object' && body !== null ? JSON.stringify(body) : text).slice(0, 300);
    throw helpScoutStatusError(res, method, path, detail);
  }

  /** The id a 201 names in `Resource-ID`. */
  function resourceId(res: HelpScoutResponse): number {
    const id = Number(res.headers.get('resource-id'));
    if (!Number.isInteger(id))
      throw helpScoutError('helpscout_bad_answer', 'Help Scout created something without a Resource-ID', {
        retryable: true,
      });
    return id;
  }

  return { request, resourceId, token };
}

export type HelpScoutClient = ReturnType<typeof createHelpScoutClient>;
