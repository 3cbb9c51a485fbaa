// The algorithm ↔ key binding. A key verifies only the algorithms of its own family and size;
// the allow-list is checked against this binding before any crypto runs (SEC-022..027).
import type { KeyObject } from 'node:crypto'
import type { JwsAlgorithm, VerificationKey } from '../types.js'
import { hasRocaFingerprint } from './roca.js'

/** Every algorithm jwtgate can verify. */
export const ALL_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze([
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])

const ALGORITHM_SET: ReadonlySet<string> = new Set(ALL_ALGORITHMS)

/** True for a name in {@link ALL_ALGORITHMS} (exact, case-sensitive: RFC 7515 §4.1.1). */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && ALGORITHM_SET.has(value)
}

/** Asymmetric algorithms: what a remote key set may verify (HS* never, SEC-116). */
export const ASYMMETRIC_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(
  ALL_ALGORITHMS.filter((a) => !a.startsWith('HS')),
)

const RSA_ALGS: readonly JwsAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const EC_ALGS: Readonly<Record<string, JwsAlgorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

/**
 * What {@link bindKey} returns for an RSA key with the ROCA fingerprint (CVE-2017-15361); also
 * the `reason` of the `jwks.key_skipped` event for such a key in a key set.
 */
export const ROCA_REASON = 'roca'

function rsaModulus(keyObject: KeyObject): Buffer {
  const { n } = keyObject.export({ format: 'jwk' })
  return Buffer.from(n ?? '', 'base64url')
}

/** Smallest RSA modulus accepted (RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048
/** Largest RSA modulus accepted: bounds the cost of one verification (SEC-120). */
export const MAX_RSA_BITS = 8192
/** Smallest HMAC secret, in bytes (RFC 7518 §3.2: at least the hash size). */
export const MIN_HMAC_BYTES = 32

/**
 * Binds a key to the algorithms it may verify, or explains why it cannot be used.
 * Secret keys: HS256 from 32 bytes, HS384 from 48, HS512 from 64. RSA (2048–8192 bits, odd
 * e > 1, without the ROCA fingerprint: {@link ROCA_REASON}): RS* and PS*. EC: the ES* of its curve. Ed25519: EdDSA and Ed25519.
 *
 * @param keyObject - a public or secret KeyObject (private keys are refused)
 * @param kid - the key id, if any
 * @param restrictTo - a JWK's `alg`: the key then verifies only that algorithm
 * @returns the bound key, or a reason string when the key is unusable
 */
export function bindKey(
  keyObject: KeyObject,
  kid?: string,
  restrictTo?: string,
): VerificationKey | string {
  let type: VerificationKey['type']
  let algorithms: JwsAlgorithm[]
  if (keyObject.type === 'private') return 'a private key was given; give the public key'
  if (keyObject.type === 'secret') {
    const size = keyObject.symmetricKeySize ?? 0
    if (size < MIN_HMAC_BYTES)
      return `HMAC secret has ${size} bytes; at least ${MIN_HMAC_BYTES} are required`
    type = 'hmac'
    algorithms = ['HS256']
    if (size >= 48) algorithms.push('HS384')
    if (size >= 64) algorithms.push('HS512')
  } else {
    const kt = keyObject.asymmetricKeyType
    const details = keyObject.asymmetricKeyDetails ?? {}
    if (kt === 'rsa') {
      const bits = details.modulusLength ?? 0
      if (bits < MIN_RSA_BITS)
        return `RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`
      if (bits > MAX_RSA_BITS)
        return `RSA key has ${bits} bits; at most ${MAX_RSA_BITS} are supported`
      const e = details.publicExponent ?? 0n
      if (e <= 1n || e % 2n === 0n) return 'RSA public exponent must be odd and greater than 1'
      if (hasRocaFingerprint(rsaModulus(keyObject))) return ROCA_REASON
      type = 'rsa'
      algorithms = [...RSA_ALGS]
    } else if (kt === 'ec') {
      const alg = EC_ALGS[details.namedCurve ?? '']
      if (alg === undefined) return `EC curve ${details.namedCurve ?? 'unknown'} is not supported`
      type = 'ec'
      algorithms = [alg]
    } else if (kt === 'ed25519') {
      type = 'ed25519'
      algorithms = ['EdDSA', 'Ed25519']
    } else {
      return `key type ${kt ?? 'unknown'} is not supported`
    }
  }
  if (restrictTo !== undefined) {
    if (!algorithms.includes(restrictTo as JwsAlgorithm)) {
      return `the key's alg ${restrictTo} does not fit a ${type} key`
    }
    algorithms = [restrictTo as JwsAlgorithm]
  }
  return Object.freeze({ kid, type, algorithms: new Set(algorithms), keyObject })
}
