// One lint config for all TypeScript in the repo; generated code is excluded (it is regenerated, never edited).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'proto/generated/**', 'trainer/**', 'models/**', '.venv/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // CLIs, tests, benchmarks and scripts talk to a terminal on purpose.
    files: ['client/cli/**', 'client/commands/**', 'test/**', 'bench/**', 'scripts/**', 'synth/cli.ts', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The try-a-model page runs in the browser.
    files: ['web/**'],
    languageOptions: { globals: globals.browser },
  },
);
