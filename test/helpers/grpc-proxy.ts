/**
 * A counting gRPC proxy in front of the test Temporal server: plaintext HTTP/2 in, every stream forwarded as it
 * came (headers, messages, trailers), and every call counted by its method. A test points a Parley at it to see
 * how many round trips to Temporal something costs, and closes it to make Temporal unreachable (connections refused).
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface GrpcProxy {
  /** `host:port` to give Parley as its Temporal address. */
  address: string;
  /** Calls forwarded so far, by method (`GetSystemInfo`, `ListSearchAttributes`, …). */
  calls(): Record<string, number>;
  /** The number of calls forwarded so far. */
  total(): number;
  /** Drops every connection and stops listening: from now on Temporal is unreachable through it. */
  close(): Promise<void>;
}

const { HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS, NGHTTP2_CANCEL } = http2.constants;

/** HTTP/2 headers without the pseudo-headers the other side sets for itself. */
function plain(headers: http2.IncomingHttpHeaders, keep: string[] = []): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':') || keep.includes(k)));
}

export async function startGrpcProxy(target: string): Promise<GrpcProxy> {
  const counts: Record<string, number> = {};
  let upstream: http2.ClientHttp2Session | undefined;
  const sessions = new Set<http2.ServerHttp2Session>();
  const connectUpstream = () => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      upstream = http2.connect(`http://${target}`);
      upstream.on('error', () => undefined);
    }
    return upstream;
  };

  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    const path = String(headers[HTTP2_HEADER_PATH] ?? '');
    const method = path.slice(path.lastIndexOf('/') + 1);
    counts[method] = (counts[method] ?? 0) + 1;
    const out = connectUpstream().request(plain(headers, [':method', ':path']));
    let trailers: http2.OutgoingHttpHeaders = {};
    out.on('response', (response, flags) => {
      const head = plain(response);
      head[HTTP2_HEADER_STATUS] = response[HTTP2_HEADER_STATUS];
      // A trailers-only answer (a gRPC error) ends with its headers.
      if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) stream.respond(head, { endStream: true });
      else stream.respond(head, { waitForTrailers: true });
    });
    out.on('trailers', (t) => (trailers = plain(t)));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(out);
    out.on('data', (chunk: Buffer) => stream.write(chunk));
    out.on('end', () => {
      if (!stream.closed && !stream.headersSent) stream.respond({ [HTTP2_HEADER_STATUS]: 502 }, { endStream: true });
      else if (!stream.writableEnded) stream.end();
    });
    out.on('error', () => stream.close(NGHTTP2_CANCEL));
    stream.on('error', () => out.close(NGHTTP2_CANCEL));
    stream.on('close', () => {
      if (!out.closed) out.close(NGHTTP2_CANCEL);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    calls: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      upstream?.destroy();
      await closed;
    },
  };
}
