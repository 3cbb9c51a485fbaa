// Shared flat config: @eslint/js recommended + typescript-eslint strict type-checked rules.
// A package's eslint.config.js re-exports this; there are no per-package rule sets.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** Layering: core may import only node: built-ins; no package reaches into another's src/test. */
const crossPackageImports = {
  patterns: [
    {
      group: ['**/packages/*/src/**', '**/packages/*/test/**', '../../*/src/**', '../../*/test/**'],
      message: 'Import other workspace packages by name (@jwtgate/…), never by path.',
    },
  ],
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/coverage/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '**/.readme-examples/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': [
        'error',
        { allowConstantLoopConditions: true },
      ],
      'no-restricted-imports': ['error', crossPackageImports],
    },
  },
  {
    // Tests may use non-null assertions and looser typing for fixtures.
    files: ['**/test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
)

/**
 * Extra rule for @jwtgate/core: only node: built-ins may be imported (zero npm dependencies).
 * Spread after the default config in packages/core/eslint.config.js.
 */
export const coreOnlyNodeBuiltins = {
  files: ['src/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        ...crossPackageImports,
        patterns: [
          ...crossPackageImports.patterns,
          {
            regex: '^(?!node:|\\.{1,2}/)',
            message:
              '@jwtgate/core has zero dependencies: import node: built-ins or relative files only.',
          },
        ],
      },
    ],
  },
}
