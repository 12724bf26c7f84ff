/**
 * The vendor behind Parley's test integration: a real HTTP server that stores batches per conversation and
 * answers as a vendor would when told to (429 with Retry-After, 5xx outages, 403 rejections, slow answers).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkItem {
  eventId: string;
  kind: string;
  text?: string;
  messageId?: string;
}

export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface TestSink {
  url: string;
  /** Batches received per conversation, in arrival order. */
  batches(conversationId: string): SinkItem[][];
  items(conversationId: string): SinkItem[];
  /** Raw POSTs accepted, including any that repeated an event id (there should be none). */
  duplicates(): number;
  /** The next `times` batch POSTs get this answer instead of being stored. */
  failNext(answer: Scripted, times?: number): void;
  /** Every batch POST gets this answer until cleared with `undefined`. */
  setOutage(answer: Scripted | undefined): void;
  /** Delay before storing each batch (to let a test kill a worker mid-send). */
  setLatency(ms: number): void;
  requests(): number;
  /** Batch POSTs received and not yet answered. */
  inFlight(): number;
  /** Conversations erased (`DELETE conversations/{id}`), in order. */
  erased(): string[];
  close(): Promise<void>;
}

export async function startTestSink(): Promise<TestSink> {
  const store = new Map<string, SinkItem[][]>();
  const seen = new Set<string>();
  let duplicates = 0;
  let requests = 0;
  const scripted: Scripted[] = [];
  let outage: Scripted | undefined;
  let latency = 0;
  let pending = 0;
  const erased: string[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const whole = /^\/conversations\/([^/]+)$/.exec(req.url ?? '');
      const match = /^\/conversations\/([^/]+)\/(events|batches)$/.exec(req.url ?? '');
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      // Erasing a user: everything the sink holds of the conversation goes (404 when it holds nothing).
      if (whole && req.method === 'DELETE') {
        requests++;
        const answer = scripted.shift() ?? outage;
        if (answer) return send(answer.status, answer.body ?? { error: 'scripted' }, answer.headers);
        const id = decodeURIComponent(whole[1] as string);
        if (!store.has(id)) return send(404, { error: 'no such conversation' });
        store.delete(id);
        erased.push(id);
        res.writeHead(204).end();
        return undefined;
      }
      if (!match) return send(404, { error: 'not found' });
      const conversationId = decodeURIComponent(match[1] as string);
      if (match[2] === 'events' && req.method === 'GET') {
        const ids = (store.get(conversationId) ?? []).flat().map((i) => i.eventId);
        return send(200, { eventIds: ids });
      }
      if (match[2] === 'batches' && req.method === 'POST') {
        requests++;
        const answer = scripted.shift() ?? outage;
        if (answer) return send(answer.status, answer.body ?? { error: 'scripted' }, answer.headers);
        const { items } = JSON.parse(Buffer.concat(chunks).toString()) as { items: SinkItem[] };
        pending++;
        setTimeout(() => {
          pending--;
          for (const item of items) {
            if (seen.has(item.eventId)) duplicates++;
            seen.add(item.eventId);
          }
          const list = store.get(conversationId) ?? [];
          list.push(items);
          store.set(conversationId, list);
          send(201, { ok: true });
        }, latency);
        return undefined;
      }
      return send(405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    batches: (id) => store.get(id) ?? [],
    items: (id) => (store.get(id) ?? []).flat(),
    duplicates: () => duplicates,
    failNext: (answer, times = 1) => {
      for (let i = 0; i < times; i++) scripted.push(answer);
    },
    setOutage: (answer) => {
      outage = answer;
    },
    setLatency: (ms) => {
      latency = ms;
    },
    requests: () => requests,
    inFlight: () => pending,
    erased: () => [...erased],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
