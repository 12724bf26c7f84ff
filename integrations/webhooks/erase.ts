/**
 * The `user:erased` event: the last one a client app hears about a conversation, sent once the user's data is gone
 * from Parley and the vendors' clean-up is done, with what was erased and what remains. Same body, headers and
 * signature as every other event (deliver.ts).
 */
import type { UserErasedData } from '../../common/erasure';
import { deliverWebhookEvent, type WebhookEvent } from './deliver';

export interface UserErasedEvent {
  /** Decided by the workflow, so every retry of the delivery carries the same id (the app's dedupe key). */
  eventId: string;
  appId: string;
  userId: string;
  conversationId: string;
  data: UserErasedData;
}

export function userErasedEvent(input: UserErasedEvent): WebhookEvent {
  return {
    id: input.eventId,
    type: 'user:erased',
    createdAt: input.data.completedAt,
    appId: input.appId,
    userId: input.userId,
    conversationId: input.conversationId,
    data: { ...input.data },
  };
}

/** POSTs the event to one of the app's webhook URLs; errors as deliverWebhookEvent throws them. */
export async function deliverUserErased(
  target: { url: string; secret: string; fetch?: typeof fetch },
  input: UserErasedEvent,
): Promise<void> {
  await deliverWebhookEvent({
    url: target.url,
    secret: target.secret,
    event: userErasedEvent(input),
    ...(target.fetch ? { fetch: target.fetch } : {}),
  });
}
