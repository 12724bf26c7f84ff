/**
 * Zendesk Support API over fetch (Basic `email/token`). Plain fetch rather than node-zendesk: Parley needs a
 * per-request `Idempotency-Key`, the status of every error, and both kinds of 429 (JSON for the account limit,
 * plain text for the per-ticket update limit) raised as rate limits — node-zendesk's per-client headers and its
 * habit of returning some `Retry-After` answers as results make that harder to get right than these few lines.
 */
import { IntegrationError, parseRetryAfter, rateLimited } from '../../common/errors';

export interface ZendeskConfig {
  url: string;
  email: string;
  apiToken: string;
  updatesPerTenMinutes: number;
}

export interface ZendeskResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export function createZendeskClient(
  config: Pick<ZendeskConfig, 'url' | 'email' | 'apiToken'>,
  doFetch: typeof fetch = fetch,
) {
  const base = `${config.url.replace(/\/$/, '')}/api/v2/`;
  const auth = `Basic ${Buffer.from(`${config.email}/token:${config.apiToken}`).toString('base64')}`;

  async function request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {},
  ): Promise<ZendeskResponse> {
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          authorization: auth,
          accept: 'application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new IntegrationError('zendesk_unavailable', `Zendesk unreachable: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // Plain text: the per-ticket limit's 429, an HTML error page.
    }
    if (res.ok) return { status: res.status, headers: res.headers, body };
    const detail = (typeof body === 'string' ? body : JSON.stringify(body ?? '')).slice(0, 300);
    if (res.status === 429) throw rateLimited('zendesk', parseRetryAfter(res.headers.get('retry-after')) ?? 60_000);
    if (res.status === 401 || res.status === 403) {
      throw new IntegrationError('zendesk_auth_failed', `Zendesk refused the API token (${res.status})`, {
        retryable: false,
      });
    }
    if (res.status === 404)
      throw new IntegrationError('zendesk_not_found', `Zendesk has no ${path}`, { retryable: false });
    if (res.status === 422)
      throw new IntegrationError('zendesk_unprocessable', `Zendesk refused ${method} ${path}: ${detail}`, {
        retryable: false,
      });
    if (res.status >= 400 && res.status < 500) {
      throw new IntegrationError('zendesk_invalid', `Zendesk refused ${method} ${path} (${res.status}): ${detail}`, {
        retryable: false,
      });
    }
    throw new IntegrationError('zendesk_unavailable', `Zendesk answered ${res.status} to ${method} ${path}`, {
      retryable: true,
    });
  }

  return { request };
}

export type ZendeskClient = ReturnType<typeof createZendeskClient>;
