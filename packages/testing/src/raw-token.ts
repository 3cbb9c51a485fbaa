import { constants, createHmac, createPrivateKey, sign as cryptoSign, KeyObject } from 'node:crypto'
import { exportPKCS8 } from 'jose'
import type { TestKey } from './keys.js'

// These helpers build tokens byte by byte, without jose: a verifier must be tested against
// input jose would refuse to produce (alg "none", duplicate members, DER ECDSA signatures,
// HS256 keyed with a public key's PEM text, …).

/**
 * Produces the signature bytes of a JWS signing input (`base64url(header) + "." + base64url(payload)`).
 *
 * @param signingInput - the exact ASCII signing input
 * @returns the raw signature bytes (base64url-encoded by {@link mintRaw})
 */
export type Signer = (signingInput: string) => Uint8Array | Promise<Uint8Array>

/** A header or payload for {@link mintRaw}: an object (JSON-encoded), exact text, or exact bytes. */
export type RawSegment = string | object | Uint8Array

/** Input of {@link mintRaw}. */
export interface MintRawOptions {
  /** Protected header: an object (JSON-encoded), exact text or exact bytes. */
  header: RawSegment
  /** Payload: an object (JSON-encoded), exact text or exact bytes. */
  payload: RawSegment
  /** Computes the signature over the signing input; see {@link signerFor} and {@link hmacSigner}. */
  sign?: Signer
  /**
   * The signature segment, taken verbatim (base64url text, or anything a test wants to send).
   * @defaultValue `''` (an empty signature) unless `sign` is given
   */
  signature?: string
}

/** Options of {@link signerFor}. */
export interface SignerOptions {
  /**
   * ECDSA signature form. JWS requires the raw `R‖S` form (`ieee-p1363`); `der` produces the
   * ASN.1 form a verifier must reject.
   * @defaultValue `'ieee-p1363'`
   */
  dsaEncoding?: 'ieee-p1363' | 'der'
  /**
   * RSA-PSS salt length in bytes.
   * @defaultValue the hash length (32, 48 or 64), as RFC 7518 §3.5 requires
   */
  saltLength?: number
}

/**
 * Encodes one token segment as base64url without padding.
 *
 * Strings are encoded as their exact UTF-8 text, so a test can send duplicate member names, a
 * BOM, `1e309` or deep nesting; bytes are encoded as they are (for invalid UTF-8); any other
 * object is `JSON.stringify`-ed.
 *
 * @param value - exact text, exact bytes, or a JSON value
 * @returns the base64url text
 *
 * @example
 * ```ts
 * encodeSegment('{"alg":"RS256","alg":"none"}') // duplicate members, exactly as written
 * encodeSegment(new Uint8Array([0xff, 0xfe]))   // invalid UTF-8
 * ```
 */
export function encodeSegment(value: RawSegment): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url')
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64url')
  const json = JSON.stringify(value) as string | undefined
  if (json === undefined) throw new TypeError('encodeSegment: the value has no JSON form')
  return Buffer.from(json, 'utf8').toString('base64url')
}

/**
 * Builds a compact JWS from exact parts, without any validation.
 *
 * @param options - header, payload, and either a `sign` function or a verbatim `signature`
 * @returns `header.payload.signature`
 * @throws TypeError when both `sign` and `signature` are given
 *
 * @example
 * ```ts
 * const key = await generateTestKey('ES256')
 * const token = await mintRaw({
 *   header: `{"alg":"ES256","kid":"${key.kid}","kid":"other"}`,
 *   payload: { sub: 'alice', exp: 1e10 },
 *   sign: signerFor(key),
 * })
 * ```
 */
export async function mintRaw(options: MintRawOptions): Promise<string> {
  if (options.sign !== undefined && options.signature !== undefined) {
    throw new TypeError('mintRaw: give either sign or signature, not both')
  }
  const signingInput = `${encodeSegment(options.header)}.${encodeSegment(options.payload)}`
  const signature =
    options.sign === undefined
      ? (options.signature ?? '')
      : Buffer.from(await options.sign(signingInput)).toString('base64url')
  return `${signingInput}.${signature}`
}

/**
 * Returns a {@link Signer} computing an HMAC over the exact signing input.
 *
 * Use it to forge HS* tokens with any secret, for instance the PEM text of an RSA public key
 * (the algorithm-confusion attack).
 *
 * @param secret - the HMAC key; a string is used as its UTF-8 bytes
 * @param hash - `sha256` (HS256), `sha384` (HS384) or `sha512` (HS512)
 * @returns a signer for {@link mintRaw}
 *
 * @example
 * ```ts
 * const forged = await mintRaw({
 *   header: { alg: 'HS256', typ: 'JWT' },
 *   payload: { sub: 'admin' },
 *   sign: hmacSigner(key.publicKeyPem, 'sha256'),
 * })
 * ```
 */
export function hmacSigner(
  secret: Uint8Array | string,
  hash: 'sha256' | 'sha384' | 'sha512',
): Signer {
  const keyBytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret)
  return (signingInput) => createHmac(hash, keyBytes).update(signingInput, 'ascii').digest()
}

const privateKeyObjects = new WeakMap<TestKey, Promise<KeyObject>>()

/**
 * The private half of a {@link TestKey} as a node:crypto `KeyObject` (exported once with jose's
 * `exportPKCS8`, then cached).
 *
 * @param key - a test key
 * @returns its private key object
 */
export function privateKeyObject(key: TestKey): Promise<KeyObject> {
  let cached = privateKeyObjects.get(key)
  if (cached === undefined) {
    cached = exportPKCS8(key.privateKey).then((pem) => createPrivateKey(pem))
    privateKeyObjects.set(key, cached)
  }
  return cached
}

/**
 * Returns a {@link Signer} producing a correct JWS signature with node:crypto, so tokens with
 * arbitrary header and payload text can be validly signed.
 *
 * RS* use RSASSA-PKCS1-v1_5, PS* RSASSA-PSS with MGF1 and a salt of the hash length, ES* ECDSA
 * in the raw `R‖S` form, `EdDSA` / `Ed25519` Ed25519.
 *
 * @param key - a {@link TestKey} or a private `KeyObject`
 * @param alg - the JWS algorithm; defaults to the test key's own
 * @param options - ECDSA encoding and PSS salt length overrides, for negative tests
 * @returns a signer for {@link mintRaw}
 * @throws TypeError when the algorithm is unknown, HMAC, or does not match the key type
 *
 * @example
 * ```ts
 * const key = await generateTestKey('PS256')
 * const token = await mintRaw({
 *   header: { alg: 'PS256', kid: key.kid, crit: ['exp'] },
 *   payload: '{"sub":"alice","sub":"mallory"}',
 *   sign: signerFor(key),
 * })
 * ```
 */
export function signerFor(
  key: TestKey | KeyObject,
  alg?: string,
  options: SignerOptions = {},
): Signer {
  const algorithm = alg ?? (key instanceof KeyObject ? undefined : key.alg)
  if (algorithm === undefined) throw new TypeError('signerFor: alg is required for a KeyObject')
  const family = /^(RS|PS|ES)(256|384|512)$/.exec(algorithm)
  const isEdDsa = algorithm === 'EdDSA' || algorithm === 'Ed25519'
  if (family === null && !isEdDsa) {
    throw new TypeError(
      `signerFor: unsupported algorithm ${algorithm} (use hmacSigner for HS*, mintRaw for none)`,
    )
  }
  const hash = family === null ? null : `sha${family[2] ?? ''}`
  const kind = family?.[1] ?? 'Ed'
  const keyTypes = KEY_TYPES[kind] ?? []
  const resolve = key instanceof KeyObject ? Promise.resolve(key) : privateKeyObject(key)

  return async (signingInput) => {
    const keyObject = await resolve
    const type = keyObject.asymmetricKeyType ?? 'secret'
    if (!keyTypes.includes(type))
      throw new TypeError(`signerFor: a ${type} key cannot sign ${algorithm}`)
    const data = Buffer.from(signingInput, 'ascii')
    switch (kind) {
      case 'RS':
        return cryptoSign(hash, data, keyObject)
      case 'PS':
        return cryptoSign(hash, data, {
          key: keyObject,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: options.saltLength ?? Number(family?.[2]) / 8,
        })
      case 'ES':
        return cryptoSign(hash, data, {
          key: keyObject,
          dsaEncoding: options.dsaEncoding ?? 'ieee-p1363',
        })
      default:
        return cryptoSign(null, data, keyObject)
    }
  }
}

/** node:crypto key types able to produce each JWS algorithm family. */
const KEY_TYPES: Partial<Record<string, readonly string[]>> = {
  RS: ['rsa', 'rsa-pss'],
  PS: ['rsa', 'rsa-pss'],
  ES: ['ec'],
  Ed: ['ed25519', 'ed448'],
}

/** Splits a compact token into exactly three parts. */
function parts(token: string): [string, string, string] {
  const split = token.split('.')
  if (split.length !== 3)
    throw new TypeError(`Expected a compact JWS with 3 parts, got ${split.length}`)
  return split as [string, string, string]
}

/**
 * Replaces the payload of a token and keeps its old signature (which therefore no longer verifies).
 *
 * @param token - a compact JWS
 * @param claims - the new payload: an object, exact text or exact bytes
 * @returns the tampered token
 *
 * @example
 * ```ts
 * const forged = tamperPayload(await mintToken({ key, claims: { sub: 'bob' } }), { sub: 'admin' })
 * ```
 */
export function tamperPayload(token: string, claims: RawSegment): string {
  const [header, , signature] = parts(token)
  return `${header}.${encodeSegment(claims)}.${signature}`
}

/**
 * Builds an unsecured token (`alg: "none"` or another spelling) with an empty signature.
 *
 * @param claims - the payload: an object, exact text or exact bytes
 * @param algSpelling - the `alg` value, e.g. `none`, `None`, `NONE`, `nOnE`
 * @param header - extra header members (e.g. a `kid`)
 * @returns `header.payload.` (note the trailing dot)
 *
 * @example
 * ```ts
 * algNoneToken({ sub: 'admin' }, 'nOnE')
 * ```
 */
export function algNoneToken(
  claims: RawSegment,
  algSpelling = 'none',
  header: Record<string, unknown> = {},
): string {
  return `${encodeSegment({ alg: algSpelling, typ: 'JWT', ...header })}.${encodeSegment(claims)}.`
}

/**
 * Replaces the signature segment of a token.
 *
 * @param token - a compact JWS
 * @param signatureB64url - the new signature segment, taken verbatim
 * @returns the token with that signature
 */
export function withSignature(token: string, signatureB64url: string): string {
  const [header, payload] = parts(token)
  return `${header}.${payload}.${signatureB64url}`
}

/**
 * Puts the signature of `tokenB` under the header and payload of `tokenA`.
 *
 * @param tokenA - supplies header and payload
 * @param tokenB - supplies the signature
 * @returns the spliced token
 */
export function spliceSignature(tokenA: string, tokenB: string): string {
  return withSignature(tokenA, parts(tokenB)[2])
}
