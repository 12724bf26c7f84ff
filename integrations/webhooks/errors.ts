import type { CodedError } from '../../common/errors';

/** Every code a delivery to a client app's webhook can fail with. */
export const WEBHOOK_ERROR_CODES = [
  'webhook_unreachable',
  'webhook_unavailable',
  'webhook_rejected',
  'webhook_rate_limited',
  'webhook_not_configured',
] as const;
export type WebhookErrorCode = (typeof WEBHOOK_ERROR_CODES)[number];
export type WebhookError = CodedError<WebhookErrorCode>;
