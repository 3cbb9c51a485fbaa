/**
 * `@jwtgate/jwks`: keys from a JWKS endpoint or OIDC discovery, kept fresh by a self-refreshing
 * key set, and `createAuthenticator`, which picks JWKS or the static key from one options object.
 *
 * @example
 * ```ts
 * import { createAuthenticator } from '@jwtgate/jwks'
 *
 * const auth = createAuthenticator({ jwksUri: 'https://idp.example/.well-known/jwks.json', requiredAudience: 'api' })
 * const principal = await auth.authenticate({ headers: req.headersDistinct, url: req.url })
 * console.log(auth.keySet?.stats().kids)
 * ```
 *
 * @module
 */
export {
  DEFAULT_KEY_SET_LIFETIME_MS,
  keySetLifetimeMs,
  MAX_KEY_SET_LIFETIME_MS,
  MIN_KEY_SET_LIFETIME_MS,
} from './cache-control.js'
export {
  createAuthenticator,
  type ExportedIssuerKeySets,
  type JwksAuthenticator,
} from './create-authenticator.js'
/** The typed readers of the OpenSearch and Aiven forms, re-exported from `@jwtgate/core`. */
export { fromAiven, fromOpenSearch } from '@jwtgate/core'
export {
  FetchError,
  fetchLimited,
  type FetchLimitedOptions,
  type LimitedResponse,
} from './fetch-limited.js'
export {
  KeySetRetriever,
  type RetrievalResult,
  type RetrieverOptions,
} from './key-set-retriever.js'
export {
  importJwk,
  KeySetError,
  parseJwkList,
  parseJwks,
  type ParsedKeySet,
  type SkippedKey,
} from './parse-jwks.js'
export {
  DEFAULT_MAX_STALE_MS,
  retryDelayMs,
  SelfRefreshingKeySet,
  type ExportedKeySet,
  type InitialKeySet,
  type KeySetOperationsOptions,
  type KeySetStats,
  type SelfRefreshingKeySetDeps,
} from './self-refreshing-key-set.js'
