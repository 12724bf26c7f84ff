/**
 * Base error for every integration (Slack, Zendesk, Help Scout, email, webhooks, sink).
 * `code` is `system_reason` (`slack_rate_limited`, `webhook_http_error`), one of the closed list in the
 * integration's `errors.ts`; activities turn it into an ApplicationFailure whose `type` is the code, so workflows
 * can branch on it. Check a code with `isIntegrationError(err, …codes)`, never with a cast.
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

/** An IntegrationError whose code is one of a vendor's closed list (`ZendeskErrorCode`, …). */
export type CodedError<C extends string> = IntegrationError & { readonly code: C };

type ErrorOptions = { retryable: boolean; retryAfterMs?: number; cause?: unknown };

/** An IntegrationError typed by its code, so a vendor's `errors.ts` list is the only codes it can throw. */
export function integrationError<C extends string>(code: C, message: string, options: ErrorOptions): CodedError<C> {
  return new IntegrationError(code, message, options) as CodedError<C>;
}

/**
 * Whether `err` is an IntegrationError, and, given codes, one with one of them. Narrows the code's type:
 * `if (isIntegrationError(err, 'zendesk_not_found')) …`.
 */
export function isIntegrationError<C extends string>(err: unknown, ...codes: C[]): err is CodedError<C> {
  return err instanceof IntegrationError && (codes.length === 0 || (codes as string[]).includes(err.code));
}

/** The codes every HTTP vendor's answers map to (`httpStatusError`), after the `<system>_` prefix. */
export const HTTP_ERROR_REASONS = [
  'rate_limited',
  'auth_failed',
  'not_found',
  'unprocessable',
  'invalid',
  'unavailable',
] as const;
export type HttpErrorReason = (typeof HTTP_ERROR_REASONS)[number];

export interface HttpFailure {
  status: number;
  method: string;
  path: string;
  /** The start of the answer's body, for the message. */
  detail?: string;
  /** From the answer's `Retry-After`; absent, `defaultRetryAfterMs`. */
  retryAfterMs?: number;
}

/**
 * One mapping of a vendor's non-2xx answer to Parley's error, shared by the HTTP vendors (Zendesk, Help Scout):
 * 429 a rate limit (with its wait), 401/403 auth, 404 not found, 422 unprocessable, other 4xx invalid (none of
 * those retried), 5xx and anything else unavailable (retried by Temporal).
 */
export function httpStatusError<S extends string>(
  system: S,
  label: string,
  failure: HttpFailure,
  defaultRetryAfterMs = 60_000,
): CodedError<`${S}_${HttpErrorReason}`> {
  const { status, method, path } = failure;
  const detail = failure.detail ? `: ${failure.detail}` : '';
  const make = (reason: HttpErrorReason, message: string, retryable: boolean, retryAfterMs?: number) =>
    integrationError(`${system}_${reason}`, message, {
      retryable,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  if (status === 429) {
    const wait = failure.retryAfterMs ?? defaultRetryAfterMs;
    return make('rate_limited', `${label} rate limited; retry after ${wait} ms`, false, wait);
  }
  if (status === 401 || status === 403)
    return make('auth_failed', `${label} refused the credentials (${status}) for ${method} ${path}`, false);
  if (status === 404) return make('not_found', `${label} has no ${path}`, false);
  if (status === 422) return make('unprocessable', `${label} refused ${method} ${path}${detail}`, false);
  if (status >= 400 && status < 500)
    return make('invalid', `${label} refused ${method} ${path} (${status})${detail}`, false);
  return make('unavailable', `${label} answered ${status} to ${method} ${path}`, true);
}

/** A rate limit: not retried by Temporal, the outbox waits `retryAfterMs` and sends what is pending as one batch. */
export function rateLimited<S extends string>(
  system: S,
  retryAfterMs: number,
  cause?: unknown,
): CodedError<`${S}_rate_limited`> {
  return integrationError(`${system}_rate_limited`, `${system} rate limited; retry after ${retryAfterMs} ms`, {
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
