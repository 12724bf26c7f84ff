/**
 * One real Temporal dev server for the whole run (in memory, free ports), and the workflow bundle built
 * once. Test files reach both through environment variables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { createLogger } from '../../common/logger';
import { startDevServer, type DevServer } from '../../workers/dev-server';
import { findOrInstallTemporalCli, findOrInstallTestServer } from '../../workers/temporal-cli';
import { freePort } from './ports';

declare global {
  var __PARLEY_DEV_SERVER__: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn', name: 'test-setup' });
  // The CLI is installed where `npm start` keeps it, so CI provisions it exactly as a user's start does.
  const cli = await findOrInstallTemporalCli(path.resolve('.parley'), log);
  // And the time-skipping test server (test/helpers/time-skipping.ts), installed the same way.
  await findOrInstallTestServer(path.resolve('.parley'), log);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
  const port = await freePort();
  const server = await startDevServer({
    cli,
    home: runDir,
    port,
    uiPort: await freePort(),
    httpPort: await freePort(),
    persist: false,
    log,
  });
  globalThis.__PARLEY_DEV_SERVER__ = server;

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const bundlePath = path.join(runDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  process.env.PARLEY_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.PARLEY_TEST_TEMPORAL_CLI = cli.path;
  process.env.PARLEY_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.PARLEY_TEST_RUN_DIR = runDir;
}
