/**
 * A client app's webhook endpoint: a real HTTP server that checks Parley's signature the way the README tells
 * client developers to, records every delivery, and can fail or go away for a while.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../integrations/webhooks/verify';

export interface Delivery {
  eventId: string;
  signatureValid: boolean;
  body: {
    id: string;
    type: string;
    createdAt: string;
    conversationId: string;
    userId: string;
    appId: string;
    data: {
      message?: { id: string; role: string; text: string; source?: string; agent?: { name: string } };
      control?: { to: string; from: string; source: string; reason?: string; by?: string };
    };
  };
}

export interface WebhookReceiver {
  url: string;
  deliveries: Delivery[];
  /** Unique events in first-arrival order. */
  events(): Delivery[];
  failNext(status: number, times?: number, headers?: Record<string, string>): void;
  /** What the app answers a valid delivery with (JSON), e.g. `{ delivered: false }` for an offline user. */
  answerWith(answer: ((body: Delivery['body']) => unknown) | undefined): void;
  /** Stops listening (connection refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string, port = 0): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const failures: { status: number; headers: Record<string, string> }[] = [];
  let answer: ((body: Delivery['body']) => unknown) | undefined;
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const failure = failures.shift();
      if (failure) {
        res.writeHead(failure.status, failure.headers);
        res.end('nope');
        return;
      }
      const raw = Buffer.concat(chunks);
      const signatureValid = verifyWebhookSignature({
        body: raw,
        signature: req.headers['x-parley-signature'] as string | undefined,
        secret,
      }).ok;
      const body = JSON.parse(raw.toString()) as Delivery['body'];
      deliveries.push({ eventId: String(req.headers['x-parley-event-id']), signatureValid, body });
      const reply = signatureValid ? answer?.(body) : undefined;
      if (reply !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
        return;
      }
      res.writeHead(signatureValid ? 200 : 401);
      res.end();
    });
  };
  let server = http.createServer(handler);
  const listen = (p: number) => new Promise<void>((resolve) => server.listen(p, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(port);
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}/parley`,
    deliveries,
    events() {
      const seen = new Set<string>();
      return deliveries.filter((d) => (seen.has(d.eventId) ? false : (seen.add(d.eventId), true)));
    },
    failNext(status, times = 1, headers = {}) {
      for (let i = 0; i < times; i++) failures.push({ status, headers });
    },
    answerWith(fn) {
      answer = fn;
    },
    down: stop,
    async up() {
      server = http.createServer(handler);
      await listen(actualPort);
    },
    close: stop,
  };
}
