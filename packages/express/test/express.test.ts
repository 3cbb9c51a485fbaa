import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthError } from '@jwtgate/core'
import { createStaticAuthenticator, type Authenticator } from '@jwtgate/core'
import { generateTestKey, MockJwksServer, mintToken, type TestKey } from '@jwtgate/testing'
import express, { type ErrorRequestHandler } from 'express'
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
  key = await generateTestKey('ES256')
  auth = createStaticAuthenticator({ signingKey: key.publicKeyPem, rolesKey: 'roles' })
})

async function serve(app: express.Express): Promise<Server> {
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

describe('jwtAuth (express)', () => {
  it('onError can hand the AuthError to the Express error handler', async () => {
    const app = express()
    app.use(jwtAuth(auth, { onError: (err, _req, _res, next) => next(err) }))
    app.get('/', (_req, res) => res.json({ ok: true }))
    const handler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
      const e = err as AuthError
      res.status(e.statusCode).set(e.headers).json({ custom: e.code })
    }
    app.use(handler)
    const server = await serve(app)
    try {
      const res = await fetch(url(server), bearer('a.b.c'))
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ custom: 'token_malformed' })
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="jwtgate", error="invalid_token", error_description="The token is malformed"',
      )
    } finally {
      server.close()
    }
  })

  it('requireRoles without jwtAuth in front: 401 token_missing with the default challenge', async () => {
    const app = express()
    app.get('/', requireRoles('admin'), (_req, res) => res.json({ ok: true }))
    const server = await serve(app)
    try {
      const res = await fetch(url(server))
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'token_missing' })
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
    } finally {
      server.close()
    }
  })

  it('works on a mounted router (the URL parameter is read from originalUrl)', async () => {
    const app = express()
    const router = express.Router()
    router.use(jwtAuth({ signingKey: key.publicKeyPem, jwtUrlParameter: 'token' }))
    router.get('/me', (req, res) => res.json({ user: req.auth?.subject }))
    app.use('/api', router)
    const server = await serve(app)
    try {
      const token = await mintToken({ key, claims: { sub: 'bob' } })
      const res = await fetch(`${url(server)}/api/me?token=${token}`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ user: 'bob' })
    } finally {
      server.close()
    }
  })

  it('exposes the authenticator it built, for shutdown', async () => {
    const mw = jwtAuth({ signingKey: key.publicKeyPem })
    expect(typeof mw.authenticator.authenticate).toBe('function')
    await mw.authenticator.close()
    expect(jwtAuth(auth).authenticator).toBe(auth)
  })

  it('bad configuration fails at start-up, naming the option', () => {
    expect(() => jwtAuth({ signingKey: key.publicKeyPem, clockSkewToleranceSeconds: -1 })).toThrow(
      /clockSkewToleranceSeconds/,
    )
    expect(() => jwtAuth({})).toThrow(expect.objectContaining({ key: 'jwksUri' }) as Error)
  })

  it('a non-auth error from the authenticator goes to next(err), never a 401', async () => {
    const broken: Authenticator = {
      authenticate: () => Promise.reject(new Error('boom')),
      close: () => Promise.resolve(),
    }
    const app = express()
    app.use(jwtAuth(broken))
    app.use(((_err, _req, res, _next) => {
      res.status(500).json({ error: 'internal' })
    }) as ErrorRequestHandler)
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
  beforeAll(async () => {
    const app = express()
    app.use(jwtAuth(auth, { optional: true }))
    app.get('/orders', requireScopes('orders:read', 'orders:write'), (_req, res) =>
      res.json({ ok: true }),
    )
    app.get('/any', requireAnyScope('orders:read', 'orders:admin'), (_req, res) =>
      res.json({ ok: true }),
    )
    app.get('/must', requireAuth(), (req, res) => res.json({ user: req.auth?.subject }))
    server = await serve(app)
    const other = express()
    other.use(jwtAuth({ signingKey: key.publicKeyPem, realm: 'orders-api' }))
    other.get('/orders', requireScopes('orders:write'), (_req, res) => res.json({ ok: true }))
    realmed = await serve(other)
  })
  afterAll(() => {
    server.close()
    realmed.close()
  })
  const token = (scope?: string) =>
    mintToken({ key, claims: scope === undefined ? { sub: 'alice' } : { sub: 'alice', scope } })

  it('requireScopes: every scope passes; one missing is 403 insufficient_scope with scope="…"', async () => {
    const ok = await fetch(
      `${url(server)}/orders`,
      bearer(await token('orders:write orders:read x')),
    )
    expect(ok.status).toBe(200)
    const res = await fetch(`${url(server)}/orders`, bearer(await token('orders:read')))
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
    expect((await fetch(`${url(server)}/any`, bearer(await token('orders:admin')))).status).toBe(
      200,
    )
    const res = await fetch(`${url(server)}/any`, bearer(await token('Orders:read')))
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(
      SCOPE_CHALLENGE('jwtgate', 'orders:read orders:admin'),
    )
  })

  it('under optional: requireAuth and requireScopes answer an anonymous request 401 token_missing', async () => {
    for (const path of ['/must', '/orders', '/any']) {
      const res = await fetch(`${url(server)}${path}`)
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ error: 'token_missing' })
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
    }
    const ok = await fetch(`${url(server)}/must`, bearer(await token()))
    expect(await ok.json()).toEqual({ user: 'alice' })
  })

  it("the challenge carries the authenticator's realm", async () => {
    const res = await fetch(`${url(realmed)}/orders`, bearer(await token('orders:read')))
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
