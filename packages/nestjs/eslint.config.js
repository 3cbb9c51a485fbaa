import config from '@jwtgate/eslint-config'

export default [
  ...config,
  {
    rules: {
      // A Nest module is an empty class that only carries its @Module() decorator.
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      // Nest's option types are classes that its documentation fills with object literals.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
]
