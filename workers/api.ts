/** `npm run api`: the HTTP API alone, against TEMPORAL_ADDRESS (the production shape; workers run apart). */
import { encryptionSettings } from '../common/codec';
import { loadConfig } from '../common/config';
import { createLogger, type Logger } from '../common/logger';
import { metricsSettings, startParley } from './parley';
import { runProcess } from './process';
import { temporalSettings } from './temporal-env';

async function main(log: Logger): Promise<() => Promise<void>> {
  const temporal = temporalSettings();
  if (!temporal.address)
    throw new Error(
      'TEMPORAL_ADDRESS is not set: `npm run api` joins a running Temporal (use `npm start` for the all-in-one)',
    );
  const portValue = Number(process.env.PORT ?? 3000);
  const parley = await startParley({
    loaded: loadConfig(),
    temporal,
    log,
    worker: false,
    port: portValue,
    ...metricsSettings(),
    encryption: encryptionSettings(),
  });
  log.info(
    {
      api: parley.apiUrl,
      temporal: parley.temporalAddress,
      ...(parley.metricsUrl ? { metrics: parley.metricsUrl } : {}),
    },
    'api listening',
  );
  return parley.stop;
}

if (require.main === module) runProcess(main, createLogger({ name: 'parley-api' }));
