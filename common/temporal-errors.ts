/**
 * What a Temporal client error means for the one who asked: a retry later can succeed (`unavailable`: the server is
 * unreachable, overloaded or too slow), a retry never will (`refused`: the request itself is invalid to Temporal, e.g.
 * a payload over its blob limit), or neither is known. Read from the gRPC status the SDK keeps as the `cause` of its
 * `ServiceError`, duck-typed so that `common/` needs no Temporal import.
 */

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html) a retry can get past. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  1, // CANCELLED: the server went away mid-call
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED: Temporal's rate limits, a busy namespace
  14, // UNAVAILABLE: unreachable, restarting
]);

/** Codes that mean the request, not the server, is at fault: the same request is refused again. */
const REFUSED_CODES: ReadonlySet<number> = new Set([
  3, // INVALID_ARGUMENT: "Blob data size exceeds limit", an id over 1,000 bytes
  11, // OUT_OF_RANGE
]);

/** The gRPC status code in `err` or its causes (at most a few levels), if any. */
export function grpcStatusCode(err: unknown): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const candidate = current as { code?: unknown; details?: unknown; cause?: unknown };
    // grpc-js's ServiceError: a numeric `code` with `details` (Node's own errors have string codes).
    if (typeof candidate.code === 'number' && 'details' in candidate) return candidate.code;
    current = candidate.cause;
  }
  return undefined;
}

export type TemporalFault = 'unavailable' | 'refused';

export function temporalFault(err: unknown): TemporalFault | undefined {
  const code = grpcStatusCode(err);
  if (code === undefined) return undefined;
  if (TRANSIENT_CODES.has(code)) return 'unavailable';
  if (REFUSED_CODES.has(code)) return 'refused';
  return undefined;
}

/** Seconds a client is asked to wait after Temporal was unavailable: longer when it said it was overloaded. */
export function retryAfterSeconds(err: unknown): number {
  return grpcStatusCode(err) === 8 ? 5 : 2;
}
