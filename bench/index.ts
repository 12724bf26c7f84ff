/**
 * `npm run bench [-- figure …]`: Parley's figures, each a markdown table with the machine and the settings.
 * Figures: side (Parley against raw Temporal and a minimal relay), baseline, ingest (with memory), relay, cost,
 * batching, startup. `--quick`: smaller side-by-side runs. Sizes: see docs/contributing/performance.md.
 */
import { startHarness } from './harness';
import { batching } from './batching';
import { cost } from './cost';
import { baseline, ingestAndMemory, type Run } from './ingest';
import { relay } from './relay';
import { sideBySide } from './side-by-side';
import { startup } from './startup';
import { machine } from './report';

const FIGURES = ['side', 'baseline', 'ingest', 'relay', 'cost', 'batching', 'startup'] as const;

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = asked.filter((a) => !(FIGURES as readonly string[]).includes(a));
  if (unknown.length) throw new Error(`unknown figure(s) ${unknown.join(', ')}; choose from ${FIGURES.join(', ')}`);
  const run = (name: (typeof FIGURES)[number]) => asked.length === 0 || asked.includes(name);
  const started = Date.now();
  process.stdout.write(`## Parley bench\n\nMachine: ${machine()}.\n\n`);
  const h = await startHarness();
  try {
    if (run('side')) await sideBySide(h, process.argv.includes('--quick'));
    let base: Run[] | undefined;
    if (run('baseline') || run('ingest')) base = await baseline(h);
    if (run('ingest')) await ingestAndMemory(h, base);
    if (run('relay')) await relay(h);
    if (run('cost')) await cost(h);
    if (run('batching')) await batching(h);
    if (run('startup')) await startup(h);
  } finally {
    await h.close();
  }
  process.stdout.write(`Bench finished in ${((Date.now() - started) / 1000).toFixed(0)} s.\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
