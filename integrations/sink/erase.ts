/**
 * Erasing a user at the sink: `DELETE conversations/{conversationId}` under its `url` drops every batch it holds of
 * the conversation (2xx; a 404 means it holds none). The answers map as the sink's other routes do (client.ts).
 */
import type { VendorErasure } from '../../common/erasure';
import { createSinkClient } from './client';

export async function eraseSinkConversation(
  baseUrl: string,
  conversationId: string,
  doFetch: typeof fetch = fetch,
): Promise<VendorErasure> {
  const held = await createSinkClient(baseUrl, doFetch).deleteConversation(conversationId);
  const entry = { system: 'sink', kind: 'batches', id: conversationId };
  const detail = held ? "the sink's batches of the conversation deleted" : 'the sink held nothing of it';
  return { erased: [{ ...entry, detail }], remains: [] };
}
