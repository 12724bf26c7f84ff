/** The baseline's workflow: takes signals and does nothing with them — the least a signalWithStart can cost. */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const pingSignal = defineSignal<[number]>('ping');

export async function trivial(): Promise<void> {
  let pings = 0;
  let done = false;
  setHandler(pingSignal, (n) => {
    pings += 1;
    if (n < 0) done = true;
  });
  await condition(() => done || pings >= 1_000_000);
}
