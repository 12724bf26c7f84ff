/**
 * The bench's references, what each Parley figure is read against: the trivial workflow (the least a
 * signalWithStart costs) and the minimal relay, the simplest correct entity-workflow relay on Temporal: one workflow
 * per conversation that takes messages by signal and posts each one to the sink with its own activity, in order.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ReferenceActivities } from './reference-activities';

export { trivial, pingSignal } from './trivial-workflow';

export interface RelayMessage {
  eventId: string;
  text: string;
}

export const relayMessageSignal = defineSignal<[RelayMessage]>('relayMessage');

const { postToSink } = proxyActivities<ReferenceActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function minimalRelay(conversationId: string): Promise<void> {
  const queue: RelayMessage[] = [];
  setHandler(relayMessageSignal, (m) => void queue.push(m));
  for (;;) {
    await condition(() => queue.length > 0);
    const next = queue[0] as RelayMessage;
    await postToSink(conversationId, next);
    queue.shift();
  }
}
