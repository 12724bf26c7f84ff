/**
 * Erasing a user at the sink: `DELETE conversations/{conversationId}` under its `url` drops every batch it holds of
 * the conversation (2xx; a 404 means it holds none). The answers map as the sink's other routes do (client.ts).
 */
import type { VendorErasure } from '../../common/erasure';
import { integrationError, parseRetryAfter, rateLimited } from '../../common/errors';
import type { SinkErrorCode } from './errors';

export async function eraseSinkConversation(
  baseUrl: string,
  conversationId: string,
  doFetch: typeof fetch = fetch,
): Promise<VendorErasure> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  let res: Response;
  try {
    res = await doFetch(new URL(`conversations/${encodeURIComponent(conversationId)}`, base), {
      method: 'DELETE',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw integrationError<SinkErrorCode>('sink_unreachable', `sink unreachable: ${(err as Error).message}`, {
      retryable: true,
      cause: err,
    });
  }
  const text = await res.text();
  if (res.status === 429) throw rateLimited('sink', parseRetryAfter(res.headers.get('retry-after')) ?? 1000);
  if (res.status >= 500)
    throw integrationError<SinkErrorCode>('sink_unavailable', `sink answered ${res.status}`, { retryable: true });
  const entry = { system: 'sink', kind: 'batches', id: conversationId };
  if (res.status === 404) return { erased: [{ ...entry, detail: 'the sink held nothing of it' }], remains: [] };
  if (!res.ok)
    throw integrationError<SinkErrorCode>('sink_rejected', `sink answered ${res.status}: ${text}`, {
      retryable: false,
    });
  return { erased: [{ ...entry, detail: "the sink's batches of the conversation deleted" }], remains: [] };
}
