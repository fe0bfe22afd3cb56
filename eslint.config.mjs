// Lint and the house's walls (docs/architecture.md, "Dependency rules"). `npm run lint` runs in CI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/** no-restricted-imports patterns: a folder may not reach into the ones named. */
const wall = (message, ...folders) => ({
  'no-restricted-imports': ['error', { patterns: [{ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'shared/generated/**', '.sandbox/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Style the code base does not follow and that finds no bugs here.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-regex-spaces': 'off',
      // A teardown registered before a process is spawned reads the variable first.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  // Tests match terminal escapes on purpose.
  { files: ['test/**/*.ts'], rules: { 'no-control-regex': 'off' } },
  // The walls. Product code never imports test/; shared/ is the ground floor; the agent and the
  // coordinator never import each other; the simulator is built on shared/ alone.
  { files: ['shared/**/*.ts'], rules: wall('shared/ is the ground floor: it imports nothing of the project but itself', 'test', 'coordinator', 'agent', 'sim', 'bench') },
  { files: ['agent/**/*.ts'], rules: wall('the agent never imports the coordinator, the simulator or tests', 'test', 'coordinator', 'sim', 'bench') },
  { files: ['coordinator/**/*.ts'], rules: wall('the coordinator never imports the agent or tests (the sandbox starts agents as processes)', 'test', 'agent', 'bench') },
  { files: ['sim/**/*.ts'], rules: wall('the simulator is a product part built on shared/ alone', 'test', 'coordinator', 'agent', 'bench') },
);
