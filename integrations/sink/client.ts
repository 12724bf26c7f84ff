/**
 * The sink: a minimal "vendor" reached over HTTP, used by the tests and benches to drive the outbox engine exactly
 * as the real integrations do (check-before-post, rate limits, faults).
 */
import { integrationError, parseRetryAfter, rateLimited } from '../../common/errors';
import type { SinkErrorCode } from './errors';

export interface SinkItem {
  eventId: string;
  kind: string;
  text?: string;
  messageId?: string;
}

export interface SinkClient {
  /** Event ids the sink already holds for a conversation: a retry skips them. */
  listDelivered(conversationId: string): Promise<string[]>;
  postBatch(conversationId: string, items: SinkItem[]): Promise<void>;
  /** Drops every batch the sink holds of a conversation; false when it held none (404). */
  deleteConversation(conversationId: string): Promise<boolean>;
}

export function createSinkClient(baseUrl: string, doFetch: typeof fetch = fetch): SinkClient {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;

  /** One request; a non-2xx is Parley's error, except the statuses in `accept`, answered as `{ status }`. */
  async function call(path: string, init?: RequestInit, accept: number[] = []): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(new URL(path, base), { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw integrationError<SinkErrorCode>('sink_unreachable', `sink unreachable: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
    const text = await res.text();
    if (accept.includes(res.status)) return { status: res.status };
    if (res.status === 429) throw rateLimited('sink', parseRetryAfter(res.headers.get('retry-after')) ?? 1000);
    if (res.status >= 500)
      throw integrationError<SinkErrorCode>('sink_unavailable', `sink answered ${res.status}`, { retryable: true });
    if (!res.ok)
      throw integrationError<SinkErrorCode>('sink_rejected', `sink answered ${res.status}: ${text}`, {
        retryable: false,
      });
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  return {
    async listDelivered(conversationId) {
      const body = (await call(`conversations/${encodeURIComponent(conversationId)}/events`)) as {
        eventIds?: string[];
      };
      return body?.eventIds ?? [];
    },
    async deleteConversation(conversationId) {
      const answer = await call(`conversations/${encodeURIComponent(conversationId)}`, { method: 'DELETE' }, [404]);
      return (answer as { status?: number } | undefined)?.status !== 404;
    },
    async postBatch(conversationId, items) {
      await call(`conversations/${encodeURIComponent(conversationId)}/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items }),
      });
    },
  };
}
