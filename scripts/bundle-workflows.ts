/**
 * Bundles Parley's workflow code ahead of time, so a worker started with `PARLEY_WORKFLOW_BUNDLE=<file>` skips
 * webpack at start (the container image runs this at build time).
 *
 *   node dist/scripts/bundle-workflows.js [out]            (compiled)
 *   node --import tsx scripts/bundle-workflows.ts [out]    (from source)
 *
 * `out` defaults to `dist/workflow-bundle.js`. The workflows bundled are the ones next to this file's parent:
 * `dist/workflows` when compiled, `workflows/` when run from source.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

export async function bundleWorkflows(out: string): Promise<{ path: string; bytes: number }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const file = path.resolve(out);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Write next to the target, then rename: a worker never reads a half-written bundle.
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, code);
  fs.renameSync(partial, file);
  return { path: file, bytes: Buffer.byteLength(code) };
}

if (require.main === module) {
  bundleWorkflows(process.argv[2] ?? path.join('dist', 'workflow-bundle.js')).then(
    ({ path: file, bytes }) => process.stdout.write(`workflow bundle: ${file} (${Math.round(bytes / 1024)} KiB)\n`),
    (err: unknown) => {
      process.stderr.write(`bundle-workflows: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
