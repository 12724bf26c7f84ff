import { ConfigError } from '../common/errors';
import type { Logger } from '../common/logger';

/**
 * Runs an entry point: start it, and on SIGINT/SIGTERM call the stop function it returned, once. A start-up
 * error prints one clear line and exits 1.
 */
export function runProcess(start: (log: Logger) => Promise<() => Promise<void>>, log: Logger): void {
  let stopping = false;
  let stop: (() => Promise<void>) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const done = stop ? stop() : Promise.resolve();
    done.then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  start(log).then(
    (s) => {
      stop = s;
    },
    (err: unknown) => {
      const message = err instanceof ConfigError ? `Invalid configuration: ${err.message}` : (err as Error).message;
      process.stderr.write(`parley: ${message}\n`);
      if (!(err instanceof ConfigError)) log.debug({ err }, 'start-up failed');
      process.exit(1);
    },
  );
}
