/**
 * Base error for every integration (Slack, Zendesk, Help Scout, email, webhooks, test).
 * `code` is `system_reason` (`slack_rate_limited`, `webhook_http_error`); activities turn it into an
 * ApplicationFailure whose `type` is the code, so workflows can branch on it.
 */
export class IntegrationError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(
    code: string,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown } = { retryable: true },
  ) {
    super(message, { cause: options.cause });
    this.name = 'IntegrationError';
    this.code = code;
    this.retryable = options.retryable;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** A rate limit: not retried by Temporal, the outbox waits `retryAfterMs` and sends what is pending as one batch. */
export function rateLimited(system: string, retryAfterMs: number, cause?: unknown): IntegrationError {
  return new IntegrationError(`${system}_rate_limited`, `${system} rate limited; retry after ${retryAfterMs} ms`, {
    retryable: false,
    retryAfterMs,
    cause,
  });
}

/** Parses an HTTP `Retry-After` header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** An invalid configuration; the message names the file, the field and the problem. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
