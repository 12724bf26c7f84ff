/**
 * Rate limits of the client API: token buckets per app, per user and for new conversations per app, kept in this
 * process's memory with a bounded LRU (an evicted bucket comes back full, which only ever errs towards letting a
 * client through). Several API replicas each enforce their share: the configured rates and bursts divided by
 * `server.apiReplicas`, so the sum over replicas is the configured limit without any shared store (docs/operate/
 * limits.md says what that means behind an uneven load balancer).
 */

export interface BucketSpec {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** The bucket's size: what a quiet client may send at once. */
  burst: number;
}

/** One bucket to draw from, named by what it limits (`app`, `user`, `new_conversation`). */
export interface BucketCheck {
  key: string;
  scope: string;
  spec: BucketSpec;
}

export interface RateDecision {
  ok: boolean;
  /** The most constraining bucket: the one that refused, else the one with the fewest tokens left. */
  scope: string;
  /** `X-RateLimit-Limit`: that bucket's size. */
  limit: number;
  /** `X-RateLimit-Remaining`: whole tokens left in it. */
  remaining: number;
  /** `X-RateLimit-Reset`: seconds until it is full again. */
  resetSeconds: number;
  /** `Retry-After` (refused only): seconds until it holds a token again. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiter {
  /** Draws one token from every bucket, or from none when any is empty (then `ok: false`). */
  take(checks: readonly BucketCheck[]): RateDecision;
  /** What `take` would decide, drawing nothing. */
  peek(checks: readonly BucketCheck[]): RateDecision;
  /** Buckets held (at most `maxBuckets`). */
  size(): number;
}

export function createRateLimiter(options: { now?: () => number; maxBuckets?: number } = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const maxBuckets = options.maxBuckets ?? 10_000;
  // Insertion order is recency order: a bucket read is moved to the end, the first one is the least recent.
  const buckets = new Map<string, Bucket>();

  function current(check: BucketCheck, at: number): Bucket {
    const found = buckets.get(check.key);
    const { ratePerSecond, burst } = check.spec;
    const bucket = found
      ? { tokens: Math.min(burst, found.tokens + ((at - found.at) / 1000) * ratePerSecond), at }
      : { tokens: burst, at };
    return bucket;
  }

  function store(key: string, bucket: Bucket): void {
    buckets.delete(key);
    buckets.set(key, bucket);
    while (buckets.size > maxBuckets) {
      const oldest = buckets.keys().next();
      if (oldest.done) break;
      buckets.delete(oldest.value);
    }
  }

  function decide(checks: readonly BucketCheck[], draw: boolean): RateDecision {
    const at = now();
    const read = checks.map((check) => ({ check, bucket: current(check, at) }));
    const refused = read.find(({ bucket }) => bucket.tokens < 1);
    if (draw && !refused)
      for (const { check, bucket } of read) store(check.key, { tokens: bucket.tokens - 1, at: bucket.at });
    const after = (tokens: number) => (draw && !refused ? tokens - 1 : tokens);
    const tightest =
      refused ??
      read.reduce<(typeof read)[number] | undefined>(
        (low, r) =>
          !low || after(r.bucket.tokens) / r.check.spec.burst < after(low.bucket.tokens) / low.check.spec.burst
            ? r
            : low,
        undefined,
      );
    if (!tightest) return { ok: true, scope: 'none', limit: 0, remaining: 0, resetSeconds: 0, retryAfterSeconds: 0 };
    const { spec, scope } = tightest.check;
    const left = after(tightest.bucket.tokens);
    return {
      ok: !refused,
      scope,
      limit: spec.burst,
      remaining: Math.max(0, Math.floor(left)),
      resetSeconds: Math.ceil((spec.burst - left) / spec.ratePerSecond),
      retryAfterSeconds: refused ? Math.max(1, Math.ceil((1 - left) / spec.ratePerSecond)) : 0,
    };
  }

  return {
    take: (checks) => decide(checks, true),
    peek: (checks) => decide(checks, false),
    size: () => buckets.size,
  };
}

/** A bounded set of recently seen keys (least recently seen dropped first). */
export function createRecentSet(max: number) {
  const seen = new Map<string, true>();
  return {
    has(key: string): boolean {
      if (!seen.has(key)) return false;
      seen.delete(key);
      seen.set(key, true);
      return true;
    },
    add(key: string): void {
      seen.delete(key);
      seen.set(key, true);
      while (seen.size > max) {
        const oldest = seen.keys().next();
        if (oldest.done) break;
        seen.delete(oldest.value);
      }
    },
    delete(key: string): void {
      seen.delete(key);
    },
    size: () => seen.size,
  };
}
