// ESLint (flat config): the recommended rules of ESLint and typescript-eslint, without
// type information so `npm run lint` stays fast. npm test runs it (pretest).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // require() inside a function is how this code loads what most runs never need
      // (transport, listr2, http, crypto, the expression evaluator: start-up time is
      // measured, see bench/) and how it loads user plugins and fabfiles by path.
      '@typescript-eslint/no-require-imports': 'off',
      // The buildout and Python-expression parsers match control characters on purpose
      // (NUL, \x0b, \x1c-\x1e are whitespace or errors in Python), as does the test of
      // terminal output (ESC sequences).
      'no-control-regex': 'off',
    },
  },
  {
    // Plain CommonJS for Node: the bin script, jest's config and the fixture plugins.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
]);
