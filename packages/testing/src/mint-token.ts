import type { KeyObject as NodeKeyObject } from 'node:crypto'
import { CompactSign } from 'jose'
import type { CompactJWSHeaderParameters, CryptoKey } from 'jose'
import { isTestKey } from './keys.js'
import type { TestKey } from './keys.js'
import { mintRaw, privateKeyObject, signerFor } from './raw-token.js'

/** A key {@link mintToken} can sign with. */
export type MintKey = TestKey | CryptoKey | NodeKeyObject | Uint8Array

/** Options of {@link mintToken}. */
export interface MintTokenOptions {
  /** The signing key: a {@link TestKey}, a private `CryptoKey` / `KeyObject`, or HMAC secret bytes. */
  key: MintKey
  /**
   * JWS algorithm.
   * @defaultValue the test key's algorithm; inferred from a `CryptoKey` / `KeyObject`; `HS256` for bytes
   */
  alg?: string
  /**
   * `kid` header parameter; `null` leaves it out.
   * @defaultValue the test key's `kid` (none for other keys)
   */
  kid?: string | null
  /** Header members merged over `{ alg, kid, typ: 'JWT' }`; a member set to `undefined` is removed. */
  header?: Record<string, unknown>
  /** Claims merged over `{ iat, exp }`; a claim set to `undefined` is removed. */
  claims?: Record<string, unknown>
  /**
   * Lifetime in seconds, giving `exp = now + expiresIn`; `null` leaves `exp` out.
   * @defaultValue 300
   */
  expiresIn?: number | null
  /**
   * The current time in seconds since the epoch, used for `iat` and `exp`.
   * @defaultValue `Math.floor(Date.now() / 1000)`
   */
  now?: number
}

/** Drops the members whose value is `undefined`. */
function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined))
}

const HASH_BITS: Partial<Record<string, string>> = {
  'SHA-256': '256',
  'SHA-384': '384',
  'SHA-512': '512',
}
const CURVE_ALGS: Partial<Record<string, string>> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

/** Infers the JWS algorithm of a key that does not say it. */
function inferAlg(key: MintKey): string | undefined {
  if (isTestKey(key)) return key.alg
  if (key instanceof Uint8Array) return 'HS256'
  if ('algorithm' in key) {
    const algorithm = key.algorithm as {
      name: string
      hash?: { name: string }
      namedCurve?: string
    }
    const bits = HASH_BITS[algorithm.hash?.name ?? ''] ?? '256'
    switch (algorithm.name) {
      case 'RSASSA-PKCS1-v1_5':
        return `RS${bits}`
      case 'RSA-PSS':
        return `PS${bits}`
      case 'HMAC':
        return `HS${bits}`
      case 'ECDSA':
        return CURVE_ALGS[algorithm.namedCurve ?? '']
      case 'Ed25519':
        return 'EdDSA'
      default:
        return undefined
    }
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256'
    case 'rsa-pss':
      return 'PS256'
    case 'ec':
      return CURVE_ALGS[key.asymmetricKeyDetails?.namedCurve ?? '']
    case 'ed25519':
      return 'EdDSA'
    case undefined:
      return key.type === 'secret' ? 'HS256' : undefined
    case 'ed448':
    case 'dsa':
    case 'x25519':
    case 'x448':
      return undefined
  }
}

/** jose refuses RSA keys under 2048 bits; {@link generateTestKey} can make them for negative tests. */
function isWeakRsa(key: TestKey): boolean {
  const { modulusLength } = key.publicKey.algorithm as { modulusLength?: number }
  return modulusLength !== undefined && modulusLength < 2048
}

/**
 * Signs a JWT with jose (`CompactSign`), with test-friendly defaults.
 *
 * The header is `{ alg, kid, typ: 'JWT' }` (the `kid` of a {@link TestKey} unless `kid: null`)
 * merged with `header`; the payload is `{ iat: now, exp: now + 300 }` merged with `claims`. A
 * member given as `undefined` is removed, so `claims: { iat: undefined }` mints a token without
 * `iat`. A test key may sign another algorithm of its family (an RS256 key signing PS256).
 *
 * For tokens jose would refuse to produce (alg `none`, DER signatures, duplicate members, …) use
 * {@link mintRaw} with {@link signerFor} or {@link hmacSigner}.
 *
 * @param options - key, algorithm, header, claims and lifetime
 * @returns the compact JWS
 * @throws TypeError when the algorithm cannot be inferred; jose errors when the key cannot sign it
 *
 * @example
 * ```ts
 * const key = await generateTestKey('RS256')
 * const token = await mintToken({ key, claims: { sub: 'alice', aud: 'api' }, expiresIn: 60 })
 * const noExp = await mintToken({ key, claims: { sub: 'alice' }, expiresIn: null })
 * const hs = await mintToken({ key: new TextEncoder().encode('x'.repeat(32)), claims: { sub: 'a' } })
 * ```
 */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  const { key } = options
  const testKey = isTestKey(key) ? key : undefined
  const alg = options.alg ?? inferAlg(key)
  if (alg === undefined) throw new TypeError('mintToken: cannot infer alg from the key; pass alg')
  const kid = options.kid === undefined ? testKey?.kid : (options.kid ?? undefined)
  const header = defined({ alg, typ: 'JWT', kid, ...options.header })
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const expiresIn = options.expiresIn === undefined ? 300 : options.expiresIn
  const payload = defined({
    iat: now,
    exp: expiresIn === null ? undefined : now + expiresIn,
    ...options.claims,
  })
  const signingAlg = header.alg
  if (testKey !== undefined && isWeakRsa(testKey) && typeof signingAlg === 'string') {
    return mintRaw({ header, payload, sign: signerFor(testKey, signingAlg) })
  }
  const signingKey =
    testKey === undefined
      ? (key as CryptoKey | NodeKeyObject | Uint8Array)
      : signingAlg === testKey.alg
        ? testKey.privateKey
        : await privateKeyObject(testKey)
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as CompactJWSHeaderParameters)
    .sign(signingKey)
}
