/**
 * `npm run temporal:install`: find or install, under `.parley/`, the Temporal CLI (the dev server `npm start` and the
 * e2e tests run) and the time-skipping test server (the e2e tests' long waits); print their paths.
 */
import { createLogger } from '../common/logger';
import { parleyHome } from '../common/paths';
import { findOrInstallTemporalCli, findOrInstallTestServer } from './temporal-cli';

async function provision(): Promise<void> {
  const home = parleyHome();
  const log = createLogger({ name: 'parley-provision' });
  const cli = await findOrInstallTemporalCli(home, log);
  process.stdout.write(`${cli.path}\n${cli.version}\n`);
  const testServer = await findOrInstallTestServer(home, log);
  process.stdout.write(`${testServer}\n`);
}

provision().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
});
