import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import type { Logger } from '../common/logger';
import { retryAfterSeconds, temporalFault } from '../common/temporal-errors';

/** An error the API answers with `{error: {code, message}}` and its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'HttpError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** Sent as `Retry-After` (429, 503): when trying again can succeed. */
  readonly retryAfterSeconds: number | undefined;
}

/**
 * Temporal's own refusals as the API answers them: unreachable, overloaded or too slow (gRPC UNAVAILABLE,
 * RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED) is a 503 with `Retry-After`, so clients and vendors come again; a request
 * Temporal finds invalid (INVALID_ARGUMENT: a payload over its limit) a 422, which no retry would change.
 */
export function temporalHttpError(err: unknown): HttpError | undefined {
  const fault = temporalFault(err);
  if (fault === 'unavailable')
    return new HttpError(503, 'temporal_unavailable', 'Temporal cannot take this right now; try again', {
      cause: err,
      retryAfterSeconds: retryAfterSeconds(err),
    });
  if (fault === 'refused')
    return new HttpError(422, 'temporal_refused', `Temporal refused the request: ${(err as Error).message}`, {
      cause: err,
    });
  return undefined;
}

export function zodMessage(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses with zod or throws a 400 naming every problem. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, code = 'invalid_request'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, code, zodMessage(result.error));
  return result.data;
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

/** Turns every error into a JSON answer; bad input is always a 4xx, only Parley's own faults are 5xx. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'internal error';
    const parser = err as BodyParserError;
    const known = err instanceof HttpError ? err : temporalHttpError(err);
    if (known) {
      ({ status, code, message } = known);
      if (known.retryAfterSeconds !== undefined) res.set('Retry-After', String(known.retryAfterSeconds));
      if (known.status === 422) log.warn({ err, method: req.method, path: req.path }, 'Temporal refused a request');
    } else if (parser.type === 'entity.parse.failed') {
      [status, code, message] = [400, 'invalid_json', 'the body is not valid JSON'];
    } else if (parser.type === 'entity.too.large') {
      [status, code, message] = [413, 'payload_too_large', 'the body is larger than the limit'];
    } else if (parser.type === 'encoding.unsupported' || parser.type === 'charset.unsupported') {
      [status, code, message] = [415, 'unsupported_encoding', parser.message ?? 'unsupported encoding'];
    } else if (typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
      [status, code, message] = [parser.status, 'bad_request', parser.message ?? 'bad request'];
    }
    if (status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    res.status(status).json({ error: { code, message } });
  };
}
