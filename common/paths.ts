import path from 'node:path';

/** Parley's local state folder (`.parley/`): dev-server database, the demo key, the installed Temporal CLI. */
export function parleyHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PARLEY_HOME ?? '.parley');
}
