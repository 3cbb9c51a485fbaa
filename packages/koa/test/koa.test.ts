import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createStaticAuthenticator, type Authenticator } from '@jwtgate/core'
import { generateTestKey, MockJwksServer, mintToken, type TestKey } from '@jwtgate/testing'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  jwtAuth,
  requireAllRoles,
  requireAnyScope,
  requireAuth,
  requireRoles,
  requireScopes,
} from '../src/index.js'

const url = (server: Server) => `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } })

let key: TestKey
let auth: Authenticator
beforeAll(async () => {
  key = await generateTestKey('PS256')
  auth = createStaticAuthenticator({ signingKey: key.publicKeyPem, rolesKey: 'roles' })
})

async function serve(app: Koa): Promise<Server> {
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
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
    server.closeAllConnections()
    server.close()
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
    expect(admin.status).toBe(403)
    expect(await admin.json()).toMatchObject({ error: 'insufficient_roles' })
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
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
  })
})

describe('jwtAuth (koa)', () => {
  it("onError can throw to the app's error middleware: Koa renders status, headers, message", async () => {
    const app = new Koa()
    app.use(
      jwtAuth(auth, {
        onError: (err) => {
          throw err
        },
      }),
    )
    app.use((ctx) => {
      ctx.body = 'unreachable'
    })
    app.silent = true
    const server = await serve(app)
    try {
      const res = await fetch(url(server), bearer('x.y.z'))
      // Koa's default error handling: err.status, err.headers, and err.message since expose is true.
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="jwtgate", error="invalid_token", error_description="The token is malformed"',
      )
      expect(await res.text()).not.toContain('x.y.z')
    } finally {
      server.close()
    }
  })

  it('requireAllRoles needs every role; without jwtAuth in front it is 401 token_missing', async () => {
    const app = new Koa()
    const all = requireAllRoles('ops', 'audit')
    app.use(async (ctx, next) => {
      await (ctx.path === '/open' ? all(ctx, next) : next())
    })
    app.use(jwtAuth(auth))
    app.use(all)
    app.use((ctx) => {
      ctx.body = { ok: true }
    })
    const server = await serve(app)
    try {
      const open = await fetch(`${url(server)}/open`)
      expect(open.status).toBe(401)
      expect(await open.json()).toMatchObject({ error: 'token_missing' })
      const one = await mintToken({ key, claims: { sub: 'a', roles: ['ops'] } })
      const r1 = await fetch(url(server), bearer(one))
      expect(r1.status).toBe(403)
      expect(r1.headers.get('www-authenticate')).toBe(
        'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
      )
      const both = await mintToken({ key, claims: { sub: 'a', roles: ['audit', 'ops'] } })
      expect((await fetch(url(server), bearer(both))).status).toBe(200)
    } finally {
      server.close()
    }
  })

  it('requireRoles: any of the roles', async () => {
    const app = new Koa()
    app.use(jwtAuth(auth))
    app.use(requireRoles('admin', 'ops'))
    app.use((ctx) => {
      ctx.body = { user: ctx.state.auth?.subject }
    })
    const server = await serve(app)
    try {
      const ops = await mintToken({ key, claims: { sub: 'dave', roles: 'reader, ops' } })
      const res = await fetch(url(server), bearer(ops))
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ user: 'dave' })
    } finally {
      server.close()
    }
  })

  it('exposes the authenticator it built; bad options fail at start-up naming the option', async () => {
    const mw = jwtAuth({ signingKey: key.publicKeyPem })
    await mw.authenticator.close()
    expect(jwtAuth(auth).authenticator).toBe(auth)
    // @ts-expect-error -- a mistyped option does not compile, and fails at start-up
    expect(() => jwtAuth({ signingKey: key.publicKeyPem, jwtHeader: 42 })).toThrow(/jwtHeader/)
  })

  it('a non-auth error from the authenticator propagates (500), never an accept or a 401', async () => {
    const app = new Koa()
    app.silent = true
    app.use(
      jwtAuth({
        authenticate: () => Promise.reject(new Error('boom')),
        close: () => Promise.resolve(),
      }),
    )
    app.use((ctx) => {
      ctx.body = 'unreachable'
    })
    const server = await serve(app)
    try {
      const res = await fetch(url(server))
      expect(res.status).toBe(500)
      expect(res.headers.get('www-authenticate')).toBeNull()
    } finally {
      server.close()
    }
  })
})

describe('route helpers: scopes, requireAuth, no names (issue 16 items 1 and 4)', () => {
  const SCOPE_CHALLENGE = (realm: string, scopes: string) =>
    `Bearer realm="${realm}", error="insufficient_scope", error_description="The token lacks the required scopes", scope="${scopes}"`
  let server: Server
  let realmed: Server
  const route =
    (path: string, check: Koa.Middleware, body: (ctx: Koa.Context) => unknown): Koa.Middleware =>
    (ctx, next): unknown =>
      ctx.path === path
        ? check(ctx, () => {
            ctx.body = body(ctx)
            return Promise.resolve()
          })
        : next()
  beforeAll(async () => {
    const app = new Koa()
    app.use(jwtAuth(auth, { optional: true }))
    app.use(route('/orders', requireScopes('orders:read', 'orders:write'), () => ({ ok: true })))
    app.use(route('/any', requireAnyScope('orders:read', 'orders:admin'), () => ({ ok: true })))
    app.use(route('/must', requireAuth(), (ctx) => ({ user: ctx.state.auth?.subject })))
    server = await serve(app)
    const other = new Koa()
    other.use(jwtAuth({ signingKey: key.publicKeyPem, realm: 'orders-api' }))
    other.use(route('/orders', requireScopes('orders:write'), () => ({ ok: true })))
    realmed = await serve(other)
  })
  afterAll(() => {
    server.close()
    realmed.close()
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

  it('the middleware is synchronous: what next() returns, no Promise of its own', () => {
    const mw = requireScopes('a')
    const sentinel = Promise.resolve()
    const ctx = { state: { auth: { scopes: ['a'], roles: [] } } } as unknown as Koa.Context
    expect(mw(ctx, () => sentinel)).toBe(sentinel)
  })
})
