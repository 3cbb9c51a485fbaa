/**
 * `@jwtgate/core`: JWT bearer authentication for Node.js with zero npm dependencies.
 *
 * Configuration (camelCase, OpenSearch snake_case and Aiven `jwt.*` forms), token extraction,
 * strict compact JWS parsing, signature verification on `node:crypto` with keys imported once,
 * the claims policy, subject and roles extraction, and one error model.
 *
 * @example
 * ```ts
 * import { createStaticAuthenticator, isAuthError, toHttpResponse } from '@jwtgate/core'
 *
 * const auth = createStaticAuthenticator({ signingKey: publicKeyPem, requiredIssuer: 'https://idp.example' })
 * try {
 *   const principal = await auth.authenticate({ headers: req.headersDistinct, url: req.url })
 * } catch (err) {
 *   if (!isAuthError(err)) throw err
 *   const { status, headers, body } = toHttpResponse(err)
 * }
 * ```
 *
 * @module
 */
export {
  createKeyResolverAuthenticator,
  createStaticAuthenticator,
  createStaticKeyResolver,
  describeKey,
  MAX_KEYS_TRIED,
  MAX_KID_LENGTH,
  resolveOptions,
  type OperableAuthenticator,
} from './authenticator.js'
export { compilePath, readPath, type ClaimPath } from './claims/principal.js'
export {
  createIssuersAuthenticator,
  createStaticIssuerRoute,
  resolveIssuers,
  type IssuerRoute,
  type ResolvedIssuer,
} from './issuers.js'
export { DEFAULTS } from './config/defaults.js'
export {
  fromAiven,
  fromOpenSearch,
  normalizeConfig,
  type NormalizedConfig,
} from './config/normalize.js'
export {
  OPTION_DEFINITIONS,
  optionTableRows,
  type InputOf,
  type Lenient,
  type OptionDefinition,
  type OptionDefinitions,
  type OptionInputs,
  type OptionName,
  type OptionOutputs,
  type OutputOf,
  type OptionTable,
  type SnakeOptionInputs,
} from './config/options.js'
export { MIN_MAX_STALE_MS, RESERVED_JWKS_HEADERS, type OptionEntry } from './config/validators.js'
export {
  AUTH_ERRORS,
  AuthError,
  challengeFor,
  ConfigError,
  isAuthError,
  REALM,
  withChallenge,
  type AuthErrorCode,
  type AuthErrorOptions,
  type ChallengeOptions,
} from './errors.js'
export type { ExplainCheck, Explanation, ExplanationKey, ExplanationStep } from './explain.js'
export {
  ADAPTER_OPTION_KEYS,
  assertRoles,
  createAdapterSetup,
  createRequestGuard,
  createRequirement,
  headersOf,
  isAuthenticator,
  isPreflight,
  type AdapterInput,
  type AdapterOptions,
  type AdapterSetup,
  type GuardCallback,
  type GuardOptions,
  type GuardRequest,
  type NodeRequestHeaders,
  type RequestGuard,
  type RequirementKind,
  type RouteRequirement,
  type SkipRequest,
  type SkipRule,
} from './http/guard.js'
export {
  toHttpResponse,
  type AuthErrorResponse,
  type ToHttpResponseOptions,
} from './http/to-response.js'
export {
  ALL_ALGORITHMS,
  ASYMMETRIC_ALGORITHMS,
  bindKey,
  isJwsAlgorithm,
  MAX_RSA_BITS,
  MIN_HMAC_BYTES,
  MIN_RSA_BITS,
  ROCA_REASON,
} from './keys/algorithms.js'
export { hasRocaFingerprint, ROCA_PRIMES } from './keys/roca.js'
export { importSigningKey, importSigningKeys } from './keys/import-signing-key.js'
export { escapeForLog, hasControlChars, MAX_EVENT_STRING_LENGTH } from './lib/control.js'
export {
  createEmitter,
  MAX_EVENTS_PER_SECOND,
  type Emit,
  type EmitterOptions,
} from './lib/events.js'
export { checkRoles, type RolesMode } from './roles.js'
export type {
  AdvancedOptions,
  AivenJwtConfig,
  AivenJwtSettings,
  AuthEvent,
  AuthFailureEvent,
  AuthSuccessEvent,
  BoundedEventType,
  ConfigWarningEvent,
  EventBase,
  EventsSuppressedEvent,
  JwksFetchEvent,
  JwksFetchFailedEvent,
  JwksKeySkippedEvent,
  JwksRateLimitedEvent,
  JwksStaleEvent,
  KeyDescription,
  ClaimsRule,
  InitialJwks,
  IssuerOptions,
  JsonWebKeySet,
  OpenSearchHttpAuthenticator,
  OpenSearchJwksTlsSettings,
  OpenSearchJwtConfig,
  SavedJsonWebKeySet,
  Authenticator,
  AuthenticatorHealth,
  AuthRequest,
  DisabledOptions,
  JwksTlsOptions,
  JwsAlgorithm,
  JwtAuthOptions,
  KeyResolver,
  KeySelector,
  Principal,
  ResolvedOptions,
  TokenCacheOptions,
  VerificationKey,
} from './types.js'
