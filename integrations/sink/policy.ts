import type { OutboxPolicy } from '../../common/conversation';
import type { SinkConfig } from '../../common/config';

/** The sink's policy is its config's (`sink.policy`), so tests can drive every kind of wait. */
export function sinkPolicy(config: SinkConfig): OutboxPolicy {
  return config.policy;
}
