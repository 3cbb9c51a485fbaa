import { describe, expect, it } from 'vitest'
import {
  assertRoles,
  ConfigError,
  createRequestGuard,
  isAuthenticator,
  type Authenticator,
  type Principal,
} from '../src/index.js'
import { bearer, claims, expectAuthFailure, hsToken, SECRET_B64, staticAuth } from './helpers.js'

const auth = staticAuth({ signingKey: SECRET_B64, rolesKey: 'roles' })
const withUrl = (url: string, token?: string) => ({
  headers: token === undefined ? {} : bearer(token).headers,
  url,
})

describe('createRequestGuard', () => {
  it('authenticates like the authenticator when no adapter option is set', async () => {
    const guard = createRequestGuard(auth)
    const principal = await guard.authenticate(withUrl('/x', hsToken()))
    expect(principal?.subject).toBe('alice')
    await expectAuthFailure(guard.authenticate(withUrl('/x')), 'token_missing')
  })

  it('optional: no token resolves undefined, a bad token is still rejected', async () => {
    const guard = createRequestGuard(auth, { optional: true })
    await expect(guard.authenticate(withUrl('/x'))).resolves.toBeUndefined()
    await expect(
      guard.authenticate({ headers: { authorization: 'Basic dTpw' }, url: '/x' }),
    ).resolves.toBeUndefined()
    await expectAuthFailure(guard.authenticate(withUrl('/x', 'a.b.c')), 'token_malformed')
    await expectAuthFailure(
      guard.authenticate(withUrl('/x', hsToken(claims({ exp: 1 })))),
      'token_expired',
    )
  })

  it('skip: exact paths ignore the query string; regular expressions and predicates work', async () => {
    const exact = createRequestGuard(auth, { skip: ['/health', /^\/public\//] })
    await expect(exact.authenticate(withUrl('/health?verbose=1'))).resolves.toBeUndefined()
    await expect(exact.authenticate(withUrl('/public/logo.png'))).resolves.toBeUndefined()
    await expectAuthFailure(exact.authenticate(withUrl('/health/x')), 'token_missing')
    await expectAuthFailure(exact.authenticate(withUrl('/healthz')), 'token_missing')
    const fn = createRequestGuard(auth, { skip: (p) => p.startsWith('/open') })
    await expect(fn.authenticate(withUrl('/open/a'))).resolves.toBeUndefined()
    await expectAuthFailure(fn.authenticate(withUrl('/closed')), 'token_missing')
  })

  it('a skipped path does not even look at a bad token', async () => {
    const guard = createRequestGuard(auth, { skip: ['/health'] })
    await expect(guard.authenticate(withUrl('/health', 'garbage'))).resolves.toBeUndefined()
  })

  it('an invalid skip entry is a ConfigError naming it', () => {
    expect(() => createRequestGuard(auth, { skip: ['/a', 3 as unknown as string] })).toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'skip[1]' }) as Error,
    )
    expect(() => createRequestGuard(auth, { skip: [{} as string] })).toThrow(ConfigError)
  })

  it("challenge follows the authenticator's option unless the adapter overrides it", async () => {
    const quiet = staticAuth({ signingKey: SECRET_B64, challenge: false })
    expect(quiet.challenge).toBe(false)
    const e = await expectAuthFailure(quiet.authenticate(withUrl('/x')), 'token_missing')
    expect(createRequestGuard(quiet).respond(e).headers).toEqual({})
    expect(createRequestGuard(quiet, { challenge: true }).respond(e).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="jwtgate"',
    })
    expect(createRequestGuard(auth, { challenge: false }).challenge).toBe(false)
    expect(createRequestGuard(auth).challenge).toBe(true)
  })

  it('respond renders status, headers and the JSON body', async () => {
    const guard = createRequestGuard(auth)
    const e = await expectAuthFailure(guard.authenticate(withUrl('/x', 'a.b')), 'token_malformed')
    expect(guard.respond(e)).toEqual({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="jwtgate", error="invalid_token"' },
      body: { error: 'token_malformed', message: 'The token must have exactly three parts' },
    })
  })
})

describe('assertRoles', () => {
  const principal: Principal = {
    subject: 'alice',
    roles: ['reader', 'ops'],
    claims: {},
    header: {},
    token: 't',
  }
  it('any-of and all-of', () => {
    expect(() => {
      assertRoles(principal, ['admin', 'ops'], 'any')
    }).not.toThrow()
    expect(() => {
      assertRoles(principal, ['reader', 'ops'], 'all')
    }).not.toThrow()
  })
  it('no principal → token_missing 401; too few roles → insufficient_roles 403', async () => {
    await expectAuthFailure(
      Promise.resolve().then(() => {
        assertRoles(undefined, ['ops'], 'any')
      }),
      'token_missing',
    )
    await expectAuthFailure(
      Promise.resolve().then(() => {
        assertRoles(principal, ['ops', 'admin'], 'all')
      }),
      'insufficient_roles',
    )
  })
})

describe('isAuthenticator', () => {
  it('tells an authenticator from an options object', () => {
    expect(isAuthenticator(auth)).toBe(true)
    const fake: Authenticator = {
      authenticate: () => Promise.reject(new Error()),
      close: () => Promise.resolve(),
    }
    expect(isAuthenticator(fake)).toBe(true)
    expect(isAuthenticator({ signingKey: SECRET_B64 })).toBe(false)
    expect(isAuthenticator({ authenticate: 1, close: 2 })).toBe(false)
    expect(isAuthenticator(null)).toBe(false)
  })
})
