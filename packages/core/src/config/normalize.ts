import { ConfigError } from '../errors.js'
import type {
  AivenJwtConfig,
  DisabledOptions,
  OpenSearchHttpAuthenticator,
  OpenSearchJwtConfig,
  ResolvedOptions,
} from '../types.js'
import { JWKS_TLS_KEYS } from './aliases.js'
import { CAMEL_KEYS, OPTION_ENTRIES, SNAKE_TO_CAMEL } from './options.js'
import {
  bool,
  checkOperations,
  checkUrlSecurity,
  isPlainObject,
  type OptionEntry,
} from './validators.js'

/**
 * Options that turn a check on or name where keys come from: given with the value `undefined`
 * (`requiredIssuer: process.env.OIDC_ISSUER` with the variable unset) they are a ConfigError,
 * never silently off (DESIGN.md, Issuer safety). Other options given as `undefined` are unset.
 */
const UNDEFINED_IS_AN_ERROR: ReadonlySet<string> = new Set([
  'signingKey',
  'jwksUri',
  'openidConnectUrl',
  'requiredIssuer',
  'requiredAudience',
  'issuers',
])

/** What {@link normalizeConfig} returns: the full options, or the disabled marker. */
export type NormalizedConfig = ResolvedOptions | DisabledOptions

/**
 * Validates options and fills in every default. Accepts camelCase {@link JwtAuthOptions}, the
 * OpenSearch `http_authenticator.config` block (snake_case; the whole `http_authenticator` block
 * with `type`, `challenge` and `config` too) and Aiven `user_config` (`jwt.enabled`,
 * `jwt.signing_key`, … flat or nested under `jwt`). Idempotent: its output is valid input.
 *
 * It checks at run time whatever it is given (configuration read from a file is not typed);
 * to have the compiler check a literal, pass camelCase options to an authenticator directly, or
 * use {@link fromOpenSearch} / {@link fromAiven}.
 *
 * @param input - the options in any of the three forms
 * @returns frozen, complete options; `{ enabled: false }` for a disabled Aiven config
 * @throws {@link ConfigError} naming the key for unknown keys, wrong types, negative timeouts,
 *   an unparsable signing key (checked when the static key is in use), or an unsafe URL
 * @example
 * ```ts
 * normalizeConfig({ config: { signing_key: 'c2VjcmV0…', roles_key: 'roles' } })
 * normalizeConfig({ 'jwt.enabled': true, 'jwt.signing_key': 'c2VjcmV0…' })
 * normalizeConfig({ signingKey: pem, requiredAudience: 'api' })
 * ```
 */
export function normalizeConfig(input: unknown): NormalizedConfig {
  const entries = collect(input)
  if (!bool(entries.get('enabled'), true)) return Object.freeze({ enabled: false })

  const resolved: Record<string, unknown> = { enabled: true }
  for (const [name, definition] of OPTION_ENTRIES) {
    if (name !== 'enabled') resolved[name] = definition.parse(entries.get(name))
  }
  const allowInsecure = resolved.allowInsecureJwksUri === true
  for (const name of ['jwksUri', 'openidConnectUrl'] as const) {
    const entry = entries.get(name)
    const value = resolved[name]
    if (entry && typeof value === 'string') checkUrlSecurity(entry.name, value, allowInsecure)
  }
  checkOperations(resolved, entries.get('initialJwks')?.name ?? 'initialJwks')
  // Unset security options are left out rather than held as `undefined`, so the output, or a
  // spread copy of it, is valid input again.
  for (const key of UNDEFINED_IS_AN_ERROR) {
    if (resolved[key] === undefined) Reflect.deleteProperty(resolved, key)
  }
  return Object.freeze(resolved) as unknown as ResolvedOptions
}

/**
 * Reads an OpenSearch `jwt` auth domain: the `http_authenticator.config` block, or the whole
 * `http_authenticator` block (`{ type, challenge, config }`). Typed, so a misspelled setting does
 * not compile.
 *
 * @param config - the OpenSearch settings (snake_case)
 * @returns the resolved camelCase options, for any authenticator or adapter
 * @throws `ConfigError` naming the setting
 * @example
 * ```ts
 * const auth = createAuthenticator(fromOpenSearch({ jwks_uri: 'https://idp.example/jwks', roles_key: 'roles' }))
 * ```
 */
export function fromOpenSearch(
  config: OpenSearchJwtConfig | OpenSearchHttpAuthenticator,
): ResolvedOptions {
  const resolved = normalizeConfig(config)
  if (!resolved.enabled) throw new ConfigError('enabled', 'is not an OpenSearch setting')
  return resolved
}

/**
 * Reads Aiven `user_config` JWT settings (`{ jwt: { … } }` or flat `jwt.*` keys). Typed, so a
 * misspelled setting does not compile.
 *
 * @param config - the Aiven settings
 * @returns the resolved options, or `{ enabled: false }` (which no authenticator accepts)
 * @throws `ConfigError` naming the setting
 * @example
 * ```ts
 * const auth = createAuthenticator(fromAiven({ jwt: { enabled: true, signing_key: secret } }))
 * ```
 */
export function fromAiven(config: AivenJwtConfig): NormalizedConfig {
  return normalizeConfig(config)
}

// ---------------------------------------------------------------------------------------------
// Collecting the three forms into one map of camelCase entries

function collect(input: unknown): Map<string, OptionEntry> {
  if (!isPlainObject(input)) throw new ConfigError('options', 'must be a plain object')
  const out = new Map<string, OptionEntry>()
  const tls: Record<string, OptionEntry> = {}

  const add = (camel: string, entry: OptionEntry): void => {
    if (entry.value === undefined && UNDEFINED_IS_AN_ERROR.has(camel)) {
      throw new ConfigError(
        entry.name,
        'is undefined: an unset environment variable? Leave the key out to leave the option unset',
      )
    }
    if (entry.value === undefined || entry.value === null) return
    const previous = out.get(camel)
    if (previous) {
      throw new ConfigError(entry.name, `sets the same option as "${previous.name}"`)
    }
    out.set(camel, entry)
  }

  const addTls = (key: string, name: string, value: unknown): void => {
    const field = Object.hasOwn(JWKS_TLS_KEYS, key)
      ? (JWKS_TLS_KEYS as Readonly<Record<string, string>>)[key]
      : undefined
    if (field === undefined) throw new ConfigError(name, 'is not a known jwks TLS option')
    if (value !== undefined && value !== null) tls[field] = { value, name, lenient: true }
  }

  const visit = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [rawKey, value] of Object.entries(obj)) {
      const name = prefix + rawKey
      let key = rawKey
      // Aiven: `jwt.signing_key` flat, or { jwt: { … } } nested.
      if (key === 'jwt' && prefix === '' && isPlainObject(value)) {
        visit(value, 'jwt.')
        continue
      }
      if (key.startsWith('jwt.')) key = key.slice(4)
      // OpenSearch: the whole http_authenticator block { type, challenge, config: { … } }.
      if (key === 'config' && prefix === '' && isPlainObject(value)) {
        visit(value, 'config.')
        continue
      }
      if (key === 'type' && prefix === '' && (value === 'jwt' || value === 'openid')) continue
      // OpenSearch TLS: `jwks.enable_ssl` flat, or { jwks: { enable_ssl } } nested.
      if (key === 'jwks' && isPlainObject(value)) {
        for (const [k, v] of Object.entries(value)) addTls(k, `${name}.${k}`, v)
        continue
      }
      if (key.startsWith('jwks.')) {
        addTls(key.slice(5), name, value)
        continue
      }
      const snake = Object.hasOwn(SNAKE_TO_CAMEL, key) ? SNAKE_TO_CAMEL[key] : undefined
      if (snake !== undefined && (key.includes('_') || prefix !== '')) {
        add(snake, { value, name, lenient: true })
      } else if (CAMEL_KEYS.has(key)) {
        add(key, { value, name, lenient: prefix !== '' })
      } else {
        throw new ConfigError(name, 'is not a known option')
      }
    }
  }
  visit(input, '')
  if (Object.keys(tls).length > 0) add('jwksTls', { value: tls, name: 'jwks', lenient: true })
  return out
}
