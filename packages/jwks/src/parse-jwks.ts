// Turns a JWK Set document into bound verification keys. Broken or unusable keys are skipped
// one by one and reported, never failing the whole set (RFC 7517 §5; SEC-118..124); symmetric
// keys are refused because a key set is public (SEC-116), and so is published private material.
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import {
  bindKey,
  escapeForLog,
  hasControlChars,
  MAX_KID_LENGTH,
  type VerificationKey,
} from '@jwtgate/core'

/** A key that was not imported, and why. */
export interface SkippedKey {
  /** The key id, escaped and shortened for logs; undefined when the key had none. */
  readonly kid: string | undefined
  /** Why it was skipped. */
  readonly reason: string
}

/** The usable keys of a set, and the skipped ones. */
export interface ParsedKeySet {
  readonly keys: readonly VerificationKey[]
  readonly skipped: readonly SkippedKey[]
  /**
   * The imported keys as public JWKs (only `kty`, `kid`, `use`, `key_ops`, `alg`, `crv`, `x`,
   * `y`, `n`, `e`), in the order of `keys`: what `exportKeys()` saves.
   */
  readonly jwks: readonly Readonly<Record<string, unknown>>[]
}

const EXPORTED_MEMBERS = ['kty', 'kid', 'use', 'key_ops', 'alg', 'crv', 'x', 'y', 'n', 'e'] as const

/** Why a whole document was rejected. */
export class KeySetError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KeySetError'
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const EC_SIZES: Readonly<Record<string, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }
const B64URL = /^[A-Za-z0-9_-]+$/
/**
 * Escapes control characters (C0, C1, bidi) and shortens a kid for logs and events (SEC-144),
 * with core's one definition of a control character.
 */
export function safeKid(kid: unknown): string | undefined {
  return typeof kid === 'string' ? escapeForLog(kid) : undefined
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Parses a JWKS response body.
 *
 * @param body - the raw bytes
 * @param maxKeys - reject a set with more keys; ≤ 0 is unlimited
 * @returns usable and skipped keys
 * @throws {@link KeySetError} when the document is not a JWK Set or has too many keys
 */
export function parseJwks(body: Uint8Array, maxKeys: number): ParsedKeySet {
  let doc: unknown
  try {
    doc = JSON.parse(decoder.decode(body).replace(/^\uFEFF/, ''))
  } catch {
    throw new KeySetError('The response is not JSON')
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new KeySetError('The response is not a JWK Set object')
  }
  const list = (doc as { keys?: unknown }).keys
  if (!Array.isArray(list)) throw new KeySetError('The response has no "keys" array')
  return parseJwkList(list, maxKeys)
}

/**
 * Imports the `keys` of a JWK Set already parsed from JSON (a fetched set, or `initialJwks`),
 * exactly as {@link parseJwks} does.
 *
 * @param list - the `keys` array
 * @param maxKeys - reject a set with more keys; ≤ 0 is unlimited
 * @throws {@link KeySetError} when the set has too many keys
 */
export function parseJwkList(list: readonly unknown[], maxKeys: number): ParsedKeySet {
  if (maxKeys > 0 && list.length > maxKeys) {
    throw new KeySetError(`The key set has ${list.length} keys, more than maxJwksKeys (${maxKeys})`)
  }
  const keys: VerificationKey[] = []
  const skipped: SkippedKey[] = []
  const jwks: Readonly<Record<string, unknown>>[] = []
  for (const entry of list) {
    const result = importJwk(entry)
    if (typeof result === 'string') {
      skipped.push({
        kid: safeKid((entry as { kid?: unknown } | null)?.kid),
        reason: result,
      })
    } else {
      keys.push(result)
      const source = entry as Record<string, unknown>
      const jwk: Record<string, unknown> = {}
      for (const m of EXPORTED_MEMBERS) {
        const v = source[m]
        if (v !== undefined) jwk[m] = Array.isArray(v) ? Object.freeze([...(v as unknown[])]) : v
      }
      jwks.push(Object.freeze(jwk))
    }
  }
  return { keys, skipped, jwks: Object.freeze(jwks) }
}

/**
 * Imports one JWK as a verification key, or returns why it cannot be used.
 *
 * @param jwk - one member of `keys`
 */
export function importJwk(jwk: unknown): VerificationKey | string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'not a JSON object'
  const k = jwk as Record<string, unknown>
  const kid = k.kid
  if (kid !== undefined && typeof kid !== 'string') return 'kid is not a string'
  if (typeof kid === 'string' && (kid.length > MAX_KID_LENGTH || hasControlChars(kid))) {
    return 'kid is too long or holds control characters'
  }
  if (k.kty === 'oct') return 'symmetric keys are not accepted from a key set'
  if (PRIVATE_MEMBERS.some((m) => k[m] !== undefined)) return 'the key holds private key material'
  if (k.use !== undefined && k.use !== 'sig') return 'use is not "sig"'
  if (k.key_ops !== undefined) {
    const ops = k.key_ops
    if (
      !Array.isArray(ops) ||
      !ops.every((o) => typeof o === 'string') ||
      new Set(ops).size !== ops.length
    ) {
      return 'key_ops is not a list of unique strings'
    }
    if (!ops.includes('verify')) return 'key_ops does not allow verify'
  }
  if (k.alg !== undefined && typeof k.alg !== 'string') return 'alg is not a string'
  let publicJwk: JsonWebKey
  if (k.kty === 'RSA') {
    if (!isB64(k.n) || !isB64(k.e)) return 'RSA key needs base64url n and e'
    publicJwk = { kty: 'RSA', n: k.n, e: k.e }
  } else if (k.kty === 'EC') {
    const size = typeof k.crv === 'string' ? EC_SIZES[k.crv] : undefined
    if (size === undefined) return 'EC curve is not supported'
    if (!isB64(k.x) || !isB64(k.y) || b64Len(k.x) !== size || b64Len(k.y) !== size) {
      return 'EC coordinates have the wrong size'
    }
    publicJwk = { kty: 'EC', crv: k.crv as string, x: k.x, y: k.y }
  } else if (k.kty === 'OKP') {
    if (k.crv !== 'Ed25519') return 'OKP curve is not supported'
    if (!isB64(k.x) || b64Len(k.x) !== 32) return 'Ed25519 key has the wrong size'
    publicJwk = { kty: 'OKP', crv: 'Ed25519', x: k.x }
  } else {
    return 'kty is not supported'
  }
  let bound: VerificationKey | string
  try {
    bound = bindKey(
      createPublicKey({ key: publicJwk, format: 'jwk' }),
      kid === '' ? undefined : kid,
      k.alg,
    )
  } catch {
    return 'the key does not parse (invalid point or parameters)'
  }
  return bound
}

function isB64(v: unknown): v is string {
  return typeof v === 'string' && B64URL.test(v)
}

function b64Len(v: string): number {
  return Math.floor((v.length * 3) / 4)
}
