import type { CodedError } from '../../common/errors';

/** Every code the sink's client throws. */
export const SINK_ERROR_CODES = [
  'sink_unreachable',
  'sink_unavailable',
  'sink_rejected',
  'sink_rate_limited',
  'sink_not_configured',
] as const;
export type SinkErrorCode = (typeof SINK_ERROR_CODES)[number];
export type SinkError = CodedError<SinkErrorCode>;
