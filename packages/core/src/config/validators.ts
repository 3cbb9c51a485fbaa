// Value validators for the option definitions (options.ts). Each one checks a single option,
// fills in its default and names the key, as the caller spelled it, in its ConfigError.
import { readFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto'
import { ConfigError } from '../errors.js'
import { isJwsAlgorithm, MIN_RSA_BITS } from '../keys/algorithms.js'
import type { AdvancedOptions, JwksTlsOptions, JwsAlgorithm, TokenCacheOptions } from '../types.js'
import { DEFAULTS } from './defaults.js'
import { checkTlsMaterial } from './tls.js'

/** One option as found in the input: its value, the key as written, and its form. */
export interface OptionEntry {
  readonly value: unknown
  /** The key as the caller wrote it, for error messages. */
  readonly name: string
  /** snake_case / Aiven values may be strings ("5000", "true") and lists may be comma-separated. */
  readonly lenient: boolean
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

export function bool(e: OptionEntry | undefined, fallback: boolean): boolean {
  if (!e) return fallback
  if (typeof e.value === 'boolean') return e.value
  if (e.lenient && (e.value === 'true' || e.value === 'false')) return e.value === 'true'
  throw new ConfigError(e.name, 'must be a boolean')
}

export function integer(e: OptionEntry | undefined, fallback: number, min: number): number {
  if (!e) return fallback
  let v = e.value
  if (e.lenient && typeof v === 'string' && /^-?\d+$/.test(v.trim())) v = Number(v.trim())
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new ConfigError(e.name, 'must be an integer')
  if (v < min) throw new ConfigError(e.name, `must be at least ${min}`)
  return v
}

export function nonEmptyString(e: OptionEntry): string {
  if (typeof e.value !== 'string') throw new ConfigError(e.name, 'must be a string')
  if (e.value.trim() === '') throw new ConfigError(e.name, 'must not be empty')
  return e.value
}

export function optionalString(e: OptionEntry | undefined): string | undefined {
  return e ? nonEmptyString(e) : undefined
}

export function headerName(e: OptionEntry | undefined): string {
  if (!e) return DEFAULTS.jwtHeader
  const v = nonEmptyString(e)
  if (!HEADER_NAME.test(v)) throw new ConfigError(e.name, 'is not a valid HTTP header name')
  return v
}

export function url(e: OptionEntry | undefined): string | undefined {
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
export function checkUrlSecurity(name: string, href: string, allowInsecure: boolean): void {
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

export function signingKeys(
  e: OptionEntry | undefined,
): readonly (string | KeyObject)[] | undefined {
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

export function claimPath(e: OptionEntry | undefined): string | readonly string[] | undefined {
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

export function stringList(
  e: OptionEntry | undefined,
  splitCommas: boolean,
): readonly string[] | undefined {
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

export function algorithms(e: OptionEntry | undefined): readonly JwsAlgorithm[] | undefined {
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

export function tokenCache(e: OptionEntry | undefined): Readonly<TokenCacheOptions> | false {
  if (!e || e.value === true) return DEFAULTS.tokenCache
  if (e.value === false) return false
  if (!isPlainObject(e.value)) throw new ConfigError(e.name, 'must be false or { max, ttlMs }')
  for (const k of Object.keys(e.value)) {
    if (k !== 'max' && k !== 'ttlMs')
      throw new ConfigError(`${e.name}.${k}`, 'is not a known option')
  }
  const sub = (k: 'max' | 'ttlMs'): OptionEntry | undefined => {
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

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the function type
export function fn<F>(e: OptionEntry | undefined): F | undefined {
  if (!e) return undefined
  if (typeof e.value !== 'function') throw new ConfigError(e.name, 'must be a function')
  return e.value as F
}

export function advanced(e: OptionEntry | undefined): Readonly<AdvancedOptions> {
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

export function pemText(
  e: OptionEntry | undefined,
  fileEntry: OptionEntry | undefined,
): string | undefined {
  if (e) return nonEmptyString(e)
  if (!fileEntry) return undefined
  const path = nonEmptyString(fileEntry)
  try {
    return readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(fileEntry.name, 'names a file that cannot be read', { cause })
  }
}

export function jwksTls(e: OptionEntry | undefined): Readonly<JwksTlsOptions> | undefined {
  if (!e) return undefined
  if (!isPlainObject(e.value)) throw new ConfigError(e.name, 'must be an object')
  const v = e.value
  if (!e.lenient) {
    // camelCase form: { ca, cert, key, passphrase, rejectUnauthorized }
    const out: JwksTlsOptions = {}
    for (const [k, val] of Object.entries(v)) {
      const name = `${e.name}.${k}`
      if (val === undefined) continue
      const entry: OptionEntry = { value: val, name, lenient: false }
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
  const f = v as Record<string, OptionEntry | undefined>
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
  const n = (a: OptionEntry | undefined, b: OptionEntry | undefined, fallback: string): string =>
    a?.name ?? b?.name ?? fallback
  checkTlsMaterial(out, {
    ca: n(f.ca, f.caFile, 'jwks.pemtrustedcas_content'),
    cert: n(f.cert, f.certFile, 'jwks.pemcert_content'),
    key: n(f.key, f.keyFile, 'jwks.pemkey_content'),
    passphrase: n(f.passphrase, undefined, 'jwks.pemkey_password'),
  })
  return Object.freeze(out)
}

// ---------------------------------------------------------------------------------------------
// Second wave

/** A list of claim paths (`requiredClaims`): non-empty dotted paths, no empty segment. */
export function claimPathList(e: OptionEntry | undefined): readonly string[] | undefined {
  if (!e) return undefined
  if (!Array.isArray(e.value) || e.value.length === 0) {
    throw new ConfigError(e.name, 'must be a non-empty list of claim names')
  }
  return Object.freeze(
    e.value.map((p: unknown, i) => {
      const name = `${e.name}[${i}]`
      if (typeof p !== 'string' || p.trim() === '')
        throw new ConfigError(name, 'must be a non-empty string')
      if (p.split('.').some((s) => s === ''))
        throw new ConfigError(name, 'has an empty path segment')
      return p
    }),
  )
}

/** `typ`: one media type or a list; no whitespace or control characters. */
export function typList(e: OptionEntry | undefined): readonly string[] | undefined {
  if (!e) return undefined
  const list: unknown[] = Array.isArray(e.value) ? e.value : [e.value]
  if (list.length === 0)
    throw new ConfigError(e.name, 'must not be empty: omit it to skip the check')
  return Object.freeze(
    list.map((t, i) => {
      const name = Array.isArray(e.value) ? `${e.name}[${i}]` : e.name
      if (typeof t !== 'string' || t === '')
        throw new ConfigError(name, 'must be a non-empty string')
      if (/[\s]/.test(t) || CONTROL.test(t))
        throw new ConfigError(name, 'must not hold spaces or control characters')
      return t
    }),
  )
}

/** A realm goes inside a quoted-string of `WWW-Authenticate`: printable ASCII, no `"` or `\\`. */
const REALM_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/

/** The challenge realm. */
export function realm(e: OptionEntry | undefined): string {
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

/** A non-negative whole number of seconds or milliseconds that has no default. */
export function optionalInteger(e: OptionEntry | undefined, min: number): number | undefined {
  return e ? integer(e, 0, min) : undefined
}

/**
 * `issuers`: a non-empty list of plain objects, each with a non-empty string `issuer`. What
 * else an entry may hold is checked where the issuers are built.
 */
export function issuerList<T extends object>(
  e: OptionEntry | undefined,
): readonly Readonly<T>[] | undefined {
  if (!e) return undefined
  if (!Array.isArray(e.value) || e.value.length === 0) {
    throw new ConfigError(e.name, 'must be a non-empty list of issuer options')
  }
  return Object.freeze(
    e.value.map((entry: unknown, i) => {
      const name = `${e.name}[${i}]`
      if (!isPlainObject(entry)) throw new ConfigError(name, 'must be an object')
      nonEmptyString({ value: entry.issuer, name: `${name}.issuer`, lenient: false })
      return Object.freeze({ ...entry }) as Readonly<T>
    }),
  )
}

function jwkList(value: unknown, name: string): readonly Readonly<Record<string, unknown>>[] {
  if (!Array.isArray(value)) throw new ConfigError(name, 'must be a list of JWKs')
  if (value.length === 0) throw new ConfigError(name, 'holds no key')
  const list = Object.freeze(
    value.map((k: unknown, i) => {
      if (!isPlainObject(k)) throw new ConfigError(`${name}[${i}]`, 'must be a JWK object')
      return k
    }),
  )
  if (!list.some(importsAsPublicKey)) {
    throw new ConfigError(
      name,
      'holds no usable key: none is an RSA, EC or OKP public key that imports (symmetric and private keys are refused)',
    )
  }
  return list
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * A first check of a JWK at start-up (the key set imports and checks every key in full, as it
 * does for fetched ones): an asymmetric public key that `node:crypto` imports.
 */
function importsAsPublicKey(jwk: Readonly<Record<string, unknown>>): boolean {
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return false
  if (PRIVATE_JWK_MEMBERS.some((m) => jwk[m] !== undefined)) return false
  try {
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
    return (
      key.asymmetricKeyType !== 'rsa' ||
      (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS
    )
  } catch {
    return false
  }
}

/**
 * `initialJwks`: `{ keys }` or what `exportKeys()` returned, `{ jwks: { keys }, fetchedAt }`. The
 * list must hold at least one key that imports as a public key; `fetchedAt` in the future is
 * checked against the clock skew in {@link checkOperations}.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the checked shape
export function initialJwks<T>(e: OptionEntry | undefined): T | undefined {
  if (!e) return undefined
  const v = e.value
  if (!isPlainObject(v))
    throw new ConfigError(e.name, 'must be a JWK Set { keys } or { jwks: { keys }, fetchedAt }')
  if ('jwks' in v || 'fetchedAt' in v) {
    for (const k of Object.keys(v)) {
      if (k !== 'jwks' && k !== 'fetchedAt')
        throw new ConfigError(`${e.name}.${k}`, 'is not a known field')
    }
    if (!isPlainObject(v.jwks)) throw new ConfigError(`${e.name}.jwks`, 'must be { keys }')
    const fetchedAt = v.fetchedAt
    if (typeof fetchedAt !== 'number' || !Number.isFinite(fetchedAt) || fetchedAt < 0)
      throw new ConfigError(`${e.name}.fetchedAt`, 'must be a time in milliseconds')
    const keys = jwkList(v.jwks.keys, `${e.name}.jwks.keys`)
    return Object.freeze({ jwks: Object.freeze({ keys }), fetchedAt }) as T
  }
  if (!('keys' in v))
    throw new ConfigError(e.name, 'must be a JWK Set { keys } or { jwks: { keys }, fetchedAt }')
  return Object.freeze({ keys: jwkList(v.keys, `${e.name}.keys`) }) as T
}

/**
 * The shortest `maxStaleMs`: twice the shortest key-set refresh interval (30 s, the floor of
 * `max-age`). A key set refreshes at min(its lifetime, `maxStaleMs` / 2), so with this bound it
 * never refreshes more often than every 30 s, and a failed refresh has retries left before the
 * keys are withdrawn.
 */
export const MIN_MAX_STALE_MS = 60_000

/** `maxStaleMs`: an integer, at least {@link MIN_MAX_STALE_MS}. */
export function maxStale(e: OptionEntry | undefined): number {
  const v = integer(e, DEFAULTS.maxStaleMs, 0)
  if (e && v < MIN_MAX_STALE_MS) {
    throw new ConfigError(
      e.name,
      `must be at least ${MIN_MAX_STALE_MS} (twice the shortest key-set refresh interval, 30 s): keys refresh every maxStaleMs / 2 and would otherwise be fetched more often than every 30 s`,
    )
  }
  return v
}

/**
 * Checks between options of the key-set operations (after every option was parsed):
 * `initialJwks` seeds a key set, so it needs `jwksUri` or `openidConnectUrl` (not a static key,
 * and not beside `issuers`, where each entry takes its own), and its `fetchedAt` may not be in
 * the future (beyond the clock skew tolerance).
 *
 * @param resolved - the parsed options
 * @param name - the `initialJwks` key as the caller wrote it
 */
export function checkOperations(resolved: Readonly<Record<string, unknown>>, name: string): void {
  const issuers = resolved.issuers as readonly Readonly<Record<string, unknown>>[] | undefined
  for (const [i, entry] of (issuers ?? []).entries()) {
    // Entries are validated in full where the issuers are built; this one is plain to see here.
    if (
      entry.initialJwks !== undefined &&
      entry.jwksUri === undefined &&
      entry.openidConnectUrl === undefined
    ) {
      throw new ConfigError(
        `issuers[${i}].initialJwks`,
        'needs jwksUri or openidConnectUrl: it seeds a key set, and a static signingKey has none',
      )
    }
  }
  const initial = resolved.initialJwks as { fetchedAt?: number } | undefined
  if (initial === undefined) return
  if (resolved.issuers !== undefined) {
    throw new ConfigError(
      name,
      'cannot be set beside issuers: give each entry its own (initialJwks: exportKeys()[issuer])',
    )
  }
  if (resolved.jwksUri === undefined && resolved.openidConnectUrl === undefined) {
    throw new ConfigError(
      name,
      'needs jwksUri or openidConnectUrl: it seeds a key set, and a static signingKey has none',
    )
  }
  const fetchedAt = initial.fetchedAt
  if (fetchedAt === undefined) return
  const skewMs = (resolved.clockSkewToleranceSeconds as number) * 1000
  if (fetchedAt > Date.now() + skewMs) {
    throw new ConfigError(
      `${name}.fetchedAt`,
      `is in the future (${new Date(fetchedAt).toISOString()}): keys cannot have been fetched then`,
    )
  }
}

/** `jwksAgent`: an `http.Agent` or `https.Agent`. */
export function agent(e: OptionEntry | undefined): Agent | undefined {
  if (!e) return undefined
  if (!(e.value instanceof Agent))
    throw new ConfigError(e.name, 'must be an http.Agent or https.Agent')
  return e.value
}

/**
 * Request headers `jwksHeaders` may not set: the connection and framing headers Node.js and the
 * transport manage (`host` must match the URL, and a proxy agent tunnels to it), the encodings
 * the size limit decodes (`accept-encoding`), and the conditional and range headers the key set
 * manages itself (`if-none-match` carries the ETag; a stray condition would turn the JWKS into
 * an unexpected 304 or 206).
 */
export const RESERVED_JWKS_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  'accept-encoding',
  'range',
  'if-range',
  'if-none-match',
  'if-match',
  'if-modified-since',
  'if-unmodified-since',
])

/**
 * `jwksHeaders`: header names and single-line string values; none of
 * {@link RESERVED_JWKS_HEADERS}, and no name given twice in different case.
 */
export function headerRecord(
  e: OptionEntry | undefined,
): Readonly<Record<string, string>> | undefined {
  if (!e) return undefined
  if (!isPlainObject(e.value)) throw new ConfigError(e.name, 'must be an object of header values')
  const out: Record<string, string> = {}
  const seen = new Set<string>()
  for (const [k, v] of Object.entries(e.value)) {
    const name = `${e.name}.${k}`
    if (!HEADER_NAME.test(k)) throw new ConfigError(name, 'is not a valid HTTP header name')
    const lower = k.toLowerCase()
    if (RESERVED_JWKS_HEADERS.has(lower))
      throw new ConfigError(name, 'cannot be set: jwtgate manages this request header')
    if (seen.has(lower)) throw new ConfigError(name, 'repeats a header name in another case')
    seen.add(lower)
    if (typeof v !== 'string' || /[\r\n\0]/.test(v))
      throw new ConfigError(name, 'must be a single-line string')
    out[k] = v
  }
  return Object.freeze(out)
}
