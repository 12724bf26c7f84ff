/**
 * Two speeds. `unit` (test/unit/, mirroring the source tree) needs no Temporal and no mail server: it runs in
 * seconds. `e2e` (the rest of test/) shares one real Temporal dev server and one workflow bundle, which its
 * globalSetup starts and builds; Jest runs a project's globalSetup only when that project has tests selected, so
 * `npm test -- names` (a unit test) or `npm run test:unit` starts no Temporal.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Loads ESM-only packages through Node's own require (see the file).
  setupFiles: ['<rootDir>/test/helpers/esm-packages.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
  ],
  testTimeout: 120_000,
  // Temporal workers are CPU-heavy and the machine has two cores.
  maxWorkers: 2,
};
