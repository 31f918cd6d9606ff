import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'agent-ui/**', '.run/**', 'widget/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The widget's sources stay readable in one sitting (issue 14): split a file before it grows past this.
    files: ['widget/src/**'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    files: ['scripts/**', 'bench/**', '**/*.test.ts', '**/test/**', '**/e2e/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
