import { activityInfo, heartbeat } from '@temporalio/activity';
import type { OutboxBatch, OutboxSendResult } from '../common/conversation';
import type { ParleyConfig } from '../common/config';
import { integrationError, isIntegrationError } from '../common/errors';
import type { Metrics } from '../common/metrics';
import { deliverWebhookBatch } from '../integrations/webhooks/adapter';
import type { WebhookErrorCode } from '../integrations/webhooks/errors';
import { toApplicationFailure } from './failures';

export function createWebhookActivities(deps: { config: ParleyConfig; fetch?: typeof fetch; metrics?: Metrics }) {
  return {
    /** Delivers a batch of events to one client webhook URL, in order; progress survives retries. */
    async deliverClientWebhooks(batch: OutboxBatch): Promise<OutboxSendResult> {
      const url = batch.outbox.slice('webhook:'.length);
      const hook = deps.config.apps.find((a) => a.id === batch.appId)?.webhooks.find((w) => w.url === url);
      if (!hook) {
        throw toApplicationFailure(
          integrationError<WebhookErrorCode>(
            'webhook_not_configured',
            `app ${batch.appId} has no webhook ${url} any more`,
            {
              retryable: false,
            },
          ),
        );
      }
      // Events a previous attempt delivered (recorded by heartbeat) are not sent again.
      const previous = activityInfo().heartbeatDetails as number | undefined;
      let done = typeof previous === 'number' ? previous : 0;
      try {
        const { receipts } = await deliverWebhookBatch(
          { url, secret: hook.secret, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
          batch,
          done,
          {
            before: (index) => heartbeat(index),
            delivered: (index) => {
              done = index + 1;
              deps.metrics?.webhookDeliveries.inc({ result: 'delivered' });
              heartbeat(done);
            },
          },
        );
        return receipts.length > 0 ? { receipts } : {};
      } catch (err) {
        const limited = isIntegrationError(err, 'webhook_rate_limited');
        deps.metrics?.webhookDeliveries.inc({ result: limited ? 'rate_limited' : 'failed' });
        throw toApplicationFailure(err, done);
      }
    },
  };
}
