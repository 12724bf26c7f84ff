/** The token buckets behind `429 rate_limited`: burst, refill, the tightest bucket in the headers, bounded memory. */
import { createRateLimiter, createRecentSet, type BucketCheck } from '../../../api/rate-limit';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const app: BucketCheck = { key: 'app:a', scope: 'app', spec: { ratePerSecond: 10, burst: 20 } };
const user = (id: string): BucketCheck => ({
  key: `user:a:${id}`,
  scope: 'user',
  spec: { ratePerSecond: 1, burst: 3 },
});

describe('createRateLimiter', () => {
  it('lets a burst through, then refuses with Retry-After until a token is back', () => {
    const c = clock();
    const limiter = createRateLimiter({ now: c.now });
    const answers = Array.from({ length: 4 }, () => limiter.take([app, user('jane')]));
    expect(answers.map((a) => a.ok)).toEqual([true, true, true, false]);
    expect(answers[2]).toMatchObject({ scope: 'user', limit: 3, remaining: 0, resetSeconds: 3 });
    expect(answers[3]).toMatchObject({ ok: false, scope: 'user', remaining: 0, retryAfterSeconds: 1 });
    c.advance(999);
    expect(limiter.take([app, user('jane')]).ok).toBe(false);
    c.advance(1);
    expect(limiter.take([app, user('jane')]).ok).toBe(true);
  });

  it('draws from no bucket when one refuses (another user is not charged for it)', () => {
    const c = clock();
    const limiter = createRateLimiter({ now: c.now });
    for (let i = 0; i < 3; i++) limiter.take([app, user('jane')]);
    for (let i = 0; i < 10; i++) expect(limiter.take([app, user('jane')]).ok).toBe(false);
    // The app bucket lost 3, not 13.
    expect(limiter.peek([app])).toMatchObject({ ok: true, remaining: 17 });
  });

  it("refuses the app's bucket for every user once the app has used its burst", () => {
    const limiter = createRateLimiter({ now: clock().now });
    for (let i = 0; i < 20; i++) expect(limiter.take([app, user(`u${i}`)]).ok).toBe(true);
    expect(limiter.take([app, user('fresh')])).toMatchObject({ ok: false, scope: 'app', limit: 20 });
  });

  it('peek draws nothing', () => {
    const limiter = createRateLimiter({ now: clock().now });
    for (let i = 0; i < 5; i++) limiter.peek([user('x')]);
    expect(limiter.take([user('x')])).toMatchObject({ ok: true, remaining: 2 });
  });

  it('holds at most maxBuckets (the least recently used is forgotten, full again)', () => {
    const limiter = createRateLimiter({ now: clock().now, maxBuckets: 100 });
    for (let i = 0; i < 10_000; i++) limiter.take([user(`u${i}`)]);
    expect(limiter.size()).toBe(100);
  });
});

describe('createRecentSet', () => {
  it('is bounded and forgets the least recently seen first', () => {
    const set = createRecentSet(2);
    set.add('a');
    set.add('b');
    expect(set.has('a')).toBe(true);
    set.add('c');
    expect([set.has('a'), set.has('b'), set.has('c'), set.size()]).toEqual([true, false, true, 2]);
  });
});
