/** How an erasure activity's errors become Temporal failures: rate limits retried after their wait, faults not. */
import { ApplicationFailure } from '@temporalio/common';
import { toErasureFailure } from '../../../activities/erase';
import { integrationError, rateLimited } from '../../../common/errors';

it('retries a rate limit after the wait the vendor asked for', () => {
  const failure = toErasureFailure(rateLimited('zendesk', 30_000));
  expect(failure).toMatchObject({ type: 'zendesk_rate_limited', nonRetryable: false, nextRetryDelay: 30_000 });
});

it('retries a transient fault and gives up on a permanent one', () => {
  expect(toErasureFailure(integrationError('slack_unavailable', 'down', { retryable: true }))).toMatchObject({
    type: 'slack_unavailable',
    nonRetryable: false,
  });
  const revoked = toErasureFailure(integrationError('slack_auth_failed', 'token_revoked', { retryable: false }));
  expect(revoked).toMatchObject({ type: 'slack_auth_failed', nonRetryable: true });
  expect(revoked.nextRetryDelay).toBeUndefined();
});

it('passes an ApplicationFailure on and makes anything else a retryable parley_internal', () => {
  const given = ApplicationFailure.create({ type: 'sink_not_configured', nonRetryable: true });
  expect(toErasureFailure(given)).toBe(given);
  expect(toErasureFailure(new TypeError('oops'))).toMatchObject({ type: 'parley_internal', nonRetryable: false });
});
