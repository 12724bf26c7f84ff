/**
 * `npm start`: everything in one process. Without TEMPORAL_ADDRESS, an embedded Temporal dev server
 * (127.0.0.1:7233, UI on 8233, data in `.parley/`); then the worker and the API on PORT (default 3000).
 */
import { encryptionSettings } from '../common/codec';
import { loadConfig } from '../common/config';
import { createLogger, type Logger } from '../common/logger';
import { conversationWorkflowId } from '../common/ids';
import { metricsSettings, startParley } from './parley';
import { runProcess } from './process';
import { temporalSettings } from './temporal-env';

function port(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${value} is not a port number`);
  return n;
}

async function main(log: Logger): Promise<() => Promise<void>> {
  const started = Date.now();
  const loaded = loadConfig();
  const temporal = temporalSettings();
  const tPort = port(process.env.PARLEY_TEMPORAL_PORT, 'PARLEY_TEMPORAL_PORT', 7233);
  const parley = await startParley({
    loaded,
    temporal,
    log,
    encryption: encryptionSettings(),
    // A bundle built ahead of time (`npm run bundle:workflows -- <file>`, the container image) skips bundling at start.
    ...(process.env.PARLEY_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: process.env.PARLEY_WORKFLOW_BUNDLE } } : {}),
    ...(process.env.PARLEY_SDK_METRICS_PORT
      ? { temporalMetricsPort: port(process.env.PARLEY_SDK_METRICS_PORT, 'PARLEY_SDK_METRICS_PORT', 0) }
      : {}),
    port: port(process.env.PORT, 'PORT', 3000),
    ...metricsSettings(),
    devServer: {
      port: tPort,
      uiPort: port(process.env.PARLEY_TEMPORAL_UI_PORT, 'PARLEY_TEMPORAL_UI_PORT', tPort + 1000),
    },
  });
  const lines = [
    '',
    `Parley is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  API:          ${parley.apiUrl}   (OpenAPI: ${parley.apiUrl}/openapi.json)`,
    `  Temporal:     ${parley.temporalAddress} (namespace ${temporal.namespace})${parley.devServer ? ', embedded dev server, data in .parley/' : ''}`,
  ];
  if (parley.uiUrl) lines.push(`  Temporal UI:  ${parley.uiUrl}/namespaces/${temporal.namespace}/workflows`);
  if (parley.metricsUrl) lines.push(`  Metrics:      ${parley.metricsUrl}`);
  if (loaded.file) lines.push(`  Config:       ${loaded.file}`);
  const encryption = encryptionSettings();
  if (encryption.keys.length > 0) {
    lines.push(
      `  Encryption:   payloads encrypted with key "${encryption.keys[0]?.id}"; codec at ${parley.apiUrl}/codec` +
        (encryption.codecToken
          ? ` (sign in once at ${parley.apiUrl}/codec/login)`
          : ' (set PARLEY_CODEC_TOKEN to read them in the UI)'),
    );
  }
  if (loaded.demoKey) {
    const user = 'jane';
    lines.push(
      '',
      'No parley.config.yaml: running the "demo" app. Try it:',
      `  curl -X POST ${parley.apiUrl}/v1/apps/demo/users/${user}/messages -H "Authorization: Bearer ${loaded.demoKey}" -H "Content-Type: application/json" -d '{"text":"Hello from Jane"}'`,
      `  curl ${parley.apiUrl}/v1/apps/demo/users/${user}/messages -H "Authorization: Bearer ${loaded.demoKey}"`,
      `Then find workflow ${conversationWorkflowId('demo', user)} in the Temporal UI.`,
    );
    // The admin key is not printed: it rewires integrations, so it stays in its file (mode 0600) until asked for.
    if (loaded.demoAdminKeyFile)
      lines.push(
        `Admin key (integrations, outbox resume, /metrics): in ${loaded.demoAdminKeyFile}`,
        `  curl ${parley.apiUrl}/v1/apps/demo/integrations -H "Authorization: Bearer $(cat '${loaded.demoAdminKeyFile}')"`,
      );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  return parley.stop;
}

if (require.main === module) runProcess(main, createLogger());
