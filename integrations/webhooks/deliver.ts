import { integrationError, parseRetryAfter, rateLimited } from '../../common/errors';
import type { WebhookErrorCode } from './errors';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhookBody } from './verify';

/** `user:erased` is sent by the erasure (integrations/webhooks/erase.ts), not by an outbox item. */
export type WebhookEventType =
  | 'message:agent'
  | 'message:user'
  | 'conversation:archived'
  | 'conversation:handoff'
  | 'conversation:assigned'
  /** An agent edited, or deleted, a reply the app was sent (`data.message.id`; an edit has the new `text`). */
  | 'message:agent:updated'
  | 'message:agent:deleted'
  | 'user:erased';

/** What the app said in its answer: `{"delivered": false}` (the user is offline) or `true`; absent: nothing. */
export interface DeliveryAnswer {
  delivered?: boolean;
}

/** The part of an answer Parley reads: a small JSON object; anything bigger or else is no statement. */
const MAX_ANSWER_BYTES = 4096;

export function readDeliveryAnswer(body: string): DeliveryAnswer {
  if (body.length === 0 || body.length > MAX_ANSWER_BYTES) return {};
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const delivered = (parsed as Record<string, unknown>).delivered;
      if (typeof delivered === 'boolean') return { delivered };
    }
  } catch {
    // Not JSON: the app said nothing about delivery.
  }
  return {};
}

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
export async function deliverWebhookEvent(options: DeliverOptions): Promise<DeliveryAnswer> {
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
  // Read the body so the connection can be reused; only a small `{"delivered": …}` in it matters.
  let answer = '';
  try {
    const bytes = await res.arrayBuffer();
    if (bytes.byteLength <= MAX_ANSWER_BYTES) answer = new TextDecoder().decode(bytes);
  } catch {
    // A receiver that hangs up after its status line has still answered.
  }
  if (res.ok) return readDeliveryAnswer(answer);
  if (res.status === 429) throw rateLimited('webhook', parseRetryAfter(res.headers.get('retry-after')) ?? 60_000);
  const retryable = res.status >= 500 || res.status === 408;
  throw integrationError<WebhookErrorCode>(
    retryable ? 'webhook_unavailable' : 'webhook_rejected',
    `webhook ${options.url} answered ${res.status}`,
    { retryable },
  );
}
