/** `npm run temporal:install`: find or install the Temporal CLI under `.parley/`, print its path. */
import { createLogger } from '../common/logger';
import { parleyHome } from '../common/paths';
import { findOrInstallTemporalCli } from './temporal-cli';

findOrInstallTemporalCli(parleyHome(), createLogger({ name: 'parley-provision' })).then(
  (cli) => {
    process.stdout.write(`${cli.path}\n${cli.version}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
