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

/**
 * A batch that failed part-way: the error, how many items went out before it (the outbox does not send them
 * again), references made meanwhile (a channel, a ticket), and whether the integration needs the recent history
 * to go on (its conversation was lost).
 */
export class OutboxBatchError extends Error {
  constructor(
    override readonly cause: IntegrationError,
    readonly completed = 0,
    readonly refs?: Record<string, string>,
    readonly needsHistory = false,
  ) {
    super(cause.message, { cause });
    this.name = 'OutboxBatchError';
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
