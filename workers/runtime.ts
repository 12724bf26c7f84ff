import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../common/logger';

let installed = false;

/** Temporal's runtime logs through Parley's logger; Parley, not the SDK, decides when to stop on signals. */
export function installTemporalRuntime(
  log: Logger,
  options: { level?: LogLevel; metricsBindAddress?: string } = {},
): void {
  const level = options.level ?? 'WARN';
  if (installed) return;
  installed = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    shutdownSignals: [],
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } }
      : {}),
    logger: new DefaultLogger(level, (entry) => {
      log[levels[entry.level]]({ ...entry.meta, component: 'temporal' }, entry.message);
    }),
  });
}
