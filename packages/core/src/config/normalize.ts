import { readFileSync } from 'node:fs'
import { KeyObject } from 'node:crypto'
import { ConfigError } from '../errors.js'
import { isJwsAlgorithm } from '../keys/algorithms.js'
import type {
  AuthEvent,
  DisabledOptions,
  IssuerOptions,
  JwksTlsOptions,
  JwsAlgorithm,
  JwtAuthOptions,
  ResolvedOptions,
  TokenCacheOptions,
} from '../types.js'
import { CAMEL_KEYS, JWKS_TLS_KEYS, SNAKE_TO_CAMEL } from './aliases.js'
import { DEFAULTS } from './defaults.js'
import { checkTlsMaterial } from './tls.js'

/** What {@link normalizeConfig} returns: the full options, or the disabled marker. */
export type NormalizedConfig = ResolvedOptions | DisabledOptions

/** One option as found in the input: its camelCase name, value, spelling and form. */
interface Entry {
  value: unknown
  /** The key as the caller wrote it, for error messages. */
  name: string
  /** snake_case / Aiven values may be strings ("5000", "true") and lists may be comma-separated. */
  lenient: boolean
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

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

/**
 * Validates options and fills in every default. Accepts camelCase {@link JwtAuthOptions}, the
 * OpenSearch `http_authenticator.config` block (snake_case; the whole `http_authenticator` block
 * with `type`, `challenge` and `config` too) and Aiven `user_config` (`jwt.enabled`,
 * `jwt.signing_key`, … flat or nested under `jwt`). Idempotent: its output is valid input.
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
export function normalizeConfig(input: JwtAuthOptions | Record<string, unknown>): NormalizedConfig {
  const entries = collect(input)
  const take = (key: string): Entry | undefined => entries.get(key)

  const enabled = bool(take('enabled'), true)
  if (!enabled) return Object.freeze({ enabled: false })

  const jwksUri = url(take('jwksUri'))
  const openidConnectUrl = url(take('openidConnectUrl'))
  const allowInsecureJwksUri = bool(take('allowInsecureJwksUri'), DEFAULTS.allowInsecureJwksUri)
  for (const [entry, value] of [
    [take('jwksUri'), jwksUri],
    [take('openidConnectUrl'), openidConnectUrl],
  ] as const) {
    if (entry && value !== undefined) checkUrlSecurity(entry.name, value, allowInsecureJwksUri)
  }

  const resolved: ResolvedOptions = {
    enabled: true,
    signingKey: signingKeys(take('signingKey')),
    jwtHeader: headerName(take('jwtHeader')),
    jwtUrlParameter: optionalString(take('jwtUrlParameter')),
    subjectKey: claimPath(take('subjectKey')) ?? DEFAULTS.subjectKey,
    rolesKey: claimPath(take('rolesKey')),
    requiredAudience: stringList(take('requiredAudience'), true),
    requiredIssuer: stringList(take('requiredIssuer'), false),
    clockSkewToleranceSeconds: integer(
      take('clockSkewToleranceSeconds'),
      DEFAULTS.clockSkewToleranceSeconds,
      0,
    ),
    algorithms: algorithms(take('algorithms')),
    challenge: bool(take('challenge'), DEFAULTS.challenge),
    realm: realm(take('realm')),
    jwksUri,
    openidConnectUrl,
    cacheJwksEndpoint: bool(take('cacheJwksEndpoint'), DEFAULTS.cacheJwksEndpoint),
    jwksRequestTimeoutMs: integer(take('jwksRequestTimeoutMs'), DEFAULTS.jwksRequestTimeoutMs, 1),
    jwksQueuedThreadTimeoutMs: integer(
      take('jwksQueuedThreadTimeoutMs'),
      DEFAULTS.jwksQueuedThreadTimeoutMs,
      0,
    ),
    refreshRateLimitTimeWindowMs: integer(
      take('refreshRateLimitTimeWindowMs'),
      DEFAULTS.refreshRateLimitTimeWindowMs,
      0,
    ),
    refreshRateLimitCount: integer(
      take('refreshRateLimitCount'),
      DEFAULTS.refreshRateLimitCount,
      0,
    ),
    maxJwksKeys: integer(take('maxJwksKeys'), DEFAULTS.maxJwksKeys, -Infinity),
    maxJwksResponseSizeBytes: integer(
      take('maxJwksResponseSizeBytes'),
      DEFAULTS.maxJwksResponseSizeBytes,
      -Infinity,
    ),
    followSameOriginRedirects: bool(
      take('followSameOriginRedirects'),
      DEFAULTS.followSameOriginRedirects,
    ),
    jwksTls: jwksTls(take('jwksTls')),
    maxTokenBytes: integer(take('maxTokenBytes'), DEFAULTS.maxTokenBytes, 16),
    requireExp: bool(take('requireExp'), DEFAULTS.requireExp),
    tokenCache: tokenCache(take('tokenCache')),
    allowInsecureJwksUri,
    onEvent: fn(take('onEvent')) as ((event: AuthEvent) => void) | undefined,
    issuers: issuerList(take('issuers')),
    advanced: advanced(take('advanced')),
  }
  // Unset security options are left out rather than held as `undefined`, so the output, or a
  // spread copy of it, is valid input again.
  for (const key of UNDEFINED_IS_AN_ERROR) {
    if (Reflect.get(resolved, key) === undefined) Reflect.deleteProperty(resolved, key)
  }
  return Object.freeze(resolved)
}

// ---------------------------------------------------------------------------------------------
// Collecting the three forms into one map of camelCase entries

function collect(input: unknown): Map<string, Entry> {
  if (!isPlainObject(input)) throw new ConfigError('options', 'must be a plain object')
  const out = new Map<string, Entry>()
  const tls: Record<string, Entry> = {}

  const add = (camel: string, entry: Entry): void => {
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
    const field = JWKS_TLS_KEYS[key]
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
      const snake = SNAKE_TO_CAMEL[key]
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

// ---------------------------------------------------------------------------------------------
// Value validators: each names the key in its error.

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

function bool(e: Entry | undefined, fallback: boolean): boolean {
  if (!e) return fallback
  if (typeof e.value === 'boolean') return e.value
  if (e.lenient && (e.value === 'true' || e.value === 'false')) return e.value === 'true'
  throw new ConfigError(e.name, 'must be a boolean')
}

function integer(e: Entry | undefined, fallback: number, min: number): number {
  if (!e) return fallback
  let v = e.value
  if (e.lenient && typeof v === 'string' && /^-?\d+$/.test(v.trim())) v = Number(v.trim())
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new ConfigError(e.name, 'must be an integer')
  if (v < min) throw new ConfigError(e.name, `must be at least ${min}`)
  return v
}

function nonEmptyString(e: Entry): string {
  if (typeof e.value !== 'string') throw new ConfigError(e.name, 'must be a string')
  if (e.value.trim() === '') throw new ConfigError(e.name, 'must not be empty')
  return e.value
}

function optionalString(e: Entry | undefined): string | undefined {
  return e ? nonEmptyString(e) : undefined
}

function headerName(e: Entry | undefined): string {
  if (!e) return DEFAULTS.jwtHeader
  const v = nonEmptyString(e)
  if (!HEADER_NAME.test(v)) throw new ConfigError(e.name, 'is not a valid HTTP header name')
  return v
}

/** A realm goes inside a quoted-string of `WWW-Authenticate`: printable ASCII, no `"` or `\\`. */
const REALM_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/

function realm(e: Entry | undefined): string {
  if (!e) return DEFAULTS.realm
  const v = nonEmptyString(e)
  if (!REALM_TEXT.test(v)) {
    throw new ConfigError(
      e.name,
      'must be printable ASCII without " or \\ (it is sent in WWW-Authenticate)',
    )
  }
  return v
}

function url(e: Entry | undefined): string | undefined {
  if (!e) return undefined
  // OpenSearch treats an empty jwks_uri as unset (static-key fallback).
  if (e.lenient && typeof e.value === 'string' && e.value.trim() === '') return undefined
  const v = nonEmptyString(e).trim()
  let parsed: URL
  try {
    parsed = new URL(v)
  } catch {
    throw new ConfigError(e.name, 'is not a valid absolute URL')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(e.name, 'must be an https:// URL')
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(e.name, 'must not hold credentials')
  }
  return parsed.href
}

/** `http://` is allowed only for loopback hosts, unless explicitly allowed (DESIGN.md, JWKS). */
function checkUrlSecurity(name: string, href: string, allowInsecure: boolean): void {
  const u = new URL(href)
  if (u.protocol === 'https:' || allowInsecure) return
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
  if (!loopback) {
    throw new ConfigError(
      name,
      'uses http:// on a non-loopback host; use https or set allowInsecureJwksUri',
    )
  }
}

function signingKeys(e: Entry | undefined): readonly (string | KeyObject)[] | undefined {
  if (!e) return undefined
  let list: unknown[]
  if (Array.isArray(e.value)) list = e.value
  else if (typeof e.value === 'string' && e.lenient)
    list = e.value.split(',').filter((s) => s.trim() !== '')
  else list = [e.value]
  if (list.length === 0) throw new ConfigError(e.name, 'must hold at least one key')
  return Object.freeze(
    list.map((k, i) => {
      const name = list.length > 1 || Array.isArray(e.value) ? `${e.name}[${i}]` : e.name
      if (k instanceof KeyObject) return k
      if (typeof k !== 'string')
        throw new ConfigError(name, 'must be a string (base64 secret or PEM) or a KeyObject')
      if (k.trim() === '') throw new ConfigError(name, 'must not be empty')
      return k
    }),
  )
}

function claimPath(e: Entry | undefined): string | readonly string[] | undefined {
  if (!e) return undefined
  const v = e.value
  if (Array.isArray(v)) {
    if (v.length === 0) throw new ConfigError(e.name, 'must not be an empty list')
    for (const [i, s] of v.entries()) {
      if (typeof s !== 'string' || s === '')
        throw new ConfigError(`${e.name}[${i}]`, 'must be a non-empty string')
    }
    return Object.freeze([...(v as string[])])
  }
  const s = nonEmptyString(e).trim()
  // OpenSearch reads a scalar with commas as a list: "realm_access,roles" is a nested path.
  if (e.lenient && s.includes(',')) {
    const segments = s.split(',').map((p) => p.trim())
    if (segments.some((p) => p === '')) throw new ConfigError(e.name, 'has an empty path segment')
    return Object.freeze(segments)
  }
  if (s.split('.').some((p) => p === '')) throw new ConfigError(e.name, 'has an empty path segment')
  return s
}

function stringList(e: Entry | undefined, splitCommas: boolean): readonly string[] | undefined {
  if (!e) return undefined
  let list: string[]
  if (typeof e.value === 'string') {
    list = splitCommas ? e.value.split(',').map((s) => s.trim()) : [e.value]
    list = list.filter((s) => s !== '')
  } else if (Array.isArray(e.value)) {
    list = e.value.map((s: unknown, i) => {
      if (typeof s !== 'string' || s === '')
        throw new ConfigError(`${e.name}[${i}]`, 'must be a non-empty string')
      return s
    })
  } else {
    throw new ConfigError(
      e.name,
      'must be a string or a list of strings (exact values, not patterns)',
    )
  }
  if (list.length === 0)
    throw new ConfigError(e.name, 'must not be empty: omit it to skip the check')
  return Object.freeze(list)
}

/**
 * `issuers`: a non-empty list of plain objects, each with a non-empty string `issuer`. What
 * else an entry may hold is checked where the issuers are built (`resolveIssuers`).
 */
function issuerList(e: Entry | undefined): readonly Readonly<IssuerOptions>[] | undefined {
  if (!e) return undefined
  if (!Array.isArray(e.value) || e.value.length === 0) {
    throw new ConfigError(e.name, 'must be a non-empty list of issuer options')
  }
  return Object.freeze(
    e.value.map((entry: unknown, i) => {
      const name = `${e.name}[${i}]`
      if (!isPlainObject(entry)) throw new ConfigError(name, 'must be an object')
      nonEmptyString({ value: entry.issuer, name: `${name}.issuer`, lenient: false })
      return Object.freeze({ ...entry }) as unknown as Readonly<IssuerOptions>
    }),
  )
}

function algorithms(e: Entry | undefined): readonly JwsAlgorithm[] | undefined {
  if (!e) return undefined
  if (!Array.isArray(e.value) || e.value.length === 0) {
    throw new ConfigError(e.name, 'must be a non-empty list of algorithm names')
  }
  return Object.freeze(
    e.value.map((a: unknown, i) => {
      if (typeof a === 'string' && a.toLowerCase() === 'none') {
        throw new ConfigError(
          `${e.name}[${i}]`,
          'must not be "none": unsecured tokens are never accepted',
        )
      }
      if (!isJwsAlgorithm(a))
        throw new ConfigError(`${e.name}[${i}]`, 'is not a supported JWS algorithm')
      return a
    }),
  )
}

function tokenCache(e: Entry | undefined): Readonly<TokenCacheOptions> | false {
  if (!e || e.value === true) return DEFAULTS.tokenCache
  if (e.value === false) return false
  if (!isPlainObject(e.value)) throw new ConfigError(e.name, 'must be false or { max, ttlMs }')
  for (const k of Object.keys(e.value)) {
    if (k !== 'max' && k !== 'ttlMs')
      throw new ConfigError(`${e.name}.${k}`, 'is not a known option')
  }
  const sub = (k: 'max' | 'ttlMs'): Entry | undefined => {
    const obj = e.value as Record<string, unknown>
    return obj[k] === undefined
      ? undefined
      : { value: obj[k], name: `${e.name}.${k}`, lenient: false }
  }
  return Object.freeze({
    max: integer(sub('max'), DEFAULTS.tokenCache.max, 1),
    ttlMs: integer(sub('ttlMs'), DEFAULTS.tokenCache.ttlMs, 1),
  })
}

function fn(e: Entry | undefined): ((...args: never[]) => unknown) | undefined {
  if (!e) return undefined
  if (typeof e.value !== 'function') throw new ConfigError(e.name, 'must be a function')
  return e.value as (...args: never[]) => unknown
}

function advanced(e: Entry | undefined): Readonly<JwtAuthOptions['advanced'] & object> {
  if (!e) return Object.freeze({})
  if (!isPlainObject(e.value)) throw new ConfigError(e.name, 'must be an object')
  for (const k of Object.keys(e.value)) {
    if (k !== 'clock') throw new ConfigError(`${e.name}.${k}`, 'is not a known option')
  }
  const clock = e.value.clock
  if (clock !== undefined && typeof clock !== 'function')
    throw new ConfigError(`${e.name}.clock`, 'must be a function')
  return Object.freeze(clock === undefined ? {} : { clock: clock as () => number })
}

function pemText(e: Entry | undefined, fileEntry: Entry | undefined): string | undefined {
  if (e) return nonEmptyString(e)
  if (!fileEntry) return undefined
  const path = nonEmptyString(fileEntry)
  try {
    return readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(fileEntry.name, 'names a file that cannot be read', { cause })
  }
}

function jwksTls(e: Entry | undefined): Readonly<JwksTlsOptions> | undefined {
  if (!e) return undefined
  if (!isPlainObject(e.value)) throw new ConfigError(e.name, 'must be an object')
  const v = e.value
  if (!e.lenient) {
    // camelCase form: { ca, cert, key, passphrase, rejectUnauthorized }
    const out: JwksTlsOptions = {}
    for (const [k, val] of Object.entries(v)) {
      const name = `${e.name}.${k}`
      if (val === undefined) continue
      const entry: Entry = { value: val, name, lenient: false }
      if (k === 'ca') {
        out.ca = Array.isArray(val)
          ? Object.freeze(
              val.map((c: unknown, i) =>
                nonEmptyString({ value: c, name: `${name}[${i}]`, lenient: false }),
              ),
            )
          : nonEmptyString(entry)
      } else if (k === 'cert' || k === 'key' || k === 'passphrase') out[k] = nonEmptyString(entry)
      else if (k === 'rejectUnauthorized') out.rejectUnauthorized = bool(entry, true)
      else if (k === 'verifyHostnames') out.verifyHostnames = bool(entry, true)
      else throw new ConfigError(name, 'is not a known TLS option')
    }
    const n = (k: string): string => `${e.name}.${k}`
    checkTlsMaterial(out, {
      ca: n('ca'),
      cert: n('cert'),
      key: n('key'),
      passphrase: n('passphrase'),
    })
    return Object.freeze(out)
  }
  // OpenSearch jwks.* form: the entries were collected by field name.
  const f = v as Record<string, Entry | undefined>
  if (!bool(f.enableSsl, false)) return undefined
  const out: JwksTlsOptions = {}
  const ca = pemText(f.ca, f.caFile)
  if (ca !== undefined) out.ca = ca
  if (bool(f.enableSslClientAuth, false)) {
    const cert = pemText(f.cert, f.certFile)
    const key = pemText(f.key, f.keyFile)
    if (cert === undefined || key === undefined) {
      throw new ConfigError('jwks.enable_ssl_client_auth', 'needs pemcert_* and pemkey_* settings')
    }
    out.cert = cert
    out.key = key
    if (f.passphrase) out.passphrase = nonEmptyString(f.passphrase)
  }
  if (bool(f.trustAll, false)) out.rejectUnauthorized = false
  if (!bool(f.verifyHostnames, true)) out.verifyHostnames = false
  const n = (a: Entry | undefined, b: Entry | undefined, fallback: string): string =>
    a?.name ?? b?.name ?? fallback
  checkTlsMaterial(out, {
    ca: n(f.ca, f.caFile, 'jwks.pemtrustedcas_content'),
    cert: n(f.cert, f.certFile, 'jwks.pemcert_content'),
    key: n(f.key, f.keyFile, 'jwks.pemkey_content'),
    passphrase: n(f.passphrase, undefined, 'jwks.pemkey_password'),
  })
  return Object.freeze(out)
}
