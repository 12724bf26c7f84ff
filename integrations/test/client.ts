/**
 * Parley's test integration: a minimal "vendor" reached over HTTP, used by the test suite to drive the
 * outbox engine exactly as the real integrations do (check-before-post, rate limits, faults).
 */
import { IntegrationError, parseRetryAfter, rateLimited } from '../../common/errors';

export interface TestSinkItem {
  eventId: string;
  kind: string;
  text?: string;
  messageId?: string;
}

export interface TestSinkClient {
  /** Event ids the sink already holds for a conversation: a retry skips them. */
  listDelivered(conversationId: string): Promise<string[]>;
  postBatch(conversationId: string, items: TestSinkItem[]): Promise<void>;
}

export function createTestSinkClient(baseUrl: string, doFetch: typeof fetch = fetch): TestSinkClient {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;

  async function call(path: string, init?: RequestInit): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(new URL(path, base), { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new IntegrationError('test_unreachable', `test sink unreachable: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
    const text = await res.text();
    if (res.status === 429) throw rateLimited('test', parseRetryAfter(res.headers.get('retry-after')) ?? 1000);
    if (res.status >= 500)
      throw new IntegrationError('test_unavailable', `test sink answered ${res.status}`, { retryable: true });
    if (!res.ok)
      throw new IntegrationError('test_rejected', `test sink answered ${res.status}: ${text}`, { retryable: false });
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  return {
    async listDelivered(conversationId) {
      const body = (await call(`conversations/${encodeURIComponent(conversationId)}/events`)) as {
        eventIds?: string[];
      };
      return body?.eventIds ?? [];
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
