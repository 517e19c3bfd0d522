// Determinism is guarded by tools: no floating, misused or non-promise awaits anywhere, no Node built-ins in workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import words from './scripts/lint/words.mjs';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      // `await` on what is not a promise waits for nothing: `await allHandlersFinished()` checked nothing.
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Everything bundled into the workflow sandbox: the kit, each process's workflows and messages.
    files: ['workflows/**/*.ts', 'platform/workflowKit/**/*.ts', 'processes/**/*.workflow.ts', 'processes/**/messages.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins (do I/O in an activity).' })),
          patterns: [
            { group: ['**/activities', '**/activities/*', '**/*Activities', '**/activityDeps'], allowTypeImports: true, message: 'Import activities with `import type` only: a value import drags I/O into the workflow bundle.' },
            { group: ['**/platform/db/*', '**/platform/notices', '**/platform/notices/*', '**/platform/http/*', '**/platform/console/*', '**/platform/temporal/*', '!**/platform/temporal/taskQueues', '!**/platform/temporal/searchAttributes', '**/repository', '**/api/*', '**/console/*', '**/runtime/*', '**/app/*'], message: 'Workflow code must not import I/O modules.' },
          ],
        },
      ],
    },
  },
  // Words, not sentences (issue #20, docs/console.md): what a person reads is said from the catalogue
  // in their language; workflows, notice contexts and console views hold keys and codes.
  {
    files: ['**/*.workflow.ts', 'platform/workflowKit/**/*.ts'],
    ignores: ['test/**'],
    plugins: { words },
    rules: { 'words/no-workflow-sentences': 'error' },
  },
  {
    files: ['**/*.ts'],
    ignores: ['test/**', 'scripts/**'],
    plugins: { words },
    rules: { 'words/no-notice-sentences': 'error' },
  },
  {
    files: ['**/console/**/*.ts', 'reports/**/*.ts'],
    ignores: ['test/**'],
    plugins: { words },
    rules: { 'words/no-console-sentences': 'error' },
  },
);
