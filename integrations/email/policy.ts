import type { OutboxPolicy } from '../../common/conversation';
import type { EmailConfig } from '../../common/config';

/** One mail per message, or one digest of whatever arrives within `digestSeconds` of the first. */
export function emailPolicy(config: Pick<EmailConfig, 'digestSeconds'>): OutboxPolicy {
  return { batchWindowMs: (config.digestSeconds ?? 0) * 1000 };
}
