import { createServer, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  assertRoles,
  AuthError,
  ConfigError,
  createAdapterSetup,
  createRequestGuard,
  createRequirement,
  createStaticAuthenticator,
  headersOf,
  isAuthenticator,
  isPreflight,
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
    const fn = createRequestGuard(auth, { skip: (r) => r.path.startsWith('/open') })
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
    scopes: [],
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
    const principal: Principal = {
      subject: 'p',
      roles: [],
      scopes: [],
      claims: {},
      header: {},
      token: 't',
    }
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

describe('repeated token header over real HTTP requests (issue 14 item 1)', () => {
  /**
   * Sends header lines to a real server, lets `touch` play an earlier middleware, and returns
   * the request as the guard would see it.
   */
  async function requestWith(
    lines: string[],
    touch: (req: IncomingMessage) => void = () => undefined,
  ): Promise<IncomingMessage> {
    let seen: IncomingMessage | undefined
    const server = createServer((req: IncomingMessage, res) => {
      touch(req)
      seen = req
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      // A raw socket: node:http's client would merge or refuse some header lines.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          const head = ['GET /x HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']
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
  const addRequestId = (req: IncomingMessage) => {
    req.headers['x-request-id'] ??= 'req-1'
  }

  it('one Authorization header: the plain headers object, and the request itself is used', async () => {
    const req = await requestWith(['Authorization', `Bearer ${hsToken()}`, 'X-Other', '1'])
    expect(headersOf(req)).toBe(req.headers)
    const guard = createRequestGuard(auth)
    expect(guard.headersOf(req)).toBe(req.headers)
    expect((guard.check(req) as Principal).subject).toBe('alice')
  })

  it.each([
    ['good then forged', (good: string) => [`Bearer ${good}`, 'Bearer forged.token.x']],
    ['forged then good', (good: string) => ['Bearer forged.token.x', `Bearer ${good}`]],
    ['twice the same good token', (good: string) => [`Bearer ${good}`, `Bearer ${good}`]],
  ])(
    'two Authorization lines (%s) with a header-adding middleware in front: token_malformed',
    async (_name, values) => {
      const [first = '', second = ''] = values(hsToken())
      const req = await requestWith(['Authorization', first, 'authorization', second], addRequestId)
      // What defeated the old check: one key more than the distinct raw names.
      expect(Object.keys(req.headers)).toHaveLength(req.rawHeaders.length / 2)
      expect(headersOf(req).authorization).toEqual([first, second])
      const guard = createRequestGuard(auth, { optional: true })
      expect(() => guard.check(req)).toThrow(
        expect.objectContaining({ code: 'token_malformed', status: 401 }) as Error,
      )
      await expectAuthFailure(guard.authenticate(req), 'token_malformed')
    },
  )

  it('a middleware that deletes the header does not hide the repeat', async () => {
    const req = await requestWith(
      ['Authorization', `Bearer ${hsToken()}`, 'AUTHORIZATION', 'Bearer x.y.z'],
      (r) => {
        delete r.headers.authorization
      },
    )
    expect(() => createRequestGuard(auth).check(req)).toThrow(
      expect.objectContaining({ code: 'token_malformed' }) as Error,
    )
  })

  it("the configured jwtHeader is the one checked, in any case (Node joins other headers' repeats)", async () => {
    const custom = staticAuth({ signingKey: SECRET_B64, jwtHeader: 'X-Auth-Token' })
    expect(custom.jwtHeader).toBe('X-Auth-Token')
    const guard = createRequestGuard(custom)
    const good = hsToken()
    const repeated = await requestWith(
      ['x-auth-token', good, 'X-AUTH-TOKEN', good, 'Authorization', 'x', 'Authorization', 'y'],
      addRequestId,
    )
    expect(() => guard.check(repeated)).toThrow(
      expect.objectContaining({ code: 'token_malformed' }) as Error,
    )
    // A repeated Authorization line is not this authenticator's token header.
    const single = await requestWith(
      ['X-Auth-Token', good, 'Authorization', 'x', 'Authorization', 'y'],
      addRequestId,
    )
    expect((guard.check(single) as Principal).subject).toBe('alice')
  })

  it('a repeated unrelated header changes nothing', async () => {
    const req = await requestWith(['Authorization', 'Bearer a.b.c', 'X-Dup', '1', 'x-dup', '2'])
    expect(headersOf(req)).toBe(req.headers)
  })

  it('a header set by an earlier middleware (no raw line) is used', async () => {
    const token = hsToken()
    const req = await requestWith([], (r) => {
      r.headers.authorization = `Bearer ${token}`
    })
    expect((createRequestGuard(auth).check(req) as Principal).subject).toBe('alice')
  })

  it('a lookalike without rawHeaders: its headers', () => {
    const headers = { authorization: 'Bearer t' }
    expect(headersOf({ headers })).toBe(headers)
  })
})

describe('RequestGuard.check (the adapters’ hot path)', () => {
  it('a static-key token and a cache hit: the principal, synchronously; failures throw', () => {
    const guard = createRequestGuard(
      staticAuth({ signingKey: SECRET_B64, tokenCache: { max: 10 } }),
    )
    const request = withUrl('/x', hsToken())
    const first = guard.check(request)
    expect(first).not.toBeInstanceOf(Promise)
    expect(guard.check(request)).toBe(first)
    expect(() => guard.check(withUrl('/x'))).toThrow(
      expect.objectContaining({ code: 'token_missing' }) as Error,
    )
  })

  it('the url argument wins over request.url (a mounted router)', () => {
    const guard = createRequestGuard(
      staticAuth({ signingKey: SECRET_B64, jwtUrlParameter: 'access_token' }),
      { skip: ['/public'] },
    )
    const request = { headers: {}, url: '/me' }
    expect((guard.check(request, `/api/me?access_token=${hsToken()}`) as Principal).subject).toBe(
      'alice',
    )
    expect(guard.check({ headers: {}, url: '/' }, '/public?x=1')).toBeUndefined()
  })

  it('an asynchronous authenticator: a native Promise; optional turns token_missing into undefined', async () => {
    const principal: Principal = {
      subject: 'p',
      roles: [],
      scopes: [],
      claims: {},
      header: {},
      token: 't',
    }
    const ok = createRequestGuard({
      authenticate: () => Promise.resolve(principal),
      close: () => Promise.resolve(),
    })
    const pending = ok.check(withUrl('/x'))
    expect(pending).toBeInstanceOf(Promise)
    await expect(pending).resolves.toBe(principal)
    const missing = createRequestGuard(
      { authenticate: () => Promise.reject(new AuthError('token_missing')), close: async () => {} },
      { optional: true },
    )
    await expect(missing.check(withUrl('/x'))).resolves.toBeUndefined()
  })

  it('an authenticator throwing nothing is a failure, never a pass', () => {
    const guard = createRequestGuard({
      authenticate: () => Promise.resolve({} as Principal),
      authenticateNow: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the broken contract under test
        throw undefined
      },
      close: () => Promise.resolve(),
    })
    expect(() => guard.check(withUrl('/x'))).toThrow(Error)
  })
})

describe('CORS preflights (issue 20 item 4)', () => {
  const preflight = {
    method: 'OPTIONS',
    url: '/orders',
    headers: { 'access-control-request-method': 'DELETE', origin: 'https://app.example' },
  }
  it('OPTIONS with Access-Control-Request-Method passes untouched, even with a bad token', () => {
    const guard = createRequestGuard(auth)
    expect(guard.check(preflight)).toBeUndefined()
    expect(
      guard.check({ ...preflight, headers: { ...preflight.headers, authorization: 'Bearer x' } }),
    ).toBeUndefined()
    expect(isPreflight('OPTIONS', preflight.headers)).toBe(true)
  })

  it('OPTIONS without it, or another method with it, is authenticated as usual', () => {
    const guard = createRequestGuard(auth)
    for (const request of [
      { method: 'OPTIONS', url: '/orders', headers: {} },
      { ...preflight, method: 'GET' },
      { ...preflight, method: 'options' },
    ]) {
      expect(() => guard.check(request)).toThrow(
        expect.objectContaining({ code: 'token_missing' }) as Error,
      )
    }
  })
})

describe('skip (issue 20 item 4)', () => {
  it('a predicate sees the method, the path without the query, the url and the headers', () => {
    const seen: unknown[] = []
    const guard = createRequestGuard(auth, {
      skip: (r) => {
        seen.push(r)
        return r.method === 'GET' && r.path === '/docs'
      },
    })
    expect(guard.check({ method: 'GET', url: '/docs?page=2', headers: { a: '1' } })).toBeUndefined()
    expect(seen[0]).toEqual({
      method: 'GET',
      path: '/docs',
      url: '/docs?page=2',
      headers: { a: '1' },
    })
    expect(() => guard.check({ method: 'POST', url: '/docs', headers: {} })).toThrow(
      expect.objectContaining({ code: 'token_missing' }) as Error,
    )
  })

  it('an async predicate never skips (its Promise is not `true`)', () => {
    const guard = createRequestGuard(auth, { skip: (() => Promise.resolve(true)) as never })
    expect(() => guard.check(withUrl('/x'))).toThrow(
      expect.objectContaining({ code: 'token_missing' }) as Error,
    )
  })

  it('a single path or RegExp; a global RegExp is tested afresh every time', () => {
    const one = createRequestGuard(auth, { skip: '/health' })
    expect(one.check(withUrl('/health?x'))).toBeUndefined()
    const sticky = createRequestGuard(auth, { skip: /^\/pub/g })
    for (let i = 0; i < 3; i++) expect(sticky.check(withUrl('/public'))).toBeUndefined()
  })

  it('a skip that is not a path, RegExp, list or function is a ConfigError', () => {
    expect(() => createRequestGuard(auth, { skip: 3 as unknown as string })).toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'skip' }) as Error,
    )
  })
})

describe('createAdapterSetup: one option shape (issue 20 item 5)', () => {
  const build = createStaticAuthenticator
  const config = (key: string) => expect.objectContaining({ name: 'ConfigError', key }) as Error

  it('one object: adapter options are taken out, the rest builds the authenticator', () => {
    const onError = () => undefined
    const setup = createAdapterSetup(
      { signingKey: SECRET_B64, challenge: false, optional: true, skip: ['/h'], onError },
      undefined,
      build,
    )
    expect(setup.ownsAuthenticator).toBe(true)
    expect(setup.onError).toBe(onError)
    expect(setup.guard.challenge).toBe(false)
    expect(setup.guard.check(withUrl('/x'))).toBeUndefined() // optional
    expect(setup.guard.check(withUrl('/h', 'garbage'))).toBeUndefined() // skip
  })

  it('an authenticator, with adapter options beside it or in the object', () => {
    const a = createAdapterSetup(auth, { optional: true, challenge: false }, build)
    expect(a).toMatchObject({ ownsAuthenticator: false })
    expect(a.guard.authenticator).toBe(auth)
    expect(a.guard.challenge).toBe(false)
    const b = createAdapterSetup({ authenticator: auth, optional: true }, undefined, build)
    expect(b.guard.authenticator).toBe(auth)
    expect(b.guard.check(withUrl('/x'))).toBeUndefined()
    const c = createAdapterSetup({ authenticator: auth, challenge: false }, undefined, build)
    expect(c.guard.challenge).toBe(false)
  })

  it('authentication options beside an authenticator are a ConfigError naming the option', () => {
    expect(() => createAdapterSetup(auth, { requiredAudience: 'api' } as never, build)).toThrow(
      config('requiredAudience'),
    )
    expect(() =>
      createAdapterSetup({ authenticator: auth, requiredAudience: 'api' }, undefined, build),
    ).toThrow(config('requiredAudience'))
    expect(() =>
      createAdapterSetup({ signingKey: SECRET_B64 }, { jwksUri: 'x' } as never, build),
    ).toThrow(config('jwksUri'))
  })

  it('adapter options of the wrong type, twice, or a non-authenticator are ConfigErrors', () => {
    const base = { signingKey: SECRET_B64 }
    expect(() =>
      createAdapterSetup({ ...base, optional: 'yes' as never }, undefined, build),
    ).toThrow(config('optional'))
    expect(() => createAdapterSetup({ ...base, onError: 1 }, undefined, build)).toThrow(
      config('onError'),
    )
    expect(() => createAdapterSetup(auth, { challenge: 'no' } as never, build)).toThrow(
      config('challenge'),
    )
    expect(() =>
      createAdapterSetup({ ...base, optional: true }, { optional: false }, build),
    ).toThrow(config('optional'))
    expect(() => createAdapterSetup({ authenticator: {} as never }, undefined, build)).toThrow(
      config('authenticator'),
    )
    expect(() => createAdapterSetup(null as never, undefined, build)).toThrow(ConfigError)
  })

  it('a misspelled option still reaches normalizeConfig and fails there', () => {
    expect(() =>
      // @ts-expect-error -- misspelled on purpose: it does not compile, and fails at run time too
      createAdapterSetup({ signingKey: SECRET_B64, skipp: ['/h'] }, undefined, build),
    ).toThrow(config('skipp'))
  })
})

describe('createRequirement: route helpers (issue 16 items 1 and 4)', () => {
  const principal = (roles: string[], scopes?: string[]): Principal =>
    ({ subject: 'alice', roles, scopes, claims: {}, header: {}, token: 't' }) as Principal
  const configError = (key: string) =>
    expect.objectContaining({ name: 'ConfigError', key }) as ConfigError

  it('allScopes needs every scope; anyScope one of them; exact and case-sensitive', () => {
    const all = createRequirement('allScopes', ['read:orders', 'write:orders'])
    const any = createRequirement('anyScope', ['read:orders', 'admin'])
    const both = principal([], ['read:orders', 'write:orders', 'x'])
    const one = principal([], ['read:orders'])
    const other = principal([], ['Read:orders', 'read:orders ', 'admin:x'])
    expect(all.check(both)).toBeUndefined()
    expect(any.check(one)).toBeUndefined()
    expect(all.check(one)?.code).toBe('insufficient_scope')
    expect(any.check(other)?.code).toBe('insufficient_scope')
    // A principal built without scopes has none.
    expect(any.check(principal(['read:orders']))?.code).toBe('insufficient_scope')
  })

  it('a failed scope check is 403 insufficient_scope with the required scopes in the challenge', () => {
    const all = createRequirement('allScopes', ['read:orders', 'write:orders'])
    const e = all.check(principal([], ['read:orders']))
    expect(e).toBeInstanceOf(AuthError)
    expect(e?.status).toBe(403)
    expect(e?.requiredScopes).toEqual(['read:orders', 'write:orders'])
    const expected =
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The token lacks the required scopes", scope="read:orders write:orders"'
    expect(e?.headers).toEqual({ 'WWW-Authenticate': expected })
    const guard = createRequestGuard(auth)
    expect(guard.respond(e as AuthError)).toEqual({
      status: 403,
      headers: { 'WWW-Authenticate': expected },
      body: { error: 'insufficient_scope', message: 'The token lacks the required scopes' },
    })
  })

  it("the error follows the guard's realm and challenge", () => {
    const realmed = createRequestGuard(staticAuth({ signingKey: SECRET_B64, realm: 'orders' }))
    const e = createRequirement('anyScope', ['a']).check(principal([], []), realmed)
    expect(e?.wwwAuthenticate).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="The token lacks the required scopes", scope="a"',
    )
    expect(realmed.respond(e as AuthError).headers).toEqual(e?.headers)
    const quiet = createRequestGuard(auth, { challenge: false })
    const q = createRequirement('allRoles', ['a']).check(principal([]), quiet)
    expect(q?.code).toBe('insufficient_roles')
    expect(q?.headers).toEqual({})
    expect(quiet.respond(q as AuthError).headers).toEqual({})
  })

  it('roles: anyRole and allRoles, 403 insufficient_roles without scope=', () => {
    const any = createRequirement('anyRole', ['admin', 'ops'])
    const all = createRequirement('allRoles', ['reader', 'ops'])
    expect(any.check(principal(['ops']))).toBeUndefined()
    expect(all.check(principal(['ops', 'reader']))).toBeUndefined()
    const e = all.check(principal(['ops']))
    expect(e?.code).toBe('insufficient_roles')
    expect(e?.status).toBe(403)
    expect(e?.wwwAuthenticate).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
    expect(any.check(principal([' admin', 'Admin']))?.code).toBe('insufficient_roles')
  })

  it('no principal: 401 token_missing, for every kind (requireAuth under optional)', () => {
    for (const kind of ['anyRole', 'allRoles', 'allScopes', 'anyScope'] as const) {
      const e = createRequirement(kind, ['x']).check(undefined)
      expect([e?.code, e?.status]).toEqual(['token_missing', 401])
    }
    const auth = createRequirement('auth')
    expect(auth.names).toEqual([])
    expect(auth.check(principal([]))).toBeUndefined()
    const e = auth.check(undefined)
    expect([e?.code, e?.status, e?.wwwAuthenticate]).toEqual([
      'token_missing',
      401,
      'Bearer realm="jwtgate"',
    ])
  })

  it('no names, an empty or non-string name, or a scope with a space: ConfigError at definition', () => {
    expect(() => createRequirement('anyRole', [], 'requireRoles()')).toThrow(
      configError('requireRoles()'),
    )
    expect(() => createRequirement('allRoles', [], 'requireAllRoles()')).toThrow(
      configError('requireAllRoles()'),
    )
    expect(() => createRequirement('allScopes', [])).toThrow(configError('allScopes'))
    expect(() => createRequirement('anyScope', [], 'requireAnyScope()')).toThrow(
      configError('requireAnyScope()'),
    )
    expect(() => createRequirement('allScopes', ['a', ''], 'requireScopes()')).toThrow(
      configError('requireScopes()[1]'),
    )
    expect(() => createRequirement('anyRole', [42], 'requireRoles()')).toThrow(
      configError('requireRoles()[0]'),
    )
    expect(() => createRequirement('allScopes', ['read write'], 'requireScopes()')).toThrow(
      configError('requireScopes()[0]'),
    )
    expect(() => createRequirement('anyScope', ['say"hi'], 's')).toThrow(configError('s[0]'))
    expect(() => createRequirement('auth', ['x'], 'requireAuth()')).toThrow(
      configError('requireAuth()'),
    )
    // Roles may hold spaces (they come from arrays); only scopes are tokens.
    expect(createRequirement('anyRole', ['team lead']).names).toEqual(['team lead'])
  })

  it('the names are a frozen copy', () => {
    const names = ['a', 'b']
    const r = createRequirement('allScopes', names)
    names.push('c')
    expect(r.names).toEqual(['a', 'b'])
    expect(Object.isFrozen(r.names)).toBe(true)
  })
})
