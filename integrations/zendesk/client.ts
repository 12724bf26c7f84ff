/**
 * The Zendesk Support API through node-zendesk (Basic `email/token`), on Parley's own transport: node-zendesk
 * builds the URLs, bodies and pages, and its `transportFn` is a `fetch` of Parley's that (1) reaches `config.url`
 * (the emulator in tests), (2) gives up after 10 s, (3) adds the headers of the call in progress (ticket creation's
 * `Idempotency-Key`, through AsyncLocalStorage, since node-zendesk's headers are per client), and (4) throws
 * Parley's error for every non-2xx, so node-zendesk (with `throwOriginalException`) never sees a failed answer:
 * it would otherwise hand back some `Retry-After` answers as results, and the plain-text per-ticket 429 is not JSON.
 * node-zendesk has no retries of its own, and its `throttle` stays off: Temporal retries, the outbox waits.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createClient } from 'node-zendesk';
import { z } from 'zod';
import { parseRetryAfter } from '../../common/errors';
import { zendeskHttpError, zendeskUnreachable } from './errors';

export interface ZendeskConfig {
  url: string;
  email: string;
  apiToken: string;
  updatesPerTenMinutes: number;
  /** Whether Zendesk may match an existing user by the profile's email (identity.ts). */
  trustUserEmail: boolean;
}

export const ZENDESK_TIMEOUT_MS = 10_000;

/**
 * What node-zendesk passes its `transportFn` besides the URL (its options, spread, carry more we ignore). The body
 * is its JSON; files go by `upload` below, not through node-zendesk.
 */
interface ZendeskTransportRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** The part of an answer node-zendesk reads (`transportConfig.responseAdapter`'s result). */
interface ZendeskTransportResponse {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/** The `{ response, result }` node-zendesk's single-request methods resolve to. */
interface ZendeskAnswer {
  result: unknown;
}

/** The result of node-zendesk's generic `get`/`request`, which its types declare as `NodeModule`. */
export async function resultOf(answer: Promise<unknown>): Promise<unknown> {
  return ((await answer) as ZendeskAnswer).result;
}

/** The path after `/api/v2/`, as errors name it (`tickets/42.json`). */
function apiPath(url: URL): string {
  return url.pathname.replace(/^.*?\/api\/v2\//, '');
}

/**
 * The `transportFn`: one fetch with a timeout, the call's extra headers on top of node-zendesk's, and Parley's
 * error for anything but a 2xx.
 */
function createZendeskTransport(doFetch: typeof fetch, extraHeaders: () => Record<string, string> = () => ({})) {
  return async function transport(uri: string, request: ZendeskTransportRequest): Promise<Response> {
    const url = new URL(uri);
    let res: Response;
    try {
      res = await doFetch(url, {
        method: request.method,
        headers: { ...request.headers, ...extraHeaders() },
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: AbortSignal.timeout(ZENDESK_TIMEOUT_MS),
      });
    } catch (err) {
      throw zendeskUnreachable(err);
    }
    if (res.ok) return res;
    // JSON for most errors, plain text for the per-ticket 429, HTML from a proxy: only the start goes in the message.
    // A body cut off mid-read (the timeout) still leaves the status, which is what the error is made of.
    const text = await res.text().catch(() => '');
    throw zendeskHttpError({
      status: res.status,
      method: request.method,
      path: apiPath(url),
      ...(text ? { detail: text.slice(0, 300) } : {}),
      ...retryAfter(res.headers),
    });
  };
}

function retryAfter(headers: Headers): { retryAfterMs?: number } {
  const ms = parseRetryAfter(headers.get('retry-after'));
  return ms !== undefined ? { retryAfterMs: ms } : {};
}

/**
 * The `responseAdapter`. Only 2xx answers get here; node-zendesk turns any answer with a `Retry-After` header
 * into an error-shaped result, so that header is not shown to it (a success is a success).
 */
function adaptResponse(res: Response): ZendeskTransportResponse {
  return {
    status: res.status,
    statusText: res.statusText,
    headers: { get: (name) => (name.toLowerCase() === 'retry-after' ? null : res.headers.get(name)) },
    json: () => res.json(),
  };
}

/** Zendesk's limit on one uploaded file (ticket attachments: 50 MB). */
export const ZENDESK_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** A file's upload may take longer than an API call: 25 MB over a slow link. */
export const ZENDESK_UPLOAD_TIMEOUT_MS = 60_000;

const uploadAnswer = z.object({ upload: z.object({ token: z.string().min(1) }) });

export function createZendeskClient(
  config: Pick<ZendeskConfig, 'url' | 'email' | 'apiToken'>,
  doFetch: typeof fetch = fetch,
) {
  const callHeaders = new AsyncLocalStorage<Record<string, string>>();
  const api = createClient({
    username: config.email,
    token: config.apiToken,
    endpointUri: `${config.url.replace(/\/$/, '')}/api/v2`,
    throwOriginalException: true,
    throttle: false,
    transportConfig: {
      transportFn: createZendeskTransport(doFetch, () => callHeaders.getStore() ?? {}),
      responseAdapter: adaptResponse,
    },
  });
  const base = `${config.url.replace(/\/$/, '')}/api/v2`;
  const authorization = `Basic ${Buffer.from(`${config.email}/token:${config.apiToken}`).toString('base64')}`;
  return {
    /** node-zendesk: `api.users.createOrUpdate(…)`, `api.tickets.update(…)`, `api.webhooks.list()`, … */
    api,
    /**
     * One file into Zendesk's Attachments API (`POST /api/v2/uploads?filename=…`, the raw bytes); answers the upload's
     * token, which a comment's `uploads` attaches. Passing an earlier `token` adds the file to that upload. Not through
     * node-zendesk: its `attachments.upload` sends a stream or a path as `application/binary`, where Zendesk stores the
     * type the request names. Same credentials, same errors as every other call.
     */
    async upload(file: { name: string; mediaType: string; bytes: Buffer }, token?: string): Promise<string> {
      const url = new URL(`${base}/uploads`);
      url.searchParams.set('filename', file.name);
      if (token) url.searchParams.set('token', token);
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': file.mediaType, accept: 'application/json' },
          body: file.bytes,
          signal: AbortSignal.timeout(ZENDESK_UPLOAD_TIMEOUT_MS),
        });
      } catch (err) {
        throw zendeskUnreachable(err);
      }
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        throw zendeskHttpError({
          status: res.status,
          method: 'POST',
          path: 'uploads',
          ...(text ? { detail: text.slice(0, 300) } : {}),
          ...retryAfter(res.headers),
        });
      }
      return uploadAnswer.parse(await res.json()).upload.token;
    },
    /** Runs `call` with `headers` added to every request it makes (node-zendesk's own headers are per client). */
    withHeaders<T>(headers: Record<string, string>, call: () => Promise<T>): Promise<T> {
      return callHeaders.run(headers, call);
    },
  };
}

export type ZendeskClient = ReturnType<typeof createZendeskClient>;
