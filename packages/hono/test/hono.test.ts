import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { serve, type HttpBindings } from '@hono/node-server'
import {
  AUTH_ERRORS,
  createStaticAuthenticator,
  type AuthErrorCode,
  type Authenticator,
  type Principal,
} from '@jwtgate/core'
import { generateTestKey, MockJwksServer, mintToken, type TestKey } from '@jwtgate/testing'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import {
  ConfigError,
  jwtAuth,
  requireAllRoles,
  requireAnyScope,
  requireAuth,
  requireRoles,
  requireScopes,
  type JwtGateEnv,
} from '../src/index.js'

const url = (server: Server) => `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } })

let key: TestKey
let auth: Authenticator
beforeAll(async () => {
  key = await generateTestKey('ES256')
  auth = createStaticAuthenticator({ signingKey: key.publicKeyPem, rolesKey: 'roles' })
})

async function listen(app: Hono<JwtGateEnv & { Bindings: HttpBindings }>): Promise<Server> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  if (!server.listening) await once(server, 'listening')
  return server
}

function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

async function expectError(res: Response, code: AuthErrorCode): Promise<void> {
  expect(res.status).toBe(AUTH_ERRORS[code].status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(await res.json()).toEqual({ error: code, message: expect.any(String) })
}

/** Sends raw HTTP/1.1 request lines over a socket and returns the status line and body. */
async function rawRequest(
  server: Server,
  lines: string[],
): Promise<{ status: number; body: string }> {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await once(socket, 'connect')
  socket.end(`${lines.join('\r\n')}\r\n\r\n`)
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) }
}

describe('README example', () => {
  let idp: MockJwksServer
  let server: Server
  beforeAll(async () => {
    idp = await MockJwksServer.start({ keys: ['RS256'] })
    process.env.OIDC_URL = idp.discoveryUrl
    process.env.OIDC_ISSUER = idp.issuer
    process.env.PORT = '0'
    server = ((await import('../examples/server.js')) as { server: Server }).server
    if (!server.listening) await once(server, 'listening')
  })
  afterAll(async () => {
    await close(server)
    await idp.close()
  })

  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const example = readFileSync(new URL('../examples/server.ts', import.meta.url), 'utf8')
    expect(readme).toContain(example.trim())
  })

  it('runs: 200 for a valid token, 403 for /admin without the role, 401 without a token', async () => {
    const token = await idp.sign({ sub: 'alice', aud: 'my-api', roles: ['reader'] })
    const me = await fetch(`${url(server)}/me`, bearer(token))
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ user: 'alice', roles: ['reader'] })
    const admin = await fetch(`${url(server)}/admin`, bearer(token))
    await expectError(admin, 'insufficient_roles')
    expect(admin.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
    const ok = await idp.sign({ sub: 'root', aud: 'my-api', roles: ['admin'] })
    expect((await fetch(`${url(server)}/admin`, bearer(ok))).status).toBe(200)
    const orders = await fetch(`${url(server)}/orders`, bearer(token))
    expect(orders.status).toBe(403)
    expect(orders.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The token lacks the required scopes", scope="orders:read"',
    )
    const reader = await idp.sign({ sub: 'alice', aud: 'my-api', scope: 'orders:read' })
    expect(await (await fetch(`${url(server)}/orders`, bearer(reader))).json()).toEqual({
      orders: [],
    })
    const none = await fetch(`${url(server)}/me`)
    await expectError(none, 'token_missing')
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
    expect((await fetch(`${url(server)}/health`)).status).toBe(200)
  })
})

describe('jwtAuth (hono)', () => {
  let server: Server
  let token: string
  beforeAll(async () => {
    token = await mintToken({ key, claims: { sub: 'alice', roles: ['ops'] } })
    const app = new Hono<JwtGateEnv & { Bindings: HttpBindings }>()
    app.use(jwtAuth(auth))
    app.get('/me', (c) => c.json({ user: c.get('auth')?.subject, viaVar: c.var.auth?.subject }))
    server = await listen(app)
  })
  afterAll(() => close(server))

  it('sets the principal at c.get("auth") and c.var.auth', async () => {
    const res = await fetch(`${url(server)}/me`, bearer(token))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user: 'alice', viaVar: 'alice' })
  })

  it('two Authorization lines over a raw socket: 401 token_malformed (never one of them)', async () => {
    const reply = await rawRequest(server, [
      'GET /me HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token}`,
      `Authorization: Bearer ${token}`,
      'Connection: close',
    ])
    expect(reply.status).toBe(401)
    // Read from the raw lines (`headersDistinct`), not from the web Headers that join both
    // values into one with ", ": the message names the repetition.
    expect(JSON.parse(reply.body)).toEqual({
      error: 'token_malformed',
      message: 'The token header is repeated',
    })
    // The same request with one line passes: the rejection is about the repetition.
    const single = await rawRequest(server, [
      'GET /me HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token}`,
      'Connection: close',
    ])
    expect(single.status).toBe(200)
  })

  it('the same repeated header without the Node request (app.request) is still rejected', async () => {
    const app = new Hono<JwtGateEnv>()
    app.use(jwtAuth(auth))
    app.get('/me', (c) => c.json({ user: c.get('auth')?.subject }))
    const headers = new Headers()
    headers.append('authorization', `Bearer ${token}`)
    headers.append('authorization', `Bearer ${token}`)
    await expectError(await app.request('/me', { headers }), 'token_malformed')
    const ok = await app.request('/me', bearer(token))
    expect(await ok.json()).toEqual({ user: 'alice' })
  })
})

describe('route middleware', () => {
  let server: Server
  beforeAll(async () => {
    const app = new Hono<JwtGateEnv & { Bindings: HttpBindings }>()
    app.use(jwtAuth(auth, { optional: true }))
    app.get('/admin', requireRoles('admin', 'root'), (c) => c.json({ ok: true }))
    app.get('/both', requireAllRoles('ops', 'audit'), (c) => c.json({ ok: true }))
    app.get('/signed-in', requireAuth(), (c) => c.json({ user: c.get('auth')?.subject }))
    app.get('/anyone', (c) => c.json({ anonymous: c.get('auth') === undefined }))
    server = await listen(app)
  })
  afterAll(() => close(server))

  it('requireRoles: any of', async () => {
    const root = await mintToken({ key, claims: { sub: 'a', roles: ['root'] } })
    expect((await fetch(`${url(server)}/admin`, bearer(root))).status).toBe(200)
    const reader = await mintToken({ key, claims: { sub: 'a', roles: ['reader'] } })
    await expectError(await fetch(`${url(server)}/admin`, bearer(reader)), 'insufficient_roles')
  })

  it('requireAllRoles: all of', async () => {
    const both = await mintToken({ key, claims: { sub: 'a', roles: ['ops', 'audit'] } })
    expect((await fetch(`${url(server)}/both`, bearer(both))).status).toBe(200)
    const one = await mintToken({ key, claims: { sub: 'a', roles: ['ops'] } })
    await expectError(await fetch(`${url(server)}/both`, bearer(one)), 'insufficient_roles')
  })

  it('requireAuth: 401 token_missing for an anonymous request optional let through', async () => {
    expect(await (await fetch(`${url(server)}/anyone`)).json()).toEqual({ anonymous: true })
    const res = await fetch(`${url(server)}/signed-in`)
    await expectError(res, 'token_missing')
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
    const t = await mintToken({ key, claims: { sub: 'bob' } })
    expect(await (await fetch(`${url(server)}/signed-in`, bearer(t))).json()).toEqual({
      user: 'bob',
    })
  })

  it('requireRoles without jwtAuth in front: 401 token_missing with the default challenge', async () => {
    const app = new Hono<JwtGateEnv>()
    app.get('/', requireRoles('admin'), (c) => c.json({ ok: true }))
    const res = await app.request('/')
    await expectError(res, 'token_missing')
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
  })
})

describe('CORS preflight and skip', () => {
  let server: Server
  beforeAll(async () => {
    const app = new Hono<JwtGateEnv & { Bindings: HttpBindings }>()
    app.use(
      jwtAuth(auth, { skip: (request) => request.method === 'GET' && request.path === '/health' }),
    )
    app.options('/me', (c) => c.body(null, 204, { 'x-preflight': 'seen' }))
    app.get('/health', (c) => c.json({ ok: true }))
    app.post('/health', (c) => c.json({ ok: true }))
    server = await listen(app)
  })
  afterAll(() => close(server))

  it('OPTIONS with Access-Control-Request-Method reaches the app untouched, even with a bad token', async () => {
    const res = await fetch(`${url(server)}/me`, {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'DELETE', authorization: 'Bearer x.y.z' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('x-preflight')).toBe('seen')
  })

  it('OPTIONS without Access-Control-Request-Method is authenticated', async () => {
    await expectError(await fetch(`${url(server)}/me`, { method: 'OPTIONS' }), 'token_missing')
  })

  it('the skip predicate sees the method and the path', async () => {
    expect((await fetch(`${url(server)}/health?probe=1`)).status).toBe(200)
    await expectError(await fetch(`${url(server)}/health`, { method: 'POST' }), 'token_missing')
  })

  it('the same on the web Request (app.request, no Node request)', async () => {
    const app = new Hono<JwtGateEnv>()
    app.use(jwtAuth(auth, { skip: (request) => request.path === '/health' }))
    app.options('/me', (c) => c.body(null, 204))
    app.get('/health', (c) => c.json({ ok: true }))
    const preflight = await app.request('/me', {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    expect((await app.request('/health?x=1')).status).toBe(200)
  })
})

describe('options', () => {
  it('one object: authentication and adapter options together', async () => {
    const app = new Hono<JwtGateEnv>()
    const mw = jwtAuth({ signingKey: key.publicKeyPem, skip: ['/health'], challenge: false })
    app.use(mw)
    app.get('/health', (c) => c.json({ ok: true }))
    app.get('/me', (c) => c.json({ user: c.get('auth')?.subject }))
    expect((await app.request('/health')).status).toBe(200)
    const res = await app.request('/me')
    await expectError(res, 'token_missing')
    expect(res.headers.get('www-authenticate')).toBeNull()
    await mw.authenticator.close()
  })

  it('authentication options beside an authenticator: ConfigError naming the option', () => {
    expect(() => jwtAuth(auth, { requiredAudience: 'api' } as never)).toThrow(ConfigError)
    expect(() => jwtAuth(auth, { requiredAudience: 'api' } as never)).toThrow(
      expect.objectContaining({ key: 'requiredAudience' }) as Error,
    )
    expect(() => jwtAuth(auth, { optional: true, skip: ['/x'], challenge: true })).not.toThrow()
  })

  it('bad configuration fails at start-up, naming the option', () => {
    expect(() => jwtAuth({ signingKey: key.publicKeyPem, clockSkewToleranceSeconds: -1 })).toThrow(
      /clockSkewToleranceSeconds/,
    )
    expect(() => jwtAuth({})).toThrow(expect.objectContaining({ key: 'jwksUri' }) as Error)
  })

  it('exposes the authenticator it built, for shutdown, and the one it was given', async () => {
    const mw = jwtAuth({ signingKey: key.publicKeyPem })
    expect(typeof mw.authenticator.authenticate).toBe('function')
    await mw.authenticator.close()
    expect(jwtAuth(auth).authenticator).toBe(auth)
  })

  it('onError replaces the response', async () => {
    const app = new Hono<JwtGateEnv>()
    app.use(jwtAuth(auth, { onError: (err, c) => c.json({ custom: err.code }, 418) }))
    app.get('/', (c) => c.json({ ok: true }))
    const res = await app.request('/', bearer('a.b.c'))
    expect(res.status).toBe(418)
    expect(await res.json()).toEqual({ custom: 'token_malformed' })
  })

  it('onError can throw the error to app.onError (it carries status and headers)', async () => {
    const app = new Hono<JwtGateEnv>()
    app.use(
      jwtAuth(auth, {
        onError: (err) => {
          throw err
        },
      }),
    )
    app.get('/', (c) => c.json({ ok: true }))
    app.onError((err, c) => {
      const e = err as Error & { status: 401; headers: Record<string, string>; code: string }
      return c.json({ handled: e.code }, e.status, e.headers)
    })
    const res = await app.request('/', bearer('a.b.c'))
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ handled: 'token_malformed' })
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="invalid_token", error_description="The token is malformed"',
    )
  })

  it('a non-auth error from the authenticator goes to app.onError, never a 401', async () => {
    const broken: Authenticator = {
      authenticate: () => Promise.reject(new Error('boom')),
      close: () => Promise.resolve(),
    }
    const app = new Hono<JwtGateEnv>()
    app.use(jwtAuth(broken))
    app.get('/', (c) => c.json({ ok: true }))
    app.onError((err, c) => c.json({ internal: err.message }, 500))
    const res = await app.request('/', bearer('a.b.c'))
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ internal: 'boom' })
    expect(res.headers.get('www-authenticate')).toBeNull()
  })

  it('answers asynchronously too (a key fetched from a JWKS endpoint)', async () => {
    const idp = await MockJwksServer.start({ keys: ['RS256'] })
    try {
      const app = new Hono<JwtGateEnv>()
      const mw = jwtAuth({ jwksUri: idp.jwksUri })
      app.use(mw)
      app.get('/', (c) => c.json({ user: c.get('auth')?.subject }))
      const res = await app.request('/', bearer(await idp.sign({ sub: 'carol' })))
      expect(await res.json()).toEqual({ user: 'carol' })
      await mw.authenticator.close()
    } finally {
      await idp.close()
    }
  })
})

describe('types', () => {
  it('c.get("auth") and c.var.auth are Principal | undefined through JwtGateEnv', () => {
    const app = new Hono<JwtGateEnv>()
    app.get('/', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<Principal | undefined>()
      expectTypeOf(c.var.auth).toEqualTypeOf<Principal | undefined>()
      return c.text('ok')
    })
    type Mine = { Variables: JwtGateEnv['Variables'] & { requestId: string } }
    new Hono<Mine>().use(jwtAuth(auth)).get('/', requireRoles('admin'), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<Principal | undefined>()
      expectTypeOf(c.get('requestId')).toEqualTypeOf<string>()
      return c.text('ok')
    })
    expectTypeOf(jwtAuth).parameter(0).not.toBeAny()
  })
})

describe('route helpers: scopes, requireAuth, no names (issue 16 items 1 and 4)', () => {
  const SCOPE_CHALLENGE = (realm: string, scopes: string) =>
    `Bearer realm="${realm}", error="insufficient_scope", error_description="The token lacks the required scopes", scope="${scopes}"`
  let server: Server
  let realmed: Server
  beforeAll(async () => {
    const app = new Hono<JwtGateEnv & { Bindings: HttpBindings }>()
    app.use(jwtAuth(auth, { optional: true }))
    app.get('/orders', requireScopes('orders:read', 'orders:write'), (c) => c.json({ ok: true }))
    app.get('/any', requireAnyScope('orders:read', 'orders:admin'), (c) => c.json({ ok: true }))
    app.get('/must', requireAuth(), (c) => c.json({ user: c.get('auth')?.subject }))
    server = await listen(app)
    const other = new Hono<JwtGateEnv & { Bindings: HttpBindings }>()
    other.use(jwtAuth({ signingKey: key.publicKeyPem, realm: 'orders-api' }))
    other.get('/orders', requireScopes('orders:write'), (c) => c.json({ ok: true }))
    realmed = await listen(other)
  })
  afterAll(async () => {
    await close(server)
    await close(realmed)
  })
  const BASE = () => url(server)
  const REALMED = () => url(realmed)

  const token = (scope?: string) =>
    mintToken({ key, claims: scope === undefined ? { sub: 'alice' } : { sub: 'alice', scope } })

  it('requireScopes: every scope passes; one missing is 403 insufficient_scope with scope="…"', async () => {
    const ok = await fetch(`${BASE()}/orders`, bearer(await token('orders:write orders:read x')))
    expect(ok.status).toBe(200)
    const res = await fetch(`${BASE()}/orders`, bearer(await token('orders:read')))
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'insufficient_scope',
      message: 'The token lacks the required scopes',
    })
    expect(res.headers.get('www-authenticate')).toBe(
      SCOPE_CHALLENGE('jwtgate', 'orders:read orders:write'),
    )
  })

  it('requireAnyScope: one scope passes; none is 403 naming the accepted scopes', async () => {
    expect((await fetch(`${BASE()}/any`, bearer(await token('orders:admin')))).status).toBe(200)
    const res = await fetch(`${BASE()}/any`, bearer(await token('Orders:read')))
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(
      SCOPE_CHALLENGE('jwtgate', 'orders:read orders:admin'),
    )
  })

  it('under optional: requireAuth and requireScopes answer an anonymous request 401 token_missing', async () => {
    for (const path of ['/must', '/orders', '/any']) {
      const res = await fetch(`${BASE()}${path}`)
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'token_missing' })
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
    }
    const ok = await fetch(`${BASE()}/must`, bearer(await token()))
    expect(await ok.json()).toEqual({ user: 'alice' })
  })

  it("the challenge carries the authenticator's realm", async () => {
    const res = await fetch(`${REALMED()}/orders`, bearer(await token('orders:read')))
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(SCOPE_CHALLENGE('orders-api', 'orders:write'))
  })

  it('no names, or an empty or non-string name: ConfigError at route definition', () => {
    const configError = (k: string) =>
      expect.objectContaining({ name: 'ConfigError', key: k }) as Error
    expect(() => requireRoles()).toThrow(configError('requireRoles()'))
    expect(() => requireAllRoles()).toThrow(configError('requireAllRoles()'))
    expect(() => requireScopes()).toThrow(configError('requireScopes()'))
    expect(() => requireAnyScope()).toThrow(configError('requireAnyScope()'))
    expect(() => requireScopes('a', '')).toThrow(configError('requireScopes()[1]'))
    expect(() => requireRoles(42 as unknown as string)).toThrow(configError('requireRoles()[0]'))
    expect(() => requireAnyScope('read write')).toThrow(configError('requireAnyScope()[0]'))
  })
})
