// ESLint flat config: typescript-eslint's strict, type-aware rules over the whole TypeScript tree.
// Formatting is Prettier's job (.prettierrc.json); the import rules between layers are
// dependency-cruiser's (.dependency-cruiser.cjs), both run by `npm run lint`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench/clients/node_modules/**',
      'bench/results/**',
      'coverage/**',
      '.stack/**',
      '.stack-*/**',
      '.tmp-chaos/**',
      'training/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Template literals with numbers and bigints are how log and error messages are written here.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    // Keep disableTypeChecked's parserOptions (projectService off): plain JS files are outside tsconfig.
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // the dashboard's page script runs in the browser, served as it is (src/dashboard/assets)
    files: ['src/dashboard/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
);
