/** Help Scout's answers as Parley's errors: the shared HTTP mapper, Help Scout's rate-limit header, "gone". */
import { IntegrationError, isIntegrationError } from '../../../../common/errors';
import { helpScoutStatusError, retryAfterMs } from '../../../../integrations/helpscout/client';
import { HELPSCOUT_ERROR_CODES, isGone } from '../../../../integrations/helpscout/errors';

const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers) });
const mapped = (status: number, headers?: Record<string, string>) =>
  helpScoutStatusError(answer(status, headers), 'POST', 'conversations/7/customer', '{"message":"Bad request"}');

describe('Help Scout status mapping', () => {
  it.each([
    [401, 'helpscout_auth_failed', false],
    [403, 'helpscout_auth_failed', false],
    [404, 'helpscout_not_found', false],
    [422, 'helpscout_unprocessable', false],
    [400, 'helpscout_invalid', false],
    [409, 'helpscout_invalid', false],
    [500, 'helpscout_unavailable', true],
    [503, 'helpscout_unavailable', true],
  ])('answers %i as %s (retried: %s)', (status, code, retryable) => {
    const err = mapped(status);
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(HELPSCOUT_ERROR_CODES).toContain(err.code);
  });

  it('names the refused call and what Help Scout said', () => {
    expect(mapped(400).message).toBe(
      'Help Scout refused POST conversations/7/customer (400): {"message":"Bad request"}',
    );
    expect(mapped(404).message).toBe('Help Scout has no conversations/7/customer');
  });

  it("waits a 429 out for Help Scout's X-RateLimit-Retry-After, without Temporal retrying it", () => {
    const err = mapped(429, { 'X-RateLimit-Retry-After': '7' });
    expect(err).toMatchObject({ code: 'helpscout_rate_limited', retryable: false, retryAfterMs: 7000 });
    expect(mapped(429, { 'Retry-After': '3' }).retryAfterMs).toBe(3000);
    expect(mapped(429).retryAfterMs).toBe(10_000);
  });

  it('reads the rate-limit header, preferring Help Scout’s own', () => {
    expect(retryAfterMs(new Headers({ 'x-ratelimit-retry-after': '2', 'retry-after': '9' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-retry-after': 'soon' }))).toBe(10_000);
  });
});

describe('isGone', () => {
  it('takes a 404 and a refused id (400 or 422) as "gone", nothing else', () => {
    expect(isGone(mapped(404))).toBe(true);
    expect(isGone(mapped(400))).toBe(true);
    expect(isGone(mapped(422))).toBe(true);
    expect(isGone(mapped(401))).toBe(false);
    expect(isGone(mapped(500))).toBe(false);
    expect(isGone(new Error('helpscout_not_found'))).toBe(false);
    expect(isIntegrationError(mapped(422), 'helpscout_unprocessable')).toBe(true);
  });
});
