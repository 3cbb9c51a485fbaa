import { createServer, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  assertRoles,
  AuthError,
  ConfigError,
  createRequestGuard,
  headersOf,
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
      headers: {
        'WWW-Authenticate':
          'Bearer realm="jwtgate", error="invalid_token", error_description="The token is malformed"',
      },
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

/** Runs `guard.run` and reports whether `done` was called before `run` returned. */
function runGuard(
  guard: ReturnType<typeof createRequestGuard>,
  request: Parameters<typeof guard.run>[0],
): Promise<{ sync: boolean; error: unknown; principal: Principal | undefined; calls: number }> {
  return new Promise((resolve) => {
    let returned = false
    let calls = 0
    guard.run(request, (error, principal) => {
      calls++
      const sync = !returned
      // A second call would show up as calls > 1 after this tick.
      setImmediate(() => {
        resolve({ sync, error, principal, calls })
      })
    })
    returned = true
  })
}

describe('RequestGuard.run (callback form for Express and Fastify)', () => {
  it('answers a static-key token and a cache hit in the same tick, exactly once', async () => {
    const guard = createRequestGuard(
      staticAuth({ signingKey: SECRET_B64, tokenCache: { max: 10 } }),
    )
    const token = hsToken()
    const first = await runGuard(guard, withUrl('/x', token))
    expect(first).toMatchObject({ sync: true, error: undefined, calls: 1 })
    expect(first.principal?.subject).toBe('alice')
    const hit = await runGuard(guard, withUrl('/x', token))
    expect(hit).toMatchObject({ sync: true, error: undefined, calls: 1 })
    expect(hit.principal).toBe(first.principal) // the cached, frozen principal
  })

  it('a failure is the AuthError, in the same tick', async () => {
    const guard = createRequestGuard(auth)
    const r = await runGuard(guard, withUrl('/x', hsToken(claims({ exp: 1 }))))
    expect(r.sync).toBe(true)
    expect(r.error).toBeInstanceOf(AuthError)
    expect(r.error).toMatchObject({ code: 'token_expired', status: 401 })
    const missing = await runGuard(guard, withUrl('/x'))
    expect(missing.error).toMatchObject({ code: 'token_missing', status: 401 })
  })

  it('optional and skip behave as in authenticate', async () => {
    const guard = createRequestGuard(auth, { optional: true, skip: ['/health'] })
    expect(await runGuard(guard, withUrl('/x'))).toMatchObject({ error: undefined, calls: 1 })
    expect((await runGuard(guard, withUrl('/x'))).principal).toBeUndefined()
    expect((await runGuard(guard, withUrl('/health', 'garbage'))).error).toBeUndefined()
    const bad = await runGuard(guard, withUrl('/x', 'a.b.c'))
    expect(bad.error).toMatchObject({ code: 'token_malformed', status: 401 })
  })

  it('an authenticator without authenticateNow is awaited; its rejection is passed on', async () => {
    const principal: Principal = { subject: 'p', roles: [], claims: {}, header: {}, token: 't' }
    const ok = createRequestGuard({
      authenticate: () => Promise.resolve(principal),
      close: () => Promise.resolve(),
    })
    expect(await runGuard(ok, withUrl('/x'))).toMatchObject({ sync: false, principal, calls: 1 })
    const failing = createRequestGuard(
      {
        authenticate: () => Promise.reject(new AuthError('token_missing')),
        close: () => Promise.resolve(),
      },
      { optional: true },
    )
    expect(await runGuard(failing, withUrl('/x'))).toMatchObject({
      sync: false,
      error: undefined,
      principal: undefined,
    })
  })

  it('an authenticator rejecting with nothing is a failure, never a pass', async () => {
    const guard = createRequestGuard({
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the broken contract under test
      authenticate: () => Promise.reject(undefined),
      close: () => Promise.resolve(),
    })
    const r = await runGuard(guard, withUrl('/x', hsToken()))
    expect(r.error).toBeInstanceOf(Error)
    expect(r.principal).toBeUndefined()
  })

  it('a throw from done is not mistaken for an auth failure (done is called once)', () => {
    const guard = createRequestGuard(auth)
    let calls = 0
    expect(() => {
      guard.run(withUrl('/x', hsToken()), () => {
        calls++
        throw new Error('downstream')
      })
    }).toThrow('downstream')
    expect(calls).toBe(1)
  })
})

describe('authenticateNow', () => {
  it('returns the principal synchronously and throws AuthErrors synchronously', () => {
    const now = auth.authenticateNow?.bind(auth)
    expect(now).toBeTypeOf('function')
    const principal = now?.(withUrl('/x', hsToken()))
    expect(principal).not.toBeInstanceOf(Promise)
    expect((principal as Principal).subject).toBe('alice')
    expect(() => now?.(withUrl('/x', 'a.b.c'))).toThrow(
      expect.objectContaining({ code: 'token_malformed' }) as Error,
    )
  })

  it('authenticate still always returns a Promise, rejected on failure', async () => {
    const bad = auth.authenticate(withUrl('/x', 'a.b.c'))
    expect(bad).toBeInstanceOf(Promise)
    await expectAuthFailure(bad, 'token_malformed')
  })
})

describe('headersOf over real HTTP requests', () => {
  /** Sends header lines to a real server and returns what headersOf gave for the request. */
  async function headersFor(lines: string[]): Promise<ReturnType<typeof headersOf>> {
    let seen: ReturnType<typeof headersOf> | undefined
    const server = createServer((req: IncomingMessage, res) => {
      seen = headersOf(req)
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      // A raw socket: node:http's client would merge or refuse some header lines.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          const head = ['GET / HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']
          for (let i = 0; i + 1 < lines.length; i += 2)
            head.push(`${lines[i] ?? ''}: ${lines[i + 1] ?? ''}`)
          socket.end(`${head.join('\r\n')}\r\n\r\n`)
        })
        socket.on('data', () => undefined)
        socket.on('close', () => {
          resolve()
        })
        socket.on('error', reject)
      })
    } finally {
      await new Promise((r) => server.close(r))
    }
    if (seen === undefined) throw new Error('no request seen')
    return seen
  }

  it('one Authorization header: the plain headers object', async () => {
    const h = await headersFor(['Authorization', 'Bearer a.b.c', 'X-Other', '1'])
    expect(h.authorization).toBe('Bearer a.b.c')
  })

  it('two Authorization headers: both are seen, and authenticate rejects (SEC-086)', async () => {
    const h = await headersFor([
      'Authorization',
      `Bearer ${hsToken()}`,
      'Authorization',
      'Bearer x.y.z',
    ])
    expect(h.authorization).toHaveLength(2)
    await expectAuthFailure(auth.authenticate({ headers: h }), 'token_malformed')
  })

  it('a repeated unrelated header also switches to the distinct form', async () => {
    const h = await headersFor(['Authorization', 'Bearer a.b.c', 'X-Dup', '1', 'x-dup', '2'])
    expect(h.authorization).toEqual(['Bearer a.b.c'])
    expect(h['x-dup']).toEqual(['1', '2'])
  })

  it('a lookalike without rawHeaders or headersDistinct: its headers', () => {
    const headers = { authorization: 'Bearer t' }
    expect(headersOf({ headers })).toBe(headers)
  })
})
