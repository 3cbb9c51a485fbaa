import config from '@jwtgate/eslint-config'

export default [
  ...config,
  {
    // NestJS apps: a module is an empty decorated class, and Nest's option types are classes
    // that its documentation fills with object literals.
    files: ['test/nest.ts'],
    rules: {
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
]
