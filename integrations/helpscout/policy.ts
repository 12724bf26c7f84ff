import type { OutboxPolicy } from '../../common/conversation';

/** Each message its own thread, sent as it comes; Help Scout's rate limit answers 429 and the outbox holds. */
export function helpScoutPolicy(): OutboxPolicy {
  return { batchWindowMs: 0 };
}
