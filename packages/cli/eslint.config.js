export { default } from '@jwtgate/eslint-config'
