/**
 * `@jwtgate/cli`: the `jwtgate` command. `jwtgate explain <token> --config <file>` says why a JWT is
 * accepted or refused, check by check, for the configuration operators already keep: OpenSearch's
 * security `config.yml` (its `jwt` auth domains), one `http_authenticator.config` block, an Aiven
 * `user_config`, or jwtgate's own options.
 *
 * The same functions are exported for tools that want them in-process.
 *
 * @example
 * ```sh
 * npx @jwtgate/cli explain "$TOKEN" --config config.yml --domain jwt_auth_domain
 * ```
 *
 * @module
 */
export { loadConfig, UsageError, type ConfigForm, type LoadedConfig } from './config.js'
export {
  renderHuman,
  renderJson,
  stylesFor,
  type ExplainStep,
  type ExplanationLike,
  type ReportContext,
  type Styles,
} from './render.js'
export { EXIT, run, USAGE, type CliIo } from './run.js'
export { cleanToken, readAll } from './token.js'
