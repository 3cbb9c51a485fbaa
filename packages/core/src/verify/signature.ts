// Signature verification on node:crypto, synchronous (about 3× cheaper than WebCrypto).
// Each call is pinned to the exact JWA parameters; node's defaults are unsafe here:
// ECDSA defaults to DER (SEC-044) and RSA-PSS to an automatic salt length (SEC-047).
import { constants, createHmac, timingSafeEqual, verify } from 'node:crypto'
import type { JwsAlgorithm, VerificationKey } from '../types.js'

type Params =
  | { kind: 'hmac'; hash: string; size: number }
  | { kind: 'pkcs1'; hash: string }
  | { kind: 'pss'; hash: string; saltLength: number }
  | { kind: 'ecdsa'; hash: string; size: number }
  | { kind: 'eddsa'; size: number }

const PARAMS: Readonly<Record<JwsAlgorithm, Params>> = {
  HS256: { kind: 'hmac', hash: 'sha256', size: 32 },
  HS384: { kind: 'hmac', hash: 'sha384', size: 48 },
  HS512: { kind: 'hmac', hash: 'sha512', size: 64 },
  RS256: { kind: 'pkcs1', hash: 'sha256' },
  RS384: { kind: 'pkcs1', hash: 'sha384' },
  RS512: { kind: 'pkcs1', hash: 'sha512' },
  PS256: { kind: 'pss', hash: 'sha256', saltLength: 32 },
  PS384: { kind: 'pss', hash: 'sha384', saltLength: 48 },
  PS512: { kind: 'pss', hash: 'sha512', saltLength: 64 },
  ES256: { kind: 'ecdsa', hash: 'sha256', size: 64 },
  ES384: { kind: 'ecdsa', hash: 'sha384', size: 96 },
  ES512: { kind: 'ecdsa', hash: 'sha512', size: 132 },
  EdDSA: { kind: 'eddsa', size: 64 },
  Ed25519: { kind: 'eddsa', size: 64 },
}

/**
 * Verifies a JWS signature. The caller has already checked that `key.algorithms` holds `alg`.
 *
 * @param alg - the token's algorithm
 * @param key - the bound key
 * @param signingInput - `base64url(header) "." base64url(payload)`
 * @param signature - the decoded signature bytes
 * @returns whether the signature is valid; never throws
 */
export function verifySignature(
  alg: JwsAlgorithm,
  key: VerificationKey,
  signingInput: string,
  signature: Buffer,
): boolean {
  if (!key.algorithms.has(alg)) return false
  const p = PARAMS[alg]
  try {
    switch (p.kind) {
      case 'hmac': {
        // Length first: timingSafeEqual throws on unequal lengths (SEC-042).
        if (signature.length !== p.size) return false
        const mac = createHmac(p.hash, key.keyObject).update(signingInput, 'latin1').digest()
        return timingSafeEqual(mac, signature)
      }
      case 'pkcs1':
        return verify(p.hash, Buffer.from(signingInput, 'latin1'), key.keyObject, signature)
      case 'pss':
        return verify(
          p.hash,
          Buffer.from(signingInput, 'latin1'),
          {
            key: key.keyObject,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: p.saltLength,
          },
          signature,
        )
      case 'ecdsa':
        if (signature.length !== p.size) return false
        return verify(
          p.hash,
          Buffer.from(signingInput, 'latin1'),
          { key: key.keyObject, dsaEncoding: 'ieee-p1363' },
          signature,
        )
      case 'eddsa':
        if (signature.length !== p.size) return false
        return verify(null, Buffer.from(signingInput, 'latin1'), key.keyObject, signature)
    }
  } catch {
    // A malformed signature for the key (wrong size for the modulus, …) is just invalid.
    return false
  }
}
