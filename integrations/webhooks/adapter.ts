/**
 * What Parley sends a client app for an outbox batch: one signed event per item, in order, each delivered before
 * the next. Where a previous attempt got to is the caller's to keep (the activity's heartbeat), so a retry starts
 * at the first item not yet delivered.
 */
import type { OutboxBatch, OutboxItem, WebhookReceipt } from '../../common/conversation';
import type { FileUrls } from '../files/urls';
import { deliverWebhookEvent, type WebhookEvent, type WebhookEventType } from './deliver';

function eventType(item: OutboxItem): WebhookEventType {
  switch (item.kind) {
    case 'conversation:archived':
    case 'conversation:handoff':
    case 'conversation:assigned':
    case 'message:user':
    case 'message:agent:updated':
    case 'message:agent:deleted':
      return item.kind;
    default:
      return 'message:agent';
  }
}

/**
 * The event an outbox item becomes: its id is the item's, stable across retries (the app's dedupe key). Files come
 * with URLs signed as the event goes (each attempt signs afresh); a text-only message's event is as it always was.
 */
export function webhookEvent(batch: OutboxBatch, item: OutboxItem, urls?: FileUrls): WebhookEvent {
  const type = eventType(item);
  const data: Record<string, unknown> = {};
  if (item.message) {
    const { id, text, at, source, agent, metadata, attachments, actions } = item.message;
    const message: Record<string, unknown> = { id, role: item.message.role, text, at, source, agent };
    if (metadata) message.metadata = metadata;
    if (attachments && attachments.length > 0)
      message.attachments = urls ? urls.attachments(batch.appId, attachments) : attachments;
    if (actions && actions.length > 0) message.actions = actions;
    // A deleted reply has no text left to show.
    if (item.kind === 'message:agent:deleted') delete message.text;
    data.message = message;
  }
  if (item.assignment) {
    const { status, assignee, by, at } = item.assignment;
    data.assignment = { status, assignee: assignee ?? null, ...(by ? { by } : {}), at };
  }
  if (item.handoff) {
    const { to, from, reason, source, by } = item.handoff;
    data.control = { to, from, source, ...(reason ? { reason } : {}), ...(by ? { by } : {}) };
  }
  return {
    id: item.eventId,
    type,
    createdAt: new Date(item.enqueuedAt).toISOString(),
    appId: batch.appId,
    userId: batch.userId,
    conversationId: batch.conversationId,
    data,
  };
}

export interface WebhookTarget {
  url: string;
  secret: string;
  fetch?: typeof fetch;
  /** Signs the events' file URLs. */
  urls?: FileUrls;
}

export interface WebhookBatchHooks {
  /** Before item `index` goes (the activity heartbeats the count delivered so far). */
  before(index: number): void;
  /** Item `index` was delivered. */
  delivered(index: number): void;
}

/** A batch's delivery: what the app said of the agent replies it was sent (only those it said something of). */
export interface WebhookBatchResult {
  receipts: WebhookReceipt[];
}

/** Delivers the items from `from` on; throws the delivery's error at the first that fails. */
export async function deliverWebhookBatch(
  target: WebhookTarget,
  batch: OutboxBatch,
  from: number,
  hooks: WebhookBatchHooks,
): Promise<WebhookBatchResult> {
  const receipts: WebhookReceipt[] = [];
  for (let index = from; index < batch.items.length; index++) {
    const item = batch.items[index] as OutboxItem;
    hooks.before(index);
    const answer = await deliverWebhookEvent({
      url: target.url,
      secret: target.secret,
      event: webhookEvent(batch, item, target.urls),
      ...(target.fetch ? { fetch: target.fetch } : {}),
    });
    if (item.kind === 'message:agent' && item.message && answer.delivered !== undefined)
      receipts.push({ messageId: item.message.id, delivered: answer.delivered });
    hooks.delivered(index);
  }
  return { receipts };
}
