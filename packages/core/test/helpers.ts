// Test fixtures for core: keys generated once per process, raw token minting on node:crypto for
// deliberately broken tokens, and jose for well-formed ones.
import {
  constants,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto'
import { importPKCS8, SignJWT } from 'jose'
import { expect } from 'vitest'
import {
  AuthError,
  createStaticAuthenticator,
  type AuthErrorCode,
  type JwtAuthOptions,
} from '../src/index.js'

/** The fixed clock of every test, in seconds. */
export const NOW = 1_800_000_000
export const clock = (): number => NOW * 1000

export const SECRET = randomBytes(32)
export const SECRET64 = randomBytes(64)
export const SECRET_B64 = SECRET.toString('base64')

const pair = (type: 'rsa' | 'ec' | 'ed25519', opts: object = {}) =>
  generateKeyPairSync(type as 'rsa', opts as { modulusLength: number })

export const RSA = pair('rsa', { modulusLength: 2048 })
export const RSA_OTHER = pair('rsa', { modulusLength: 2048 })
export const EC256 = pair('ec', { namedCurve: 'P-256' })
export const EC384 = pair('ec', { namedCurve: 'P-384' })
export const EC521 = pair('ec', { namedCurve: 'P-521' })
export const ED = pair('ed25519')

export const pem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }).toString()
export const der64 = (k: KeyObject): string =>
  k.export({ type: 'spki', format: 'der' }).toString('base64')

export const b64url = (v: string | Uint8Array | object): string =>
  Buffer.from(typeof v === 'string' ? v : v instanceof Uint8Array ? v : JSON.stringify(v)).toString(
    'base64url',
  )

/** Base claims valid at {@link NOW}. */
export const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'alice',
  iat: NOW,
  exp: NOW + 300,
  ...extra,
})

type Signer = (input: string) => Buffer

export const hs =
  (secret: Uint8Array | string, hash = 'sha256'): Signer =>
  (input) =>
    createHmac(hash, secret).update(input).digest()

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

/** A correct JWS signer for an asymmetric alg, on node:crypto. */
export function signer(alg: string, privateKey: KeyObject): Signer {
  const hash = HASH[alg.slice(2)] ?? 'sha256'
  if (alg.startsWith('RS')) return (i) => sign(hash, Buffer.from(i), privateKey)
  if (alg.startsWith('PS')) {
    return (i) =>
      sign(hash, Buffer.from(i), {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(alg.slice(2)) / 8,
      })
  }
  if (alg.startsWith('ES')) {
    return (i) => sign(hash, Buffer.from(i), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  }
  return (i) => sign(null, Buffer.from(i), privateKey)
}

/** Mints a token from exact header/payload (objects or raw text) with any signer. */
export function mint(
  header: object | string,
  payload: object | string | Uint8Array,
  signWith?: Signer,
): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${signWith ? signWith(input).toString('base64url') : ''}`
}

/** HS256 token over {@link SECRET}. */
export const hsToken = (
  payload: object | string = claims(),
  header: object = { alg: 'HS256', typ: 'JWT' },
): string => mint(header, payload, hs(SECRET))

/** A token minted by jose (independent implementation) with an asymmetric or HMAC key. */
export async function joseToken(
  alg: string,
  key: KeyObject | Uint8Array,
  payload: Record<string, unknown> = claims(),
): Promise<string> {
  const signingKey =
    key instanceof Uint8Array
      ? key
      : await importPKCS8(key.export({ type: 'pkcs8', format: 'pem' }).toString(), alg)
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(signingKey)
}

/** A static authenticator with the fixed clock and the cache off unless asked. */
export const staticAuth = (options: JwtAuthOptions) =>
  createStaticAuthenticator({ tokenCache: false, ...options, advanced: { clock } })

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

/** Asserts a rejection with the exact code and status (never by message). */
export async function expectAuthFailure(
  promise: Promise<unknown>,
  code: AuthErrorCode,
  status = code === 'jwks_unavailable' ? 503 : code === 'insufficient_roles' ? 403 : 401,
): Promise<AuthError> {
  const err: unknown = await promise.then(
    () => {
      throw new Error(`expected AuthError ${code}, but the request was accepted`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  const authErr = err as AuthError
  expect({ code: authErr.code, status: authErr.status }).toEqual({ code, status })
  return authErr
}
