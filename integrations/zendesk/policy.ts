import type { OutboxPolicy } from '../../common/conversation';
import type { ZendeskConfig } from './client';

/** User messages within this window after the first pending one become one comment. */
export const ZENDESK_BATCH_WINDOW_MS = 5000;
/** Zendesk allows 30 updates per ticket per 10 minutes per user (`updatesPerTenMinutes` in config, default 30). */
export const ZENDESK_BUDGET_PERIOD_MS = 600_000;

export function zendeskPolicy(config: Pick<ZendeskConfig, 'updatesPerTenMinutes'>): OutboxPolicy {
  return {
    batchWindowMs: ZENDESK_BATCH_WINDOW_MS,
    budget: { max: config.updatesPerTenMinutes, periodMs: ZENDESK_BUDGET_PERIOD_MS },
  };
}
