/**
 * `node --import tsx bench/production-setup.ts [up|down]`: the production shape's Temporal and PostgreSQL alone
 * (bench/production-stack.ts), kept running for `npm run bench:production` / `npm run drills:production`; `down`
 * stops both (the data stays under .parley/production/).
 */
import { ensureProduction, stopProduction } from './production-stack';

async function main(): Promise<void> {
  if (process.argv[2] === 'down') return stopProduction();
  const p = await ensureProduction();
  process.stdout.write(
    `Temporal ${p.temporalAddress} (pid ${p.temporalPid}) on PostgreSQL 16 127.0.0.1:${p.postgresPort} (pid ${p.postgresPid})\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `production setup failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
