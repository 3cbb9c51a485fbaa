import { expect } from 'vitest'
import { AuthError, type AuthErrorCode, type AuthEvent, type JwtAuthOptions } from '@jwtgate/core'
import { createAuthenticator, type JwksAuthenticator } from '../src/index.js'

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

/** Authenticators built in a test, closed after it. */
const open: JwksAuthenticator[] = []

export function jwksAuth(
  options: JwtAuthOptions & Record<string, unknown>,
  events?: AuthEvent[],
): JwksAuthenticator {
  const a = createAuthenticator({
    tokenCache: false,
    ...options,
    ...(events ? { onEvent: (e: AuthEvent) => events.push(e) } : {}),
  })
  open.push(a)
  return a
}

export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((a) => a.close()))
}

export async function expectAuthFailure(
  promise: Promise<unknown>,
  code: AuthErrorCode,
  status = code === 'jwks_unavailable' ? 503 : 401,
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

/** Polls until `check` is true (real time), failing after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
