import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__PARLEY_DEV_SERVER__?.stop();
  const dir = process.env.PARLEY_TEST_RUN_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
