// Keys and tokens for the benchmarks, minted with node:crypto directly (fast enough to mint a
// million HS256 tokens for the memory run). Every contender verifies the same tokens.
import {
  constants,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
  type KeyPairKeyObjectResult,
} from 'node:crypto'

/** The algorithms the micro-benchmark compares. */
export const ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const
/** One benchmarked algorithm. */
export type Alg = (typeof ALGS)[number]

/** Audience and issuer every token carries and every verifier requires. */
export const AUD = 'bench-api'
export const ISS = 'https://idp.bench.example'

/** A key pair (or HMAC secret) in the forms each library wants. */
export interface BenchKey {
  readonly alg: Alg
  readonly kid: string
  /** HMAC secret bytes (HS256 only). */
  readonly secret: Buffer | undefined
  /** Private key (asymmetric only). */
  readonly privateKey: KeyObject | undefined
  /** Public key object, or the secret key object for HS256. */
  readonly verifyKey: KeyObject | Buffer
  /** SPKI PEM public key, or the secret for HS256. */
  readonly publicPem: string | Buffer
  /** The jwtgate / OpenSearch `signingKey` value: PEM, or the base64 HMAC secret. */
  readonly signingKey: string
}

/** Generates a key for `alg`: 32-byte HMAC secret, RSA 2048 (RS256, PS256), P-256 or Ed25519. */
export function makeKey(alg: Alg): BenchKey {
  const kid = `bench-${alg.toLowerCase()}`
  if (alg === 'HS256') {
    const secret = randomBytes(32)
    return {
      alg,
      kid,
      secret,
      privateKey: undefined,
      verifyKey: secret,
      publicPem: secret,
      signingKey: secret.toString('base64'),
    }
  }
  let pair: KeyPairKeyObjectResult
  if (alg === 'RS256' || alg === 'PS256') {
    pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
  } else if (alg === 'ES256') pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  else pair = generateKeyPairSync('ed25519')
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  return {
    alg,
    kid,
    secret: undefined,
    privateKey: pair.privateKey,
    verifyKey: pair.publicKey,
    publicPem: pem,
    signingKey: pem,
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Signs `header.payload` with the key: HMAC, RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA (R‖S) or Ed25519. */
export function signInput(key: BenchKey, input: string): string {
  if (key.secret !== undefined) {
    return createHmac('sha256', key.secret).update(input).digest('base64url')
  }
  const data = Buffer.from(input)
  if (key.alg === 'RS256')
    return sign('sha256', data, key.privateKey as KeyObject).toString('base64url')
  if (key.alg === 'PS256') {
    return sign('sha256', data, {
      key: key.privateKey as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    }).toString('base64url')
  }
  if (key.alg === 'ES256') {
    return sign('sha256', data, {
      key: key.privateKey as KeyObject,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url')
  }
  return sign(null, data, key.privateKey as KeyObject).toString('base64url')
}

/** A compact JWS over `claims` (iss, aud, iat and a 1-hour exp added), with the key's kid. */
export function mint(
  key: BenchKey,
  claims: Record<string, unknown>,
  kid: string = key.kid,
): string {
  const now = Math.floor(Date.now() / 1000)
  const input = `${b64({ alg: key.alg, typ: 'JWT', kid })}.${b64({
    iss: ISS,
    aud: AUD,
    iat: now,
    exp: now + 3600,
    ...claims,
  })}`
  return `${input}.${signInput(key, input)}`
}

/** `count` distinct tokens (distinct subject and jti), all valid for an hour. */
export function mintMany(key: BenchKey, count: number): string[] {
  const tokens: string[] = []
  for (let i = 0; i < count; i++) {
    tokens.push(mint(key, { sub: `user-${i}`, jti: `t-${i}`, roles: ['reader', 'writer'] }))
  }
  return tokens
}

/** The token with its payload altered (signature kept): every verifier must refuse it. */
export function tampered(token: string): string {
  const [h, , s] = token.split('.')
  return `${h}.${b64({ iss: ISS, aud: AUD, sub: 'admin', exp: 9_999_999_999 })}.${s}`
}
