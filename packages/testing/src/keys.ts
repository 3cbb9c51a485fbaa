import { randomBytes, webcrypto } from 'node:crypto'
import { exportJWK, exportSPKI, generateKeyPair } from 'jose'
import type { CryptoKey, JWK } from 'jose'

/** Every asymmetric JWS algorithm {@link generateTestKey} can create a key for. */
export const TEST_KEY_ALGORITHMS = [
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
] as const

/** An asymmetric JWS algorithm {@link generateTestKey} can create a key for. */
export type TestKeyAlgorithm = (typeof TEST_KEY_ALGORITHMS)[number]

/** A key pair made by {@link generateTestKey}: the private half signs, the public half is published. */
export interface TestKey {
  /** Key id, written to the JWK and (by default) to the header of tokens signed with the key. */
  readonly kid: string
  /** The JWS algorithm the key was generated for. */
  readonly alg: TestKeyAlgorithm
  /** Extractable WebCrypto private key (jose signs with it). */
  readonly privateKey: CryptoKey
  /** WebCrypto public key. */
  readonly publicKey: CryptoKey
  /**
   * Public JWK with `kid`, `alg`, `use: "sig"` and only the public members
   * (`kty`, `crv`, `x`, `y`, `n`, `e`); never `d`, `p`, `q`, `dp`, `dq` or `qi`.
   */
  readonly publicJwk: JWK
  /** The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), usable as a static `signingKey`. */
  readonly publicKeyPem: string
}

/** Options of {@link generateTestKey}. */
export interface GenerateTestKeyOptions {
  /**
   * Key id.
   * @defaultValue a random short id such as `rs256-1a2b3c4d`
   */
  kid?: string
  /**
   * RSA modulus length in bits (RS* and PS* only). Values under 2048 are allowed, to test that
   * weak keys are refused; such keys are signed with node:crypto, as jose refuses them.
   * @defaultValue 2048
   */
  modulusLength?: number
}

/** JWK members that may appear in a published public key. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

/**
 * Tells whether `value` names an algorithm {@link generateTestKey} supports.
 *
 * @param value - any value
 * @returns `true` for `RS256` … `EdDSA`
 */
export function isTestKeyAlgorithm(value: unknown): value is TestKeyAlgorithm {
  return typeof value === 'string' && (TEST_KEY_ALGORITHMS as readonly string[]).includes(value)
}

/**
 * Generates a fresh key pair for one JWS algorithm, with its public JWK and SPKI PEM.
 *
 * RSA keys are 2048 bits unless `modulusLength` says otherwise; `EdDSA` makes an Ed25519 key.
 *
 * @param alg - the JWS algorithm the key is for
 * @param options - optional `kid` and RSA `modulusLength`
 * @returns the key pair and its public forms
 * @throws TypeError when `alg` is not supported
 *
 * @example
 * ```ts
 * const key = await generateTestKey('ES256', { kid: 'k1' })
 * const token = await mintToken({ key, claims: { sub: 'alice' } })
 * // key.publicJwk goes into a JWKS, key.publicKeyPem into a static signingKey
 * ```
 */
export async function generateTestKey(
  alg: TestKeyAlgorithm,
  options: GenerateTestKeyOptions = {},
): Promise<TestKey> {
  if (!isTestKeyAlgorithm(alg))
    throw new TypeError(`Unsupported test key algorithm: ${String(alg)}`)
  const isRsa = alg.startsWith('RS') || alg.startsWith('PS')
  const modulusLength = options.modulusLength ?? 2048
  const { privateKey, publicKey } =
    isRsa && modulusLength < 2048
      ? await generateWeakRsaKey(alg, modulusLength)
      : await generateKeyPair(alg, {
          extractable: true,
          ...(isRsa ? { modulusLength } : {}),
          ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
        })
  const kid = options.kid ?? `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`
  const exported = await exportJWK(publicKey)
  const publicJwk: JWK = { kid, alg, use: 'sig' }
  for (const member of PUBLIC_MEMBERS) {
    const value = exported[member]
    if (value !== undefined) publicJwk[member] = value
  }
  const publicKeyPem = await exportSPKI(publicKey)
  return Object.freeze({ kid, alg, privateKey, publicKey, publicJwk, publicKeyPem })
}

/**
 * jose refuses RSA keys under 2048 bits; WebCrypto itself does not, and tests of "weak key"
 * rejection need such keys.
 */
async function generateWeakRsaKey(
  alg: TestKeyAlgorithm,
  modulusLength: number,
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  const pair = await webcrypto.subtle.generateKey(
    {
      name: alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5',
      modulusLength,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: `SHA-${alg.slice(2)}`,
    },
    true,
    ['sign', 'verify'],
  )
  return { privateKey: pair.privateKey, publicKey: pair.publicKey }
}

/**
 * Tells whether `value` is a {@link TestKey} (as opposed to a raw key handed to `mintToken`).
 *
 * @param value - any value
 * @returns `true` when `value` has the shape of a {@link TestKey}
 */
export function isTestKey(value: unknown): value is TestKey {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<Record<keyof TestKey, unknown>>
  return (
    typeof v.kid === 'string' &&
    isTestKeyAlgorithm(v.alg) &&
    typeof v.privateKey === 'object' &&
    typeof v.publicJwk === 'object'
  )
}
