import { describe, expect, it } from 'vitest'
import {
  assertRoles,
  createRequestGuard,
  toHttpResponse,
  type AuthError,
  type AuthEvent,
} from '../src/index.js'
import { bearer, expectAuthFailure, hsToken, SECRET_B64, staticAuth } from './helpers.js'

describe('close() (DESIGN.md, Second wave)', () => {
  it('a closed authenticator rejects every later request with jwks_unavailable, cache hits included', async () => {
    const auth = staticAuth({ signingKey: SECRET_B64, tokenCache: {} })
    const token = hsToken()
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'alice' })
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'alice' })
    await auth.close()
    const e = await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable', 503)
    expect(e.headers).toEqual({ 'Retry-After': '1' })
    expect(() => auth.authenticateNow?.(bearer(token))).toThrow(
      expect.objectContaining({ code: 'jwks_unavailable', status: 503 }) as Error,
    )
    await expectAuthFailure(auth.authenticate(bearer(hsToken({ sub: 'b' }))), 'jwks_unavailable')
    await expectAuthFailure(auth.authenticate({ headers: {} }), 'jwks_unavailable')
    await auth.close() // idempotent
    const why = await auth.explain?.(bearer(token))
    expect(why).toMatchObject({ ok: false, code: 'jwks_unavailable', status: 503 })
    expect(why?.steps).toEqual([
      { check: 'authenticator', ok: false, detail: 'The authenticator is closed' },
    ])
  })

  it('a closed authenticator with a listener reports the refusals', async () => {
    const events: AuthEvent[] = []
    const auth = staticAuth({ signingKey: SECRET_B64, onEvent: (e) => events.push(e) })
    await auth.close()
    await expectAuthFailure(auth.authenticate(bearer(hsToken())), 'jwks_unavailable')
    expect(events.filter((e) => e.type === 'auth.failure')).toEqual([
      { type: 'auth.failure', code: 'jwks_unavailable', detail: 'The authenticator is closed' },
    ])
  })
})

describe("AuthError.headers follow the authenticator's challenge and realm", () => {
  it('challenge: false → no WWW-Authenticate in err.headers, so framework error handlers send none', async () => {
    const auth = staticAuth({ signingKey: SECRET_B64, challenge: false })
    const missing = await expectAuthFailure(auth.authenticate({ headers: {} }), 'token_missing')
    expect(missing.headers).toEqual({})
    expect(missing.wwwAuthenticate).toBeUndefined()
    const bad = await expectAuthFailure(auth.authenticate(bearer('a.b')), 'token_malformed')
    expect(bad.headers).toEqual({})
    expect(bad.message).toBe('The token must have exactly three parts')
    expect(toHttpResponse(bad).headers).toEqual({})
    expect(createRequestGuard(auth).respond(bad).headers).toEqual({})
  })

  it('realm: every challenge names it, in err.headers, toHttpResponse and the guard', async () => {
    const auth = staticAuth({ signingKey: SECRET_B64, realm: 'orders-api' })
    expect(auth.realm).toBe('orders-api')
    const missing = await expectAuthFailure(auth.authenticate({ headers: {} }), 'token_missing')
    expect(missing.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="orders-api"' })
    const expired = await expectAuthFailure(
      auth.authenticate(bearer(hsToken({ sub: 'a', exp: 1 }))),
      'token_expired',
    )
    const challenge =
      'Bearer realm="orders-api", error="invalid_token", error_description="The token has expired"'
    expect(expired.headers).toEqual({ 'WWW-Authenticate': challenge })
    expect(toHttpResponse(expired).headers).toEqual({ 'WWW-Authenticate': challenge })
    const guard = createRequestGuard(auth)
    expect(guard.respond(expired).headers).toEqual({ 'WWW-Authenticate': challenge })
    // An error the adapter builds itself (requireRoles) gets the realm from the guard.
    const principal = await guard.authenticate(bearer(hsToken()))
    let denied: unknown
    try {
      assertRoles(principal, ['admin'], 'any')
    } catch (err) {
      denied = err
    }
    expect(guard.respond(denied as AuthError)).toMatchObject({
      status: 403,
      headers: {
        'WWW-Authenticate':
          'Bearer realm="orders-api", error="insufficient_scope", error_description="The principal lacks the required roles"',
      },
    })
  })

  it('the default challenge carries realm jwtgate and a fixed error_description', async () => {
    const auth = staticAuth({ signingKey: SECRET_B64 })
    const e = await expectAuthFailure(
      auth.authenticate(bearer(hsToken({ sub: 'a', exp: 1 }))),
      'token_expired',
    )
    expect(e.headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="jwtgate", error="invalid_token", error_description="The token has expired"',
    })
  })
})
