// Lint is part of `npm test`: typescript-eslint's type-aware rules catch floating promises and `any` leaks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.cache/**', 'node_modules/**', 'test-results/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The webviews are browser ESM bundles with their own tsconfig (Bundler resolution for ESM-only packages).
    files: ['webview/**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: './webview/tsconfig.json', tsconfigRootDir: import.meta.dirname } },
  },
  {
    // node:test's test() returns a promise that the runner itself tracks.
    files: ['test/unit/**/*.ts', 'test/integration/**/*.ts', 'test/hostile/**/*.ts', 'test/k8s/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it'] }] }] },
  },
  {
    // One direction of imports: core and the simulator never see `vscode`.
    files: ['src/simulator/**/*.ts', 'src/cli/**/*.ts', 'src/protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'only src/vscode may import vscode' }] }] },
  },
  {
    // core is used by the extension, the CLI and the simulator: it imports none of them.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'only src/vscode may import vscode' }],
        patterns: [{ group: ['**/vscode/**', '**/cli/**', '**/simulator/**'], message: 'src/core imports nothing from src/vscode, src/cli or src/simulator' }],
      }],
    },
  },
  {
    // Webviews run in the browser: they talk to the adapter through src/protocol and share only these core files.
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'webviews talk to the adapter through src/protocol messages' }],
        patterns: [{
          regex: '^(\\.\\./)+src/(?!protocol/|core/chat/conversation$|core/bench/resultTables$)',
          message: 'webviews import only src/protocol and the shared core files (core/chat/conversation, core/bench/resultTables)',
        }],
      }],
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', performance: 'readonly', TextDecoder: 'readonly', setImmediate: 'readonly' } } },
  // Test infrastructure scripts run as plain CommonJS under Node (no build step), so they use require().
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Playwright scripts pass functions that run inside the page or a webview.
  { files: ['test/ui/**/*.js', 'test/infra/bench-chat*.js'], languageOptions: { globals: { document: 'readonly', window: 'readonly', requestAnimationFrame: 'readonly', MessageEvent: 'readonly', PerformanceObserver: 'readonly' } } },
);
