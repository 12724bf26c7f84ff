/**
 * Two API processes behind one port, as a load balancer would put them: a TCP proxy that hands each new connection
 * to the next backend in turn, skipping one that refuses the connection. A killed API resets its own connections;
 * the client's retry opens a new one, which lands on a live API. Bench and drill only (no TLS, no health checks).
 */
import net from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export interface RoundRobinProxy {
  port: number;
  /** Connections handed to each backend so far, in the order of `backends`. */
  counts(): number[];
  close(): Promise<void>;
}

export async function startRoundRobinProxy(backends: Backend[], port = 0): Promise<RoundRobinProxy> {
  if (backends.length === 0) throw new Error('round-robin proxy: no backends');
  let next = 0;
  const counts = backends.map(() => 0);
  const sockets = new Set<net.Socket>();

  function connect(client: net.Socket, tried: number): void {
    if (tried >= backends.length) {
      client.destroy();
      return;
    }
    const i = next;
    next = (next + 1) % backends.length;
    const backend = backends[i] as Backend;
    const upstream = net.connect(backend);
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      counts[i] = (counts[i] ?? 0) + 1;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      // Refused before any byte went through: the next backend gets this connection.
      if (!connected) connect(client, tried + 1);
      else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      if (connected) client.destroy();
    });
  }

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    connect(client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    counts: () => [...counts],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
