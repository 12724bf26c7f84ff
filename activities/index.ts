import type { ParleyConfig } from '../common/config';
import { createSlackActivities } from './slack';
import { createTestIntegrationActivities } from './test-integration';
import { createWebhookActivities } from './webhooks';

export interface ActivityDeps {
  config: ParleyConfig;
  fetch?: typeof fetch;
}

/** Every activity Parley's workers run, built from their dependencies (tests pass emulator URLs via config). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createWebhookActivities(deps),
    ...createTestIntegrationActivities(deps),
    ...createSlackActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
