import { integrationError, parseRetryAfter, rateLimited } from '../../common/errors';
import type { WebhookErrorCode } from './errors';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhookBody } from './verify';

/** `user:erased` is sent by the erasure (integrations/webhooks/erase.ts), not by an outbox item. */
export type WebhookEventType = 'message:agent' | 'conversation:archived' | 'user:erased';

/** The body a client app receives. */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  appId: string;
  userId: string;
  conversationId: string;
  data: Record<string, unknown>;
}

export interface DeliverOptions {
  url: string;
  secret: string;
  event: WebhookEvent;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * POSTs one signed event. 2xx delivered; 429 → rate limit (non-retryable, the outbox waits); other 4xx → a
 * permanent fault the outbox shows; 5xx, 408, timeouts and network errors → retryable.
 */
export async function deliverWebhookEvent(options: DeliverOptions): Promise<void> {
  const body = JSON.stringify(options.event);
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Parley-Webhooks/1',
        [EVENT_ID_HEADER]: options.event.id,
        [SIGNATURE_HEADER]: signWebhookBody(body, options.secret),
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: 'manual',
    });
  } catch (err) {
    throw integrationError<WebhookErrorCode>(
      'webhook_unreachable',
      `webhook ${options.url} unreachable: ${(err as Error).message}`,
      {
        retryable: true,
        cause: err,
      },
    );
  }
  // Read the body so the connection can be reused; what a receiver says in it does not matter.
  try {
    await res.arrayBuffer();
  } catch {
    // A receiver that hangs up after its status line has still answered.
  }
  if (res.ok) return;
  if (res.status === 429) throw rateLimited('webhook', parseRetryAfter(res.headers.get('retry-after')) ?? 60_000);
  const retryable = res.status >= 500 || res.status === 408;
  throw integrationError<WebhookErrorCode>(
    retryable ? 'webhook_unavailable' : 'webhook_rejected',
    `webhook ${options.url} answered ${res.status}`,
    { retryable },
  );
}
