/**
 * Help Scout's Mailbox API 2.0 over fetch: OAuth2 client credentials (refreshed before expiry and on a 401),
 * errors mapped to Parley's codes, rate limits (`X-RateLimit-Retry-After`) surfaced for the outbox.
 */
import { z } from 'zod';
import { IntegrationError, rateLimited } from '../../common/errors';

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

const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

/** Tokens per app credentials, shared by every call in this process. */
const tokens = new Map<string, { token: string; expiresAt: number }>();

export function createHelpScoutClient(config: HelpScoutConfig, doFetch: typeof fetch = fetch) {
  const base = config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`;
  const cacheKey = `${base}|${config.clientId}`;

  async function send(url: URL | string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new IntegrationError('helpscout_unavailable', `Help Scout unreachable: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
  }

  async function token(force = false): Promise<string> {
    const cached = tokens.get(cacheKey);
    // Refreshed a minute before it expires, so no call goes out with a token about to lapse.
    if (!force && cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
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
    if (res.status === 429) throw rateLimited('helpscout', retryAfter(res));
    if (res.status >= 500)
      throw new IntegrationError('helpscout_unavailable', `Help Scout token endpoint answered ${res.status}`, {
        retryable: true,
      });
    if (!res.ok)
      throw new IntegrationError('helpscout_auth_failed', `Help Scout refused the app credentials (${res.status})`, {
        retryable: false,
      });
    const parsed = tokenSchema.safeParse(JSON.parse(text || '{}'));
    if (!parsed.success)
      throw new IntegrationError('helpscout_bad_answer', 'Help Scout sent no access token', { retryable: true });
    tokens.set(cacheKey, { token: parsed.data.access_token, expiresAt: Date.now() + parsed.data.expires_in * 1000 });
    return parsed.data.access_token;
  }

  function retryAfter(res: Response): number {
    const seconds = Number(res.headers.get('x-ratelimit-retry-after') ?? res.headers.get('retry-after'));
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
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
    if (res.status === 401) res = await send(url, init(await token(true)));
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      body = text;
    }
    if (res.ok) return { status: res.status, headers: res.headers, body };
    const detail =
      typeof body === 'object' && body !== null ? JSON.stringify(body).slice(0, 300) : String(text).slice(0, 300);
    if (res.status === 429) throw rateLimited('helpscout', retryAfter(res));
    if (res.status === 401 || res.status === 403) {
      throw new IntegrationError('helpscout_auth_failed', `Help Scout answered ${res.status} to ${method} ${path}`, {
        retryable: false,
      });
    }
    if (res.status === 404)
      throw new IntegrationError('helpscout_not_found', `Help Scout has no ${path}`, { retryable: false });
    if (res.status >= 400 && res.status < 500) {
      throw new IntegrationError(
        'helpscout_invalid',
        `Help Scout refused ${method} ${path} (${res.status}): ${detail}`,
        { retryable: false },
      );
    }
    throw new IntegrationError('helpscout_unavailable', `Help Scout answered ${res.status} to ${method} ${path}`, {
      retryable: true,
    });
  }

  /** The id a 201 names in `Resource-ID`. */
  function resourceId(res: HelpScoutResponse): number {
    const id = Number(res.headers.get('resource-id'));
    if (!Number.isInteger(id))
      throw new IntegrationError('helpscout_bad_answer', 'Help Scout created something without a Resource-ID', {
        retryable: true,
      });
    return id;
  }

  return { request, resourceId, token };
}

export type HelpScoutClient = ReturnType<typeof createHelpScoutClient>;
