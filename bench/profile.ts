/**
 * `node --import tsx bench/profile.ts <file.cpuprofile>…`: the functions with the most self time in a V8 CPU
 * profile (what `npm run bench` writes with BENCH_CPU_PROF=<dir>), grouped by function and file.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function summarize(file: string, top = 15): void {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const { functionName, url } = node.callFrame;
    const where = url ? url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '') : '(native)';
    const key = `${functionName || '(anonymous)'} ${path.basename(where) === where ? where : where}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  process.stdout.write(`\n${path.basename(file)} (${total} samples)\n`);
  for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${key}\n`);
  }
}

for (const file of process.argv.slice(2)) summarize(file);
