import { activityInfo, heartbeat } from '@temporalio/activity';
import type { ParleyConfig } from '../common/config';
import type { Metrics } from '../common/metrics';
import { IntegrationError } from '../common/errors';
import { deliverWebhookEvent, type WebhookEvent, type WebhookEventType } from '../integrations/webhooks/deliver';
import { type OutboxBatch, type OutboxItem } from '../common/conversation';
import { toApplicationFailure } from './failures';

export function webhookEvent(batch: OutboxBatch, item: OutboxItem): WebhookEvent {
  const type: WebhookEventType = item.kind === 'conversation:archived' ? 'conversation:archived' : 'message:agent';
  const data: Record<string, unknown> = {};
  if (item.message) {
    const { id, text, at, source, agent } = item.message;
    data.message = { id, role: item.message.role, text, at, source, agent };
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

export function createWebhookActivities(deps: { config: ParleyConfig; fetch?: typeof fetch; metrics?: Metrics }) {
  return {
    /** Delivers a batch of events to one client webhook URL, in order; progress survives retries. */
    async deliverClientWebhooks(batch: OutboxBatch): Promise<void> {
      const url = batch.outbox.slice('webhook:'.length);
      const hook = deps.config.apps.find((a) => a.id === batch.appId)?.webhooks.find((w) => w.url === url);
      if (!hook) {
        throw toApplicationFailure(
          new IntegrationError('webhook_not_configured', `app ${batch.appId} has no webhook ${url} any more`, {
            retryable: false,
          }),
        );
      }
      // Events a previous attempt delivered (recorded by heartbeat) are not sent again.
      const previous = activityInfo().heartbeatDetails as number | undefined;
      let done = typeof previous === 'number' ? previous : 0;
      try {
        for (; done < batch.items.length; done++) {
          const item = batch.items[done] as OutboxItem;
          heartbeat(done);
          try {
            await deliverWebhookEvent({
              url,
              secret: hook.secret,
              event: webhookEvent(batch, item),
              fetch: deps.fetch,
            });
          } catch (err) {
            const limited = err instanceof IntegrationError && err.code.endsWith('_rate_limited');
            deps.metrics?.webhookDeliveries.inc({ result: limited ? 'rate_limited' : 'failed' });
            throw err;
          }
          deps.metrics?.webhookDeliveries.inc({ result: 'delivered' });
          heartbeat(done + 1);
        }
      } catch (err) {
        throw toApplicationFailure(err, done);
      }
    },
  };
}
