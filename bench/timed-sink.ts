/**
 * The sink of the side-by-side figures: the test sink's protocol (GET …/events lists the event ids held, POST
 * …/batches stores items), recording when each text first arrived, so both relays are timed by the same clock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TimedSink {
  url: string;
  /** When each text first arrived (ms since the epoch). */
  arrivedAt(text: string): number | undefined;
  /** Texts received that start with `prefix`. */
  count(prefix: string): number;
  /** Texts received, in arrival order, for one conversation. */
  texts(conversationId: string): string[];
  /** Items received again with an event id already held. */
  duplicates(): number;
  close(): Promise<void>;
}

/** `latencyMs`: how long each POST is held before the answer (a slow vendor); arrival is timed on receipt. */
export async function startTimedSink(options: { latencyMs?: number } = {}): Promise<TimedSink> {
  const held = new Map<string, Set<string>>();
  const arrived = new Map<string, number>();
  const byConversation = new Map<string, string[]>();
  let duplicates = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/conversations\/([^/]+)\/(events|batches)$/.exec(req.url ?? '');
      const answer = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (!match) return answer(404, { error: 'not found' });
      const id = decodeURIComponent(match[1] as string);
      const ids = held.get(id) ?? new Set<string>();
      held.set(id, ids);
      if (match[2] === 'events' && req.method === 'GET') return answer(200, { eventIds: [...ids] });
      if (match[2] === 'batches' && req.method === 'POST') {
        const { items } = JSON.parse(Buffer.concat(chunks).toString()) as {
          items: { eventId: string; text?: string }[];
        };
        const now = Date.now();
        for (const item of items) {
          if (ids.has(item.eventId)) duplicates++;
          ids.add(item.eventId);
          if (item.text === undefined) continue;
          if (!arrived.has(item.text)) arrived.set(item.text, now);
          const list = byConversation.get(id) ?? [];
          list.push(item.text);
          byConversation.set(id, list);
        }
        if (options.latencyMs) setTimeout(() => answer(201, { ok: true }), options.latencyMs);
        else answer(201, { ok: true });
        return undefined;
      }
      return answer(405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    arrivedAt: (text) => arrived.get(text),
    texts: (id) => [...(byConversation.get(id) ?? [])],
    count: (prefix) => {
      let n = 0;
      for (const text of arrived.keys()) if (text.startsWith(prefix)) n++;
      return n;
    },
    duplicates: () => duplicates,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
