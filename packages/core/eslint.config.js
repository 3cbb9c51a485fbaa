import config, { coreOnlyNodeBuiltins } from '@jwtgate/eslint-config'

export default [...config, coreOnlyNodeBuiltins]
