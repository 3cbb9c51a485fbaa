// The one definition of every option: its camelCase name (the key), its OpenSearch / Aiven
// aliases, the type it accepts, how it is validated and defaulted, and its README row.
// `normalizeConfig`, the option types (`JwtAuthOptions`, `ResolvedOptions`, the OpenSearch and
// Aiven forms), the alias maps and the README options tables are all derived from it.
import type { KeyObject } from 'node:crypto'
import type { Agent } from 'node:http'
import type {
  AdvancedOptions,
  AuthEvent,
  ClaimsRule,
  InitialJwks,
  IssuerOptions,
  JwksTlsOptions,
  JwsAlgorithm,
  Principal,
  TokenCacheOptions,
} from '../types.js'
import { DEFAULTS } from './defaults.js'
import {
  advanced,
  agent,
  algorithms,
  bool,
  claimPath,
  claimPathList,
  fn,
  headerName,
  headerRecord,
  initialJwks,
  integer,
  issuerList,
  jwksTls,
  maxStale,
  optionalInteger,
  optionalString,
  realm,
  signingKeys,
  stringList,
  tokenCache,
  typList,
  url,
  type OptionEntry,
} from './validators.js'

/** Which README documents an option. */
export type OptionTable = 'core' | 'jwks'

/**
 * One option. `In` is the type callers may pass (type-level only), `Out` what
 * `normalizeConfig` resolves it to, `A` its snake_case aliases.
 */
export interface OptionDefinition<In, Out, A extends readonly string[] = readonly string[]> {
  /** OpenSearch `http_authenticator.config` / Aiven `jwt.*` names. */
  readonly aliases: A
  /** Validates the entry (undefined when the option is unset) and fills in the default. */
  readonly parse: (entry: OptionEntry | undefined) => Out
  /** The README row; absent for options that are not documented in a table. */
  readonly docs?: {
    readonly table: OptionTable
    /** The default cell; derived from `DEFAULTS` when omitted (`—` when there is none). */
    readonly default?: string
    /** The alias cell when it is not the list of aliases. */
    readonly aliasText?: string
    readonly meaning: string
  }
  /** Type-level only: the accepted input type. Never set. */
  readonly input?: In
}

const option =
  <In>() =>
  <Out, const A extends readonly string[] = readonly []>(
    definition: Omit<OptionDefinition<In, Out, A>, 'input' | 'aliases'> & { aliases?: A },
  ): OptionDefinition<In, Out, A> =>
    Object.freeze({ ...definition, aliases: definition.aliases ?? ([] as unknown as A) })

/**
 * Every option jwtgate accepts (DESIGN.md, Configuration). The order is the order of the README
 * tables.
 */
export const OPTION_DEFINITIONS = Object.freeze({
  /** `false` only from the Aiven `jwt.enabled: false` form; such a config cannot build an authenticator. */
  enabled: option<boolean>()({ aliases: ['enabled'], parse: (e) => bool(e, true) }),
  /** Base64 HMAC secret (≥ 32 bytes), or a PEM / base64 DER RSA, EC or Ed25519 public key or X.509 certificate; a list means any may verify. */
  signingKey: option<string | KeyObject | readonly (string | KeyObject)[]>()({
    aliases: ['signing_key'],
    parse: signingKeys,
    docs: {
      table: 'core',
      meaning:
        'base64 HMAC secret (≥ 32 bytes), or a PEM / base64 DER RSA, EC or Ed25519 public key, PKCS#1 `RSA PUBLIC KEY`, or an X.509 certificate; a list means any may verify',
    },
  }),
  /** Header holding the token; a `Bearer ` prefix (any case) is stripped. @defaultValue 'Authorization' */
  jwtHeader: option<string>()({
    aliases: ['jwt_header'],
    parse: headerName,
    docs: { table: 'core', meaning: 'header holding the token; `Bearer ` (any case) is stripped' },
  }),
  /** Query parameter holding the token; the header wins when both are present. */
  jwtUrlParameter: option<string>()({
    aliases: ['jwt_url_parameter'],
    parse: optionalString,
    docs: {
      table: 'core',
      meaning: 'query parameter holding the token; the header wins when both are present',
    },
  }),
  /** Claim holding the user name; a dotted path, or a list of literal segments. @defaultValue 'sub' */
  subjectKey: option<string | readonly string[]>()({
    aliases: ['subject_key'],
    parse: (e) => claimPath(e) ?? DEFAULTS.subjectKey,
    docs: {
      table: 'core',
      meaning: 'claim with the user name; dotted path, or a list of literal segments',
    },
  }),
  /** Claim holding roles (array, or comma-separated string); a dotted path, or a list of literal segments. */
  rolesKey: option<string | readonly string[]>()({
    aliases: ['roles_key'],
    parse: claimPath,
    docs: { table: 'core', meaning: 'claim with roles: array, or comma-separated string' },
  }),
  /**
   * Claim holding OAuth scopes: a space-separated string (RFC 8693 §4.2, RFC 9068) or an array
   * of strings; a dotted path, or a list of literal segments. Never comma-split.
   * @defaultValue `scope`, then `scp`
   */
  scopesKey: option<string | readonly string[]>()({
    parse: claimPath,
    docs: {
      table: 'core',
      default: '`scope`, then `scp`',
      meaning:
        'claim with OAuth scopes: space-separated string (RFC 8693, RFC 9068) or array of strings; dotted path allowed; never comma-split',
    },
  }),
  /** The token's `aud` must contain one of these (a string is split on commas). */
  requiredAudience: option<string | readonly string[]>()({
    aliases: ['required_audience'],
    parse: (e) => stringList(e, true),
    docs: {
      table: 'core',
      meaning: '`aud` must contain one of these (comma-separated string or list)',
    },
  }),
  /** `iss` must equal one of these exactly. */
  requiredIssuer: option<string | readonly string[]>()({
    aliases: ['required_issuer'],
    parse: (e) => stringList(e, false),
    docs: { table: 'core', meaning: '`iss` must equal one of these exactly' },
  }),
  /** Leeway for exp / nbf / iat, in seconds. @defaultValue 30 */
  clockSkewToleranceSeconds: option<number>()({
    aliases: ['jwt_clock_skew_tolerance_seconds'],
    parse: (e) => integer(e, DEFAULTS.clockSkewToleranceSeconds, 0),
    docs: { table: 'core', meaning: 'leeway for `exp`, `nbf`, `iat`' },
  }),
  /** Allow-list; narrows what the keys can verify. `none` is a ConfigError. */
  algorithms: option<readonly JwsAlgorithm[]>()({
    parse: algorithms,
    docs: {
      table: 'core',
      default: 'inferred from the keys',
      meaning: 'allow-list; `none` is a ConfigError',
    },
  }),
  /**
   * The header `typ` must be one of these, compared case-insensitively with an `application/`
   * prefix ignored (RFC 9068 §2.1: `at+jwt`). A token without `typ`: claim_invalid.
   */
  typ: option<string | readonly string[]>()({
    parse: typList,
    docs: {
      table: 'core',
      meaning:
        'header `typ` must be one of these (case-insensitive, `application/` prefix ignored; RFC 9068: `at+jwt`); absent `typ`: claim_invalid',
    },
  }),
  /** `iat` is required and `now − iat` may not exceed this (+ skew): token_expired; no `iat`: claim_invalid. */
  maxTokenAgeSeconds: option<number>()({
    parse: (e) => optionalInteger(e, 0),
    docs: {
      table: 'core',
      meaning:
        '`iat` is required and `now − iat` may not exceed it (+ skew): token_expired; no `iat`: claim_invalid',
    },
  }),
  /** Claims that must be present (dotted paths allowed): claim_invalid. */
  requiredClaims: option<readonly string[]>()({
    parse: claimPathList,
    docs: {
      table: 'core',
      meaning: 'claim names (dotted paths allowed) that must be present: claim_invalid',
    },
  }),
  /**
   * A custom rule over the verified claims and header. Synchronous, run once per verified token
   * (a token it accepts is cached, and the rule is not run again on cache hits); `true` or nothing
   * passes, `false` or a string (the message) → claim_invalid, and so does a rule that throws or
   * answers anything else (a Promise from an async rule included).
   */
  verifyClaims: option<ClaimsRule>()({
    parse: (e) => fn<ClaimsRule>(e),
    docs: {
      table: 'core',
      meaning:
        '`(claims, header) => boolean \\| string \\| void`, synchronous, once per verified token (cached with it); `false`, a string (the message) or a throw: claim_invalid',
    },
  }),
  /**
   * Revocation check, run on every request, cache hits included. `true` → token_revoked; a
   * check that throws, rejects or answers anything but a boolean fails closed (token_revoked). A
   * boolean answer keeps the request in the same tick; a Promise is awaited.
   */
  isRevoked: option<(principal: Principal) => boolean | Promise<boolean>>()({
    parse: (e) => fn<(principal: Principal) => boolean | Promise<boolean>>(e),
    docs: {
      table: 'core',
      meaning:
        '`(principal) => boolean \\| Promise<boolean>`, on every request, cache hits included; `true`, a throw, a rejection or a non-boolean: token_revoked',
    },
  }),
  /** Send `WWW-Authenticate` on 401 (and 403). @defaultValue true */
  challenge: option<boolean>()({
    aliases: ['challenge'],
    parse: (e) => bool(e, DEFAULTS.challenge),
    docs: { table: 'core', meaning: 'send `WWW-Authenticate`' },
  }),
  /** The `realm` of `WWW-Authenticate` challenges. @defaultValue 'jwtgate' */
  realm: option<string>()({
    parse: realm,
    docs: { table: 'core', meaning: 'the `realm` of `WWW-Authenticate` challenges' },
  }),
  /** Reject longer tokens before decoding. @defaultValue 16384 */
  maxTokenBytes: option<number>()({
    parse: (e) => integer(e, DEFAULTS.maxTokenBytes, 16),
    docs: { table: 'core', meaning: 'longer tokens are rejected before decoding' },
  }),
  /** Reject tokens without `exp` (OpenSearch accepts them). @defaultValue false */
  requireExp: option<boolean>()({
    parse: (e) => bool(e, DEFAULTS.requireExp),
    docs: { table: 'core', meaning: 'reject tokens without `exp`' },
  }),
  /** Verified-token cache; `false` turns it off. @defaultValue { max: 10000, ttlMs: 60000 } */
  tokenCache: option<boolean | Partial<TokenCacheOptions>>()({
    parse: tokenCache,
    docs: {
      table: 'core',
      default: '`{ max: 10000, ttlMs: 60000 }`',
      meaning: 'verified-token cache; `false` turns it off',
    },
  }),
  /** Receives events for logs and metrics; a listener that throws is ignored. */
  onEvent: option<(event: AuthEvent) => void>()({
    parse: (e) => fn<(event: AuthEvent) => void>(e),
    docs: { table: 'core', meaning: '`(event) => void` for logs and metrics' },
  }),
  /** JWKS endpoint; when set, `@jwtgate/jwks` uses it instead of `signingKey`. */
  jwksUri: option<string>()({
    aliases: ['jwks_uri'],
    parse: url,
    docs: { table: 'jwks', meaning: 'JWKS endpoint; when unset, the static key is used' },
  }),
  /** OIDC discovery document; its `jwks_uri` is used. */
  openidConnectUrl: option<string>()({
    aliases: ['openid_connect_url'],
    parse: url,
    docs: { table: 'jwks', meaning: 'OIDC discovery document; its `jwks_uri` is used' },
  }),
  /**
   * Several issuers at once: each entry names an `issuer` and its keys (`jwksUri`,
   * `openidConnectUrl` or `signingKey`) plus any per-issuer option; top-level options are the
   * defaults.
   */
  issuers: option<readonly IssuerOptions[]>()({
    parse: (e) => issuerList<IssuerOptions>(e),
    docs: {
      table: 'jwks',
      meaning:
        'several issuers: `[{ issuer, jwksUri \\| openidConnectUrl \\| signingKey, …per-issuer options }]`; top-level options are defaults',
    },
  }),
  /** Honour Cache-Control max-age and ETag of the JWKS response. @defaultValue true */
  cacheJwksEndpoint: option<boolean>()({
    aliases: ['cache_jwks_endpoint'],
    parse: (e) => bool(e, DEFAULTS.cacheJwksEndpoint),
    docs: { table: 'jwks', meaning: 'honour `Cache-Control` max-age and `ETag`' },
  }),
  /** Whole-request timeout for a JWKS fetch, ms. @defaultValue 5000 */
  jwksRequestTimeoutMs: option<number>()({
    aliases: ['jwks_request_timeout_ms'],
    parse: (e) => integer(e, DEFAULTS.jwksRequestTimeoutMs, 1),
    docs: { table: 'jwks', meaning: 'whole-request timeout for discovery and JWKS fetches' },
  }),
  /** How long a request waits for a refresh already in flight, ms. @defaultValue 2500 */
  jwksQueuedThreadTimeoutMs: option<number>()({
    aliases: ['jwks_queued_thread_timeout_ms'],
    parse: (e) => integer(e, DEFAULTS.jwksQueuedThreadTimeoutMs, 0),
    docs: { table: 'jwks', meaning: 'how long a request waits for a refresh in flight' },
  }),
  /** Rate-limit window for refreshes, ms. @defaultValue 10000 */
  refreshRateLimitTimeWindowMs: option<number>()({
    aliases: ['refresh_rate_limit_time_window_ms'],
    parse: (e) => integer(e, DEFAULTS.refreshRateLimitTimeWindowMs, 0),
    docs: { table: 'jwks', meaning: 'rate-limit window for unknown-kid refreshes' },
  }),
  /** Max refreshes per window. @defaultValue 10 */
  refreshRateLimitCount: option<number>()({
    aliases: ['refresh_rate_limit_count'],
    parse: (e) => integer(e, DEFAULTS.refreshRateLimitCount, 0),
    docs: { table: 'jwks', meaning: 'max refreshes per window' },
  }),
  /** Reject a JWKS with more keys; ≤ 0 is unlimited. @defaultValue -1 */
  maxJwksKeys: option<number>()({
    aliases: ['max_jwks_keys'],
    parse: (e) => integer(e, DEFAULTS.maxJwksKeys, -Infinity),
    docs: {
      table: 'jwks',
      default: '`-1` (unlimited)',
      meaning: 'reject a JWKS with more keys',
    },
  }),
  /** Reject a larger JWKS response, without buffering past the limit; ≤ 0 is unlimited. @defaultValue 1048576 */
  maxJwksResponseSizeBytes: option<number>()({
    aliases: ['max_jwks_response_size_bytes'],
    parse: (e) => integer(e, DEFAULTS.maxJwksResponseSizeBytes, -Infinity),
    docs: {
      table: 'jwks',
      meaning: 'reject a larger response (decoded bytes), without buffering past the limit',
    },
  }),
  /** How long known keys keep verifying after refreshes started failing, ms; past it: jwks_unavailable. @defaultValue 86400000 */
  maxStaleMs: option<number>()({
    parse: maxStale,
    docs: {
      table: 'jwks',
      meaning:
        'how long known keys keep verifying after refreshes started failing; past it: `jwks_unavailable`. At least 60000 (keys refresh every min(lifetime, `maxStaleMs` / 2))',
    },
  }),
  /**
   * Keys usable at once, before the first fetch (serverless cold starts): `{ keys }`, or what
   * `exportKeys()` returned (`fetchedAt` counts toward `maxStaleMs`).
   */
  initialJwks: option<InitialJwks>()({
    parse: (e) => initialJwks<InitialJwks>(e),
    docs: {
      table: 'jwks',
      meaning:
        '`{ keys }` or `{ jwks: { keys }, fetchedAt }` (from `exportKeys()`): keys usable before the first fetch; needs `jwksUri` / `openidConnectUrl` (with `issuers`: per entry)',
    },
  }),
  /** An `http.Agent` / `https.Agent` for discovery and JWKS requests (corporate proxies). */
  jwksAgent: option<Agent>()({
    parse: agent,
    docs: {
      table: 'jwks',
      meaning: 'an `http.Agent` / `https.Agent` for discovery and JWKS requests (proxies)',
    },
  }),
  /** Extra request headers for discovery and JWKS requests. */
  jwksHeaders: option<Readonly<Record<string, string>>>()({
    parse: headerRecord,
    docs: {
      table: 'jwks',
      meaning:
        'extra request headers for discovery and JWKS requests (not `host`, `accept-encoding`, `if-none-match` or other headers jwtgate manages)',
    },
  }),
  /** TLS settings for the JWKS and discovery requests. */
  jwksTls: option<JwksTlsOptions>()({
    parse: jwksTls,
    docs: {
      table: 'jwks',
      default: 'system CAs',
      aliasText:
        '`jwks.enable_ssl`, `jwks.pemtrustedcas_content` / `_filepath`, `jwks.pemcert_*`, `jwks.pemkey_*`, `jwks.trust_all`, `jwks.verify_hostnames`',
      meaning:
        'TLS for discovery and JWKS requests: `{ ca, cert, key, passphrase, rejectUnauthorized, verifyHostnames }`',
    },
  }),
  /** Follow same-origin https redirects of the JWKS / discovery endpoint (at most 3). @defaultValue false */
  followSameOriginRedirects: option<boolean>()({
    parse: (e) => bool(e, DEFAULTS.followSameOriginRedirects),
    docs: { table: 'jwks', meaning: 'follow same-origin https redirects (at most 3)' },
  }),
  /** Allow `http://` JWKS / discovery URLs on non-loopback hosts. @defaultValue false */
  allowInsecureJwksUri: option<boolean>()({
    parse: (e) => bool(e, DEFAULTS.allowInsecureJwksUri),
    docs: { table: 'jwks', meaning: 'allow `http://` JWKS / discovery URLs on non-loopback hosts' },
  }),
  /** Test and integration hooks. */
  advanced: option<AdvancedOptions>()({ parse: advanced }),
})

/** The definitions, by camelCase name. */
export type OptionDefinitions = typeof OPTION_DEFINITIONS
/** A camelCase option name. */
export type OptionName = keyof OptionDefinitions

/** The input type of an option definition. */
export type InputOf<D> = D extends OptionDefinition<infer I, unknown> ? I : never
/** The resolved type of an option definition. */
export type OutputOf<D> = D extends OptionDefinition<unknown, infer O> ? O : never
/** snake_case settings may be strings ("5000", "true"), as OpenSearch YAML settings are. */
export type Lenient<T> = T | (T extends number | boolean ? string : never)

/** Every option, optional, as callers pass it (derived from {@link OPTION_DEFINITIONS}). */
export type OptionInputs = { [K in keyof OptionDefinitions]?: InputOf<OptionDefinitions[K]> }
/** Every option resolved (derived from {@link OPTION_DEFINITIONS}). */
export type OptionOutputs = Omit<
  { readonly [K in keyof OptionDefinitions]: OutputOf<OptionDefinitions[K]> },
  'enabled'
>
/** The OpenSearch snake_case names (derived from {@link OPTION_DEFINITIONS}). */
export type SnakeOptionInputs = {
  [K in keyof OptionDefinitions as OptionDefinitions[K]['aliases'][number]]?: Lenient<
    InputOf<OptionDefinitions[K]>
  >
}

const entries = Object.entries(OPTION_DEFINITIONS) as [
  OptionName,
  OptionDefinition<unknown, unknown>,
][]

/** Every option definition with its name, in table order. */
export const OPTION_ENTRIES: readonly (readonly [
  OptionName,
  OptionDefinition<unknown, unknown>,
])[] = Object.freeze(entries)

/** snake_case (OpenSearch and Aiven) → camelCase. */
export const SNAKE_TO_CAMEL: Readonly<Record<string, OptionName>> = Object.freeze(
  Object.fromEntries(entries.flatMap(([name, d]) => d.aliases.map((a) => [a, name]))),
)

/** camelCase option names. */
export const CAMEL_KEYS: ReadonlySet<string> = new Set(entries.map(([name]) => name))

/**
 * The README options table of a package, as rows of cells (camelCase, OpenSearch / Aiven,
 * default, meaning), derived from the definitions.
 *
 * @param table - `core` or `jwks`
 */
export function optionTableRows(table: OptionTable): string[][] {
  const rows: string[][] = []
  for (const [name, d] of entries) {
    if (d.docs?.table !== table) continue
    const aliases =
      d.docs.aliasText ??
      (d.aliases.length === 0 ? '—' : d.aliases.map((a) => `\`${a}\``).join(', '))
    const fallback = (DEFAULTS as Readonly<Record<string, unknown>>)[name]
    const scalar =
      typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean'
    const dflt = d.docs.default ?? (scalar ? `\`${String(fallback)}\`` : '—')
    rows.push([`\`${name}\``, aliases, dflt, d.docs.meaning])
  }
  return rows
}
