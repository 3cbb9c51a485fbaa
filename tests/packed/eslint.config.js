import config from '@jwtgate/eslint-config'

// fixture/ is what a consumer outside the workspace writes (CommonJS, its own tsconfig); the test
// runs and typechecks it against the packed tarballs.
export default [...config, { ignores: ['fixture/**'] }]
