/** The minimal relay's one activity: the sink's own retry check (what it holds already), then the post. */
import type { RelayMessage } from './reference-workflows';

export function createReferenceActivities(sinkUrl: string) {
  return {
    async postToSink(conversationId: string, message: RelayMessage): Promise<void> {
      const base = `${sinkUrl}conversations/${encodeURIComponent(conversationId)}`;
      // A retry must not post twice: the same check Parley's sink adapter makes before every send.
      const held = (await (await fetch(`${base}/events`)).json()) as { eventIds: string[] };
      if (held.eventIds.includes(message.eventId)) return;
      const res = await fetch(`${base}/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ eventId: message.eventId, kind: 'message:user', text: message.text }] }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`sink answered ${res.status}`);
    },
  };
}

export type ReferenceActivities = ReturnType<typeof createReferenceActivities>;
