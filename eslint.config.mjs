// Type-aware linting; workflow code gets the determinism rules Temporal needs.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'storage/**', 'coverage/**', '**/*.mjs', 'jest.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    // Plain CommonJS scripts that run before anything is built (npm's postinstall): no type information.
    files: ['**/*.cjs'],
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflows must be deterministic: no Node built-ins.' },
            {
              group: ['undici', 'sequelize', 'pg', 'sqlite3', 'tedious', 'pino', 'koa', '@koa/*'],
              message: 'No I/O libraries in workflow code.',
            },
            {
              group: ['../api/*', '../wppconnect/*', '../triage/*', '../config/*', '../observability/*'],
              message: 'Workflows import only types from activities and pure modules.',
              allowTypeImports: true,
            },
            {
              // db/types.ts holds the status rules shared with the repository: pure functions, no imports.
              regex: '^\\.\\./db(/(?!types$).*)?$',
              message: 'Workflows import only types from the database layer.',
              allowTypeImports: true,
            },
          ],
          paths: ['fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process', 'net', 'timers'].map((name) => ({
            name,
            message: 'Workflows must be deterministic.',
          })),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop.' },
      ],
    },
  },
  {
    // The cross-process contract: other services import it, so it imports nothing else of the project.
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '../**'], message: 'contracts/ imports nothing else of the project.' }] },
      ],
    },
  },
  {
    // Adapters and services depend on the contract, never on workflow code.
    files: [
      'api/**/*.ts',
      'wppconnect/**/*.ts',
      'simulator/**/*.ts',
      'db/**/*.ts',
      'triage/**/*.ts',
      'media/**/*.ts',
      'console/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../workflows/*', '../../workflows/*'],
              message: 'Import the contract (contracts/), not workflow code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
