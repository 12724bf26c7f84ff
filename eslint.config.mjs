// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/** `no-restricted-imports` patterns keeping a room out of others; type-only imports stay allowed where said. */
const rooms = {
  temporal: { group: ['@temporalio/*'], message: 'no Temporal here: this room knows nothing of workflows.' },
  workflows: { group: ['**/workflows', '**/workflows/**'], message: 'workflows/ is not imported from here.' },
  activities: { group: ['**/activities', '**/activities/**'], message: 'activities/ is not imported from here.' },
  api: { group: ['**/api/**'], message: 'api/ is not imported from here.' },
  integrations: { group: ['**/integrations/**'], message: 'integrations/ is not imported from here.' },
  workers: { group: ['**/workers/**'], message: 'workers/ (entry points) is imported by nothing.' },
};
const keepOut = (...names) => [
  'error',
  {
    patterns: names.map((n) => ({
      ...rooms[n],
      message: `${rooms[n].message} See docs/contributing/architecture.md.`,
    })),
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', '.parley/**', 'node_modules/**', '*.config.js', '*.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Import hygiene everywhere: no cycles (types included), one import per module.
    plugins: { 'import-x': importX },
    settings: {
      // The parser for the files an import leads to, so no-cycle follows imports through TypeScript files.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-duplicates': ['error', { 'prefer-inline': true }],
    },
  },
  // The rooms (docs/contributing/architecture.md): each imports only what its row in DESIGN.md's table says.
  {
    files: ['integrations/**/*.ts'],
    rules: { 'no-restricted-imports': keepOut('temporal', 'workflows', 'activities', 'api', 'workers') },
  },
  {
    files: ['common/**/*.ts'],
    ignores: ['common/codec.ts'],
    rules: {
      'no-restricted-imports': keepOut('temporal', 'workflows', 'activities', 'api', 'integrations', 'workers'),
    },
  },
  // The payload codec is Temporal's PayloadCodec: the one common/ file that speaks Temporal.
  {
    files: ['common/codec.ts'],
    rules: { 'no-restricted-imports': keepOut('workflows', 'activities', 'api', 'integrations', 'workers') },
  },
  { files: ['activities/**/*.ts'], rules: { 'no-restricted-imports': keepOut('api', 'workers') } },
  {
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { ...rooms.activities, message: 'api/ does not run activities.' },
            { ...rooms.workers },
            {
              regex: '/workflows/(?!definitions$)',
              allowTypeImports: true,
              message: 'api/ takes signals, queries and search attributes from workflows/definitions only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O packages.
    // Only the workflow SDK, Temporal's common types, sibling workflow files and the pure domain and outbox-policy
    // modules; types may come from anywhere.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!(@temporalio/workflow|@temporalio/common|\\.\\./common/(conversation|outbox|budgets))$|\\./)',
              allowTypeImports: true,
              message:
                'workflows/ may import only @temporalio/workflow, @temporalio/common, ../common/conversation, ../common/outbox, ../common/budgets and ./ files (use `import type` for the rest).',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON answers loosely on purpose; the assertions check their shape.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
