import type { OutboxPolicy } from '../../common/conversation';

/** Slack takes about one post a second per channel: a burst goes out as one batch, paced by the adapter. */
export function slackPolicy(): OutboxPolicy {
  return { batchWindowMs: 0, budget: { max: 1, periodMs: 1000 } };
}
