// Shared fixtures and assertions for the security suite. Catalogue conventions (section 0 of
// SECURITY-CATALOGUE.md): S = 32-byte HMAC secret, RK = RSA-2048, EK / EK384 / EK521 = P-256 /
// P-384 / P-521, OK = Ed25519, AK = the attacker's keys (never configured).
import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import {
  AUTH_ERRORS,
  AuthError,
  createStaticAuthenticator,
  type Authenticator,
  type AuthErrorCode,
  type JwtAuthOptions,
  type Principal,
} from '@jwtgate/core'
import {
  encodeSegment,
  generateTestKey,
  hmacSigner,
  mintRaw,
  signerFor,
  type RawSegment,
  type Signer,
  type TestKey,
} from '@jwtgate/testing'

/** The fixed clock injected into every authenticator (seconds since the epoch). */
export const NOW = 1_800_000_000
export const clock = (): number => NOW * 1000
export const ISS = 'https://idp.example/'
export const AUD = 'api://jwtgate'
export const SKEW = 30

/** Base claims of the catalogue: `{sub, iss, aud, iat, exp}`. */
export function baseClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'alice', iss: ISS, aud: AUD, iat: NOW, exp: NOW + 300, ...extra }
}

export interface Fixtures {
  /** 32 random bytes; static config signingKey = base64(S). */
  S: Buffer
  RK: TestKey
  PK: TestKey
  EK: TestKey
  EK384: TestKey
  EK521: TestKey
  OK: TestKey
  AK: TestKey
  AKEC: TestKey
}

let fixtures: Promise<Fixtures> | undefined

/** Generates the catalogue's keys once per test file. */
export function getFixtures(): Promise<Fixtures> {
  fixtures ??= (async () => {
    const [RK, PK, EK, EK384, EK521, OK, AK, AKEC] = await Promise.all([
      generateTestKey('RS256', { kid: 'rsa-1' }),
      generateTestKey('PS256', { kid: 'pss-1' }),
      generateTestKey('ES256', { kid: 'ec-1' }),
      generateTestKey('ES384', { kid: 'ec384-1' }),
      generateTestKey('ES512', { kid: 'ec521-1' }),
      generateTestKey('EdDSA', { kid: 'ed-1' }),
      generateTestKey('RS256', { kid: 'attacker-rsa' }),
      generateTestKey('ES256', { kid: 'attacker-ec' }),
    ])
    return { S: randomBytes(32), RK, PK, EK, EK384, EK521, OK, AK, AKEC }
  })()
  return fixtures
}

/** A static authenticator with the catalogue's defaults: fixed clock, no token cache. */
export function staticAuth(
  signingKey: JwtAuthOptions['signingKey'],
  extra: JwtAuthOptions = {},
): Authenticator {
  return createStaticAuthenticator({
    signingKey,
    tokenCache: false,
    advanced: { clock },
    ...extra,
  })
}

export const bearer = (token: string): { headers: Record<string, string> } => ({
  headers: { authorization: `Bearer ${token}` },
})

/** Signs `header.payload` with the right signer for a test key or an HMAC secret. */
export function sign(header: RawSegment, payload: RawSegment, signer: Signer): Promise<string> {
  return mintRaw({ header, payload, sign: signer })
}

export const hs256 = (secret: Uint8Array | string): Signer => hmacSigner(secret, 'sha256')
export { encodeSegment, signerFor }

/**
 * Asserts that `promise` rejects with an AuthError of `code` with its DESIGN status, and checks
 * the catalogue's invariants I1/I2: an AuthError (never another error), and a message that does
 * not echo the token or any of `secrets`.
 */
export async function expectCode(
  promise: Promise<unknown>,
  code: AuthErrorCode,
  secrets: readonly string[] = [],
): Promise<AuthError> {
  const err: unknown = await promise.then(
    (v: unknown) => {
      throw new Error(`expected AuthError ${code}, but it was accepted: ${JSON.stringify(v)}`)
    },
    (e: unknown) => e,
  )
  if (!(err instanceof AuthError)) throw err
  expect({ code: err.code, status: err.status }).toEqual({
    code,
    status: AUTH_ERRORS[code].status,
  })
  for (const s of secrets) {
    if (s.length >= 8) expect(err.message).not.toContain(s)
  }
  return err
}

/** Authenticates `token` as a Bearer header and asserts the outcome code (invariants included). */
export function expectToken(
  auth: Authenticator,
  token: string,
  code: AuthErrorCode,
): Promise<AuthError> {
  const [h = '', p = '', s = ''] = token.split('.')
  return expectCode(auth.authenticate(bearer(token)), code, [token, h, p, s])
}

/** Authenticates `token` and returns the principal (fails the test on rejection). */
export async function accept(auth: Authenticator, token: string): Promise<Principal> {
  return auth.authenticate(bearer(token))
}

/** Raw text segment with the exact bytes given (for invalid UTF-8 and similar). */
export const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

/** Polls `check` until it is true, failing after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time')
    await sleep(5)
  }
}

/** base64(S) etc. */
export const b64 = (buf: Uint8Array): string => Buffer.from(buf).toString('base64')
export const b64url = (buf: Uint8Array): string => Buffer.from(buf).toString('base64url')
