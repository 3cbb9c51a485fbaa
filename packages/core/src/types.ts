import type { KeyObject } from 'node:crypto'
import type { AuthErrorCode } from './errors.js'
import type { Explanation } from './explain.js'
import type { OptionInputs, OptionOutputs, SnakeOptionInputs } from './config/options.js'

/** The JWS algorithms jwtgate verifies. `none` is not among them and never will be. */
export type JwsAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'

/** The request as adapters hand it to `authenticate`: headers (Node's lower-cased names) and URL. */
export interface AuthRequest {
  /**
   * Request headers. Pass Node's `req.headersDistinct` where the framework offers it, so that a
   * repeated `Authorization` header is seen (it is rejected as token_malformed).
   */
  headers: Record<string, string | readonly string[] | undefined>
  /** The request target (`/path?query`) or an absolute URL; read only for `jwtUrlParameter`. */
  url?: string | undefined
}

/**
 * Who the request is from, after every check passed. Frozen: share it, never mutate it.
 *
 * `TClaims` types `claims` for your custom claims (it is not checked at run time: validate what
 * you rely on with `requiredClaims` or `verifyClaims`). A `Principal<MyClaims>` is assignable to
 * a plain `Principal`.
 *
 * @typeParam TClaims - the shape of the claims set
 * @example
 * ```ts
 * interface MyClaims { org_id: string; plan?: 'free' | 'pro' }
 * const authenticator = createStaticAuthenticator<MyClaims>(options)
 * const principal = await authenticator.authenticate(request)
 * principal.claims.org_id // string
 * ```
 */
export interface Principal<TClaims extends object = Record<string, unknown>> {
  /** The user name, from `subjectKey` (a number claim is turned into its decimal form). */
  readonly subject: string
  /** Roles from `rolesKey`, duplicates removed; empty when `rolesKey` is unset. */
  readonly roles: readonly string[]
  /**
   * OAuth scopes from `scopesKey` (default: `scope`, then `scp`): a space-separated string or an
   * array of strings, exact and case-sensitive, never comma-split, duplicates removed. Frozen;
   * empty when the token has none.
   */
  readonly scopes: readonly string[]
  /** The verified claims set. */
  readonly claims: Readonly<TClaims>
  /** The verified JOSE header. */
  readonly header: Readonly<Record<string, unknown>>
  /** The compact token that was verified. */
  readonly token: string
}

/**
 * Verifies requests. Build it once at start-up and share it across requests.
 *
 * @typeParam TClaims - the shape of `principal.claims` (see {@link Principal}); an
 *   `Authenticator<MyClaims>` is accepted wherever a plain `Authenticator` is
 */
export interface Authenticator<TClaims extends object = Record<string, unknown>> {
  /**
   * Authenticates one request.
   *
   * @param request - headers and URL
   * @returns the verified principal
   * @throws {@link AuthError} with one of the codes of DESIGN.md
   */
  authenticate(request: AuthRequest): Promise<Principal<TClaims>>
  /**
   * The same checks as {@link Authenticator.authenticate}, without a Promise when none is needed:
   * it returns the principal, or throws the {@link AuthError}, synchronously whenever the keys are
   * at hand (a token-cache hit, static keys, keys already in the key set), and returns a Promise
   * only while keys are being fetched. Adapters use it to continue in the same tick. Optional, so
   * that any object with `authenticate` and `close` is still an authenticator.
   *
   * @param request - headers and URL
   * @returns the verified principal, or a Promise of it
   * @throws {@link AuthError} (synchronously, or as the Promise's rejection)
   */
  authenticateNow?(request: AuthRequest): Principal<TClaims> | Promise<Principal<TClaims>>
  /**
   * Stops timers and aborts background work, and drops the verified-token cache. Idempotent. A
   * closed authenticator rejects every later request (cached tokens included) with
   * jwks_unavailable (503).
   */
  close(): Promise<void>
  /**
   * Why a request would be accepted or refused: every check in pipeline order with its verdict and
   * detail, the decoded header and claims, the key asked for and the kids on offer, the clock in
   * effect, and the final code. It runs the same pipeline as {@link Authenticator.authenticate}
   * (so the two agree), bypasses the token cache, reports no `auth.*` events, and fetches keys
   * only as `authenticate` would. Never rejects. Optional, so that any object with `authenticate`
   * and `close` is still an authenticator.
   *
   * @param request - headers and URL
   * @returns the explanation
   */
  explain?(request: AuthRequest): Promise<Explanation>
  /** The `challenge` option it was built with; adapters use it to render responses. */
  readonly challenge?: boolean
  /** The `realm` option it was built with; adapters use it to render responses. */
  readonly realm?: string
  /**
   * The `jwtHeader` option it was built with (`Authorization` when absent); adapters look for a
   * repeated line of this header in the raw request.
   */
  readonly jwtHeader?: string
  /**
   * Resolves once keys are usable: at once for static keys; for a key set after the first
   * successful fetch (or a usable `initialJwks`). Rejects with an `AuthError` jwks_unavailable
   * whose `cause` names the reason when that fetch fails; a later call waits for the next
   * attempt. For readiness probes and start-up. Optional, so that any object with `authenticate`
   * and `close` is still an authenticator; every authenticator jwtgate builds has it.
   */
  ready?(): Promise<void>
  /**
   * The state of the keys, synchronously and cheaply (a fraction of a microsecond), for
   * readiness and liveness probes. Optional like {@link Authenticator.ready}; every
   * authenticator jwtgate builds has it.
   */
  health?(): AuthenticatorHealth
}

/** What {@link Authenticator.health} reports. */
export interface AuthenticatorHealth {
  /**
   * `starting`: no usable key yet and no attempt failed; `ok`: keys usable; `stale`: keys usable
   * but the last refresh failed (they are kept up to `maxStaleMs`); `unavailable`: no usable key
   * (the fetch failed, the keys passed `maxStaleMs`, or the authenticator was closed).
   */
  readonly status: 'starting' | 'ok' | 'stale' | 'unavailable'
  /** Usable keys (0 when none is). */
  readonly keys: number
  /** When the keys in hand were fetched (ms since the epoch); undefined for static keys. */
  readonly lastRefreshAt?: number | undefined
  /** With `stale` (or `unavailable` past `maxStaleMs`): the age of those keys, in ms. */
  readonly staleForMs?: number | undefined
  /** Why the last refresh failed (a short reason such as `timeout` or `http_500`); cleared by a success. */
  readonly lastError?: string | undefined
  /**
   * With `issuers`, when the status is not `ok`: the issuer whose state this is (the worst one;
   * `keys` is the sum over every issuer).
   */
  readonly issuer?: string | undefined
  /** With `issuers`, when the status is not `ok`: each issuer's own health, by issuer. */
  readonly issuers?: Readonly<Record<string, AuthenticatorHealth>> | undefined
}

/** A key bound to the algorithms it may verify. The binding is what defeats algorithm confusion. */
export interface VerificationKey {
  /** Key id (`kid`) from a JWK; static keys have none. */
  readonly kid: string | undefined
  /** Key family. */
  readonly type: 'hmac' | 'rsa' | 'ec' | 'ed25519'
  /** The only algorithms this key verifies. */
  readonly algorithms: ReadonlySet<JwsAlgorithm>
  /** The imported key. */
  readonly keyObject: KeyObject
}

/** The protected header fields that key selection reads, already type-checked. */
export interface KeySelector {
  /** The token's algorithm, already checked against the allow-list. */
  readonly alg: JwsAlgorithm
  /** The token's key id; `undefined` when absent or empty. */
  readonly kid: string | undefined
}

/**
 * Where an authenticator's keys come from: static keys in core, a JWKS in `@jwtgate/jwks`.
 * `select` returns the keys to try (at most 4 are tried) or throws an {@link AuthError}
 * (`key_not_found`, `jwks_unavailable`). A synchronous return keeps the hot path free of awaits.
 */
export interface KeyResolver {
  /** Algorithms these keys can ever verify; intersected with the `algorithms` option. */
  readonly algorithms: ReadonlySet<JwsAlgorithm>
  /** Candidate keys for a token, compatible with `selector.alg`. */
  select(selector: KeySelector): readonly VerificationKey[] | Promise<readonly VerificationKey[]>
  /** Changes whenever the key set changes; the verified-token cache is dropped when it does. */
  readonly generation: number
  /**
   * How many candidate keys one token may be tried against. Remote key sets keep the default
   * (4: a key set cannot make one token cost many verifications); a static list from the operator
   * tries every key. @defaultValue 4
   */
  readonly maxKeysTried?: number
  /**
   * Issuers learnt at run time (OIDC discovery) whose tokens these keys may verify: when the
   * `requiredIssuer` option is not set, a token's `iss` must be one of them. An empty set (not
   * learnt yet) refuses every token with issuer_mismatch; `undefined` adds no issuer check.
   */
  readonly trustedIssuers?: ReadonlySet<string> | undefined
  /** Stops background work. */
  close?(): void | Promise<void>
  /**
   * The keys on offer, for `explain()`: kid, type and algorithms of each, never key material.
   * Optional; without it explain() cannot list the kids on offer.
   */
  describeKeys?(): readonly KeyDescription[]
  /** Number of keys, reported by `health()` when the resolver has no `health` of its own. */
  readonly keyCount?: number
  /** Resolves once keys are usable (see {@link Authenticator.ready}); static keys: at once. */
  ready?(): Promise<void>
  /** The state of the keys (see {@link Authenticator.health}); static keys: `ok`. */
  health?(): AuthenticatorHealth
}

/** A key as `explain()` shows it. */
export interface KeyDescription {
  /** Key id; static keys have none. */
  readonly kid: string | undefined
  /** Key family. */
  readonly type: VerificationKey['type']
  /** The algorithms it verifies. */
  readonly algorithms: readonly JwsAlgorithm[]
}

/** Fields every event may carry. */
export interface EventBase {
  /** With `issuers`: the issuer whose key set or checks reported the event. */
  readonly issuer?: string
}

/** A JWKS or discovery response was received (DESIGN.md, Events). */
export interface JwksFetchEvent extends EventBase {
  readonly type: 'jwks.fetch'
  /** The URL fetched. */
  readonly url: string
  /** HTTP status (304 when not modified). */
  readonly status: number
  readonly durationMs: number
  /** Body size in bytes (0 for 304). */
  readonly bytes: number
  /** Usable keys in the set; undefined for 304. */
  readonly keys: number | undefined
  readonly notModified: boolean
}

/** A JWKS or discovery fetch failed; known keys stay in use. */
export interface JwksFetchFailedEvent extends EventBase {
  readonly type: 'jwks.fetch_failed'
  readonly url: string
  /** A short reason code, e.g. `timeout`, `status_500`, `too_large`. */
  readonly reason: string
  readonly durationMs: number
}

/** A key of the set was skipped (unusable, private, weak …). */
export interface JwksKeySkippedEvent extends EventBase {
  readonly type: 'jwks.key_skipped'
  /** The key's kid, escaped and cut to 64 characters. */
  readonly kid: string | undefined
  readonly reason: string
}

/** An unknown kid was refused without a refresh: the refresh budget is spent. Bounded. */
export interface JwksRateLimitedEvent extends EventBase {
  readonly type: 'jwks.rate_limited'
  /** The token's kid (attacker-chosen): escaped and cut to 64 characters. */
  readonly kid: string
}

/** Known keys were served after a failed refresh. */
export interface JwksStaleEvent extends EventBase {
  readonly type: 'jwks.stale'
  /** Age of the key set, ms. */
  readonly ageMs: number
  /** The `maxStaleMs` bound the keys are held to. */
  readonly maxStaleMs?: number
  /** True once the keys passed `maxStaleMs` and stopped verifying. */
  readonly expired?: boolean
}

/** A configuration that works but is probably not what was meant. */
export interface ConfigWarningEvent extends EventBase {
  readonly type: 'config.warning'
  readonly message: string
}

/** A request was authenticated. Emitted only when a listener is set. */
export interface AuthSuccessEvent extends EventBase {
  readonly type: 'auth.success'
  /** Answered from the verified-token cache. */
  readonly cached: boolean
  /** The token's algorithm. */
  readonly alg: string
  /** The token's issuer (escaped, cut to 64 characters), when it is a string. */
  readonly iss?: string
}

/** A request was refused. Emitted only when a listener is set; bounded (100 per second). */
export interface AuthFailureEvent extends EventBase {
  readonly type: 'auth.failure'
  /** The error code. */
  readonly code: AuthErrorCode
  /** The header's `alg`, when the header could be read (escaped, cut to 64 characters). */
  readonly alg?: string
  /** The header's `kid` (attacker-chosen: escaped, cut to 64 characters). */
  readonly kid?: string
  /** The `iss` claim, once the signature verified (escaped, cut to 64 characters). */
  readonly iss?: string
  /** The error message: fixed text, never token data. */
  readonly detail: string
}

/**
 * Events of one bounded type beyond 100 in a second were dropped; one summary per type per second.
 * (`eventType` rather than `type`: `type` names this event.)
 */
export interface EventsSuppressedEvent extends EventBase {
  readonly type: 'events.suppressed'
  /** The type of the dropped events, e.g. `auth.failure`. */
  readonly eventType: BoundedEventType
  /** How many were dropped. */
  readonly count: number
}

/** Per-request event types that are rate-bounded (DESIGN.md, Events). */
export type BoundedEventType = 'auth.failure' | 'jwks.rate_limited'

/**
 * An event reported through `onEvent`, a discriminated union on `type`. It never holds a token, a
 * secret or key material; attacker-chosen strings are escaped and cut to 64 characters.
 *
 * @example
 * ```ts
 * onEvent: (e) => {
 *   if (e.type === 'auth.failure') log.warn({ code: e.code, kid: e.kid }, 'token refused')
 * }
 * ```
 */
export type AuthEvent =
  | JwksFetchEvent
  | JwksFetchFailedEvent
  | JwksKeySkippedEvent
  | JwksRateLimitedEvent
  | JwksStaleEvent
  | ConfigWarningEvent
  | AuthSuccessEvent
  | AuthFailureEvent
  | EventsSuppressedEvent

/** TLS settings for the JWKS and discovery requests (OpenSearch `jwks.*`). */
export interface JwksTlsOptions {
  /** PEM CA certificate(s) to trust instead of the default store. */
  ca?: string | readonly string[]
  /** PEM client certificate, for mutual TLS. */
  cert?: string
  /** PEM client private key, for mutual TLS. */
  key?: string
  /** Passphrase of `key`. */
  passphrase?: string
  /**
   * Verify the server certificate. Turning this off is explicit and reported as a `config.warning`.
   * @defaultValue true
   */
  rejectUnauthorized?: boolean
  /**
   * Check that the server certificate names the host (OpenSearch `jwks.verify_hostnames`).
   * `false` skips only the host-name check: the certificate chain is still verified against the
   * trusted CAs. Explicit, and reported as a `config.warning`. @defaultValue true
   */
  verifyHostnames?: boolean
}

/** The verified-token cache settings. */
export interface TokenCacheOptions {
  /**
   * Maximum number of cached tokens (least recently used are evicted).
   * @defaultValue 10000
   */
  max: number
  /**
   * Longest time an entry is kept, in milliseconds; never past the token's `exp`.
   * @defaultValue 60000
   */
  ttlMs: number
}

/** Test and integration hooks; not needed in production. */
export interface AdvancedOptions {
  /** Wall clock in milliseconds, for claims checks. @defaultValue Date.now */
  clock?: () => number
}

/**
 * The options, camelCase. Every member is derived from the one option definition
 * (`OPTION_DEFINITIONS`), so a misspelled or mistyped option does not compile.
 * `normalizeConfig()` also accepts the OpenSearch snake_case block and the Aiven `jwt.*` form
 * ({@link OpenSearchJwtConfig}, {@link AivenJwtConfig}; see `fromOpenSearch` / `fromAiven`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, for declaration merging and readable errors
export interface JwtAuthOptions extends OptionInputs {}

/** The output of `normalizeConfig`: every default filled in, lists normalised, frozen. */
export interface ResolvedOptions extends OptionOutputs {
  /** Always `true`: a disabled config resolves to {@link DisabledOptions}. */
  readonly enabled: true
}

/**
 * A custom claims rule (`verifyClaims`): synchronous, run once per verified token; `false` or a
 * string (the message) rejects with claim_invalid, as does a rule that throws.
 */
export type ClaimsRule = (
  claims: Readonly<Record<string, unknown>>,
  header: Readonly<Record<string, unknown>>,
) => boolean | string | undefined | void // eslint-disable-line @typescript-eslint/no-invalid-void-type -- a rule that returns nothing passes

/** A JSON Web Key Set, `{ keys: [...] }` (RFC 7517 §5). */
export interface JsonWebKeySet {
  /** The keys, as JSON objects. */
  readonly keys: readonly Readonly<Record<string, unknown>>[]
}

/** A key set saved with the time it was fetched (what a key set's `exportKeys()` returns). */
export interface SavedJsonWebKeySet {
  /** The keys. */
  readonly jwks: JsonWebKeySet
  /** When they were fetched, in milliseconds since the epoch; counts toward `maxStaleMs`. */
  readonly fetchedAt: number
}

/** `initialJwks`: a key set to use before the first fetch. */
export type InitialJwks = JsonWebKeySet | SavedJsonWebKeySet

/**
 * One entry of `issuers`: the issuer (`iss`, matched exactly), where its keys come from and any
 * per-issuer option; unset options fall back to the top-level ones.
 */
export interface IssuerOptions extends Omit<JwtAuthOptions, 'issuers' | 'enabled'> {
  /** The `iss` value this entry serves, matched exactly. */
  issuer: string
}

/** OpenSearch `jwks.*` TLS settings (nested as `jwks: { … }` or flat as `jwks.enable_ssl`). */
export interface OpenSearchJwksTlsSettings {
  /** Use the TLS settings below. */
  enable_ssl?: boolean | string
  /** PEM CA certificate(s). */
  pemtrustedcas_content?: string
  /** File holding the PEM CA certificate(s), read at start-up. */
  pemtrustedcas_filepath?: string
  /** PEM client certificate. */
  pemcert_content?: string
  /** File holding the PEM client certificate. */
  pemcert_filepath?: string
  /** PEM client key. */
  pemkey_content?: string
  /** File holding the PEM client key. */
  pemkey_filepath?: string
  /** Passphrase of the client key. */
  pemkey_password?: string
  /** Do not verify the server certificate. */
  trust_all?: boolean | string
  /** Verify host names (always on). */
  verify_hostnames?: boolean | string
  /** Send the client certificate. */
  enable_ssl_client_auth?: boolean | string
}

/**
 * The OpenSearch `jwt` auth domain's `http_authenticator.config` block (snake_case; numbers and
 * booleans may be strings, as in `opensearch.yml`). Pass it to `fromOpenSearch` or `normalizeConfig`.
 */
export type OpenSearchJwtConfig = Omit<SnakeOptionInputs, 'enabled'> & {
  /** TLS settings for the JWKS and discovery requests. */
  jwks?: OpenSearchJwksTlsSettings
} & {
  [K in keyof OpenSearchJwksTlsSettings as `jwks.${K}`]?: OpenSearchJwksTlsSettings[K]
}

/** The whole OpenSearch `http_authenticator` block: `{ type, challenge, config }`. */
export interface OpenSearchHttpAuthenticator {
  /** `jwt` (or `openid`). */
  type?: 'jwt' | 'openid'
  /** Send `WWW-Authenticate` on 401. */
  challenge?: boolean | string
  /** The settings. */
  config: OpenSearchJwtConfig
}

/** Aiven `user_config` JWT settings, without the `jwt.` prefix. */
export type AivenJwtSettings = SnakeOptionInputs & {
  /** `false` disables JWT authentication; such a config cannot build an authenticator. */
  enabled?: boolean | string
}

/** Aiven `user_config`: `{ jwt: { enabled, signing_key, … } }` or flat `jwt.*` keys. */
export type AivenJwtConfig =
  | {
      /** The settings, nested. */
      jwt: AivenJwtSettings
    }
  | { [K in keyof AivenJwtSettings as `jwt.${K}`]?: AivenJwtSettings[K] }

/** What `normalizeConfig` returns for a disabled (Aiven `jwt.enabled: false`) config. */
export interface DisabledOptions {
  readonly enabled: false
}
