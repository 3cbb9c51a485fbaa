import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { AuthError } from '@jwtgate/core'
import { createStaticAuthenticator, type Authenticator } from '@jwtgate/core'
import { generateTestKey, MockJwksServer, mintToken, type TestKey } from '@jwtgate/testing'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  jwtAuth,
  requireAllRoles,
  requireAnyScope,
  requireAuth,
  requireRoles,
  requireScopes,
} from '../src/index.js'

const url = (app: FastifyInstance) =>
  `http://127.0.0.1:${String((app.server.address() as AddressInfo).port)}`
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } })

let key: TestKey
let auth: Authenticator
beforeAll(async () => {
  key = await generateTestKey('EdDSA')
  auth = createStaticAuthenticator({ signingKey: key.publicKeyPem, rolesKey: 'roles' })
})

describe('README example', () => {
  let idp: MockJwksServer
  let app: FastifyInstance
  beforeAll(async () => {
    idp = await MockJwksServer.start({ keys: ['ES256'] })
    process.env.OIDC_URL = idp.discoveryUrl
    process.env.OIDC_ISSUER = idp.issuer
    process.env.PORT = '0'
    app = ((await import('../examples/server.js')) as { app: FastifyInstance }).app
  })
  afterAll(async () => {
    await app.close()
    await idp.close()
  })

  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const example = readFileSync(new URL('../examples/server.ts', import.meta.url), 'utf8')
    expect(readme).toContain(example.trim())
  })

  it('runs: 200, 403 insufficient_roles, 401 token_missing, skipped /health', async () => {
    const token = await idp.sign({ sub: 'alice', aud: 'my-api', roles: ['reader'] })
    const me = await fetch(`${url(app)}/me`, bearer(token))
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ user: 'alice', roles: ['reader'] })
    const admin = await fetch(`${url(app)}/admin`, bearer(token))
    expect(admin.status).toBe(403)
    expect(await admin.json()).toMatchObject({ error: 'insufficient_roles' })
    expect(admin.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
    const orders = await fetch(`${url(app)}/orders`, bearer(token))
    expect(orders.status).toBe(403)
    expect(orders.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The token lacks the required scopes", scope="orders:read"',
    )
    const reader = await idp.sign({ sub: 'alice', aud: 'my-api', scope: 'orders:read' })
    expect(await (await fetch(`${url(app)}/orders`, bearer(reader))).json()).toEqual({
      orders: [],
    })
    const none = await fetch(`${url(app)}/me`)
    expect(none.status).toBe(401)
    expect(await none.json()).toMatchObject({ error: 'token_missing' })
    expect((await fetch(`${url(app)}/health`)).status).toBe(200)
  })
})

describe('jwtAuth (fastify)', () => {
  it('closes the authenticator it built when the server closes, not a shared one', async () => {
    const app = Fastify()
    await app.register(jwtAuth, { signingKey: key.publicKeyPem })
    await app.ready()
    const built = app.jwtAuthGuard.authenticator
    let closed = 0
    const original = built.close.bind(built)
    Object.assign(built, {
      close: () => {
        closed++
        return original()
      },
    })
    await app.close()
    expect(closed).toBe(1)

    let sharedClosed = 0
    const shared: Authenticator = {
      authenticate: (r) => auth.authenticate(r),
      close: () => {
        sharedClosed++
        return Promise.resolve()
      },
    }
    const app2 = Fastify()
    await app2.register(jwtAuth, { authenticator: shared })
    await app2.close()
    expect(sharedClosed).toBe(0)
  })

  it('onError: a thrown AuthError reaches Fastify error handling with its status and headers', async () => {
    const app = Fastify()
    await app.register(jwtAuth, {
      authenticator: auth,
      onError: (err) => {
        throw err
      },
    })
    app.setErrorHandler((err: AuthError, _request, reply) =>
      reply.code(err.statusCode).headers(err.headers).send({ custom: err.code }),
    )
    app.get('/', () => ({ ok: true }))
    const res = await app.inject({ url: '/', headers: { authorization: 'Bearer x.y.z' } })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ custom: 'token_malformed' })
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="jwtgate", error="invalid_token", error_description="The token is malformed"',
    )
    await app.close()
  })

  it('onError that replies (at once or later), or lets the request through', async () => {
    const cases = [
      {
        name: 'replies at once',
        onError: (err: AuthError, _request: unknown, reply: FastifyReply) =>
          reply.code(418).send({ mine: err.code }),
        expect: { status: 418, body: { mine: 'token_malformed' } },
      },
      {
        name: 'replies later',
        onError: async (err: AuthError, _request: unknown, reply: FastifyReply) => {
          await new Promise((r) => setTimeout(r, 20))
          return reply.code(499).send({ later: err.code })
        },
        expect: { status: 499, body: { later: 'token_malformed' } },
      },
      {
        name: 'lets the request through',
        onError: () => undefined,
        expect: { status: 200, body: { user: null } },
      },
    ]
    for (const c of cases) {
      const app = Fastify()
      await app.register(jwtAuth, { authenticator: auth, onError: c.onError })
      app.get('/', (request) => ({ user: request.auth?.subject ?? null }))
      await app.listen({ port: 0, host: '127.0.0.1' })
      try {
        const res = await fetch(`${url(app)}/`, bearer('x.y.z'))
        expect(res.status, c.name).toBe(c.expect.status)
        expect(await res.json(), c.name).toEqual(c.expect.body)
      } finally {
        await app.close()
      }
    }
  })

  it('the built-in 401 is sent once when an async onSend hook delays it', async () => {
    const app = Fastify()
    app.addHook('onSend', async (_request, reply, payload) => {
      await new Promise((r) => setTimeout(r, 20))
      void reply.header('x-on-send', 'yes')
      return payload
    })
    await app.register(jwtAuth, { authenticator: auth })
    let handled = 0
    app.get('/', () => {
      handled++
      return { ok: true }
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const res = await fetch(`${url(app)}/`, bearer('x.y.z'))
      expect(res.status).toBe(401)
      expect(res.headers.get('x-on-send')).toBe('yes')
      expect(((await res.json()) as { error: string }).error).toBe('token_malformed')
      expect(handled).toBe(0)
    } finally {
      await app.close()
    }
  })

  it('encapsulation: routes in a scope registered before jwtAuth are still protected (fastify-plugin)', async () => {
    const app = Fastify()
    await app.register(async (scope) => {
      await scope.register(jwtAuth, { authenticator: auth })
      scope.get('/inside', (request) => ({ user: request.auth?.subject }))
    })
    app.get('/outside', (request) => ({ user: request.auth?.subject ?? null }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const token = await mintToken({ key, claims: { sub: 'carol' } })
      const inside = await fetch(`${url(app)}/inside`, bearer(token))
      expect(await inside.json()).toEqual({ user: 'carol' })
      expect((await fetch(`${url(app)}/inside`)).status).toBe(401)
      // Another scope: the hook is not applied there.
      expect((await fetch(`${url(app)}/outside`)).status).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('several encapsulated registrations: each prefix trusts its own issuer and audience (issue 17 item 3)', async () => {
    const other = await generateTestKey('EdDSA')
    const app = Fastify()
    await app.register(
      async (scope) => {
        await scope.register(jwtAuth, {
          signingKey: key.publicKeyPem,
          requiredIssuer: 'https://a.example',
          requiredAudience: 'api-a',
          rolesKey: 'roles',
        })
        scope.get('/me', (request) => ({ user: request.auth?.subject }))
        scope.get('/admin', { preHandler: requireRoles('admin') }, () => ({ ok: true }))
      },
      { prefix: '/a' },
    )
    await app.register(
      async (scope) => {
        await scope.register(jwtAuth, {
          signingKey: other.publicKeyPem,
          requiredIssuer: 'https://b.example',
          requiredAudience: 'api-b',
          challenge: false,
        })
        scope.get('/me', (request) => ({ user: request.auth?.subject }))
        scope.get('/admin', { preHandler: requireRoles('admin') }, () => ({ ok: true }))
      },
      { prefix: '/b' },
    )
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const forA = await mintToken({
        key,
        claims: { sub: 'ann', iss: 'https://a.example', aud: 'api-a', roles: ['reader'] },
      })
      const forB = await mintToken({
        key: other,
        claims: { sub: 'bob', iss: 'https://b.example', aud: 'api-b' },
      })
      expect(await (await fetch(`${url(app)}/a/me`, bearer(forA))).json()).toEqual({ user: 'ann' })
      expect(await (await fetch(`${url(app)}/b/me`, bearer(forB))).json()).toEqual({ user: 'bob' })
      // Each scope refuses the other's tokens, with its own code and challenge setting.
      const aWithB = await fetch(`${url(app)}/a/me`, bearer(forB))
      expect(aWithB.status).toBe(401)
      expect(await aWithB.json()).toMatchObject({ error: 'signature_invalid' })
      expect(aWithB.headers.get('www-authenticate')).toContain('invalid_token')
      const bWithA = await fetch(`${url(app)}/b/me`, bearer(forA))
      expect(bWithA.status).toBe(401)
      expect(bWithA.headers.get('www-authenticate')).toBeNull()
      // The route helpers answer with their own scope's settings.
      const aAdmin = await fetch(`${url(app)}/a/admin`, bearer(forA))
      expect(aAdmin.status).toBe(403)
      expect(aAdmin.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
      const bAdmin = await fetch(`${url(app)}/b/admin`, bearer(forB))
      expect(bAdmin.status).toBe(403)
      expect(bAdmin.headers.get('www-authenticate')).toBeNull()
    } finally {
      await app.close()
    }
  })

  it('a nested registration: the outer one optional, the inner one strict (no FST_ERR_DEC_ALREADY_PRESENT)', async () => {
    const app = Fastify()
    await app.register(jwtAuth, { authenticator: auth, optional: true })
    app.get('/public', (request) => ({ user: request.auth?.subject ?? null }))
    await app.register(
      async (scope) => {
        await scope.register(jwtAuth, { authenticator: auth, challenge: false })
        scope.get('/me', (request) => ({ user: request.auth?.subject }))
      },
      { prefix: '/private' },
    )
    await app.ready()
    try {
      const token = await mintToken({ key, claims: { sub: 'dora' } })
      expect((await app.inject({ url: '/public' })).json()).toEqual({ user: null })
      const anonymous = await app.inject({ url: '/private/me' })
      expect(anonymous.statusCode).toBe(401)
      expect(anonymous.json()).toMatchObject({ error: 'token_missing' })
      expect(anonymous.headers['www-authenticate']).toBeUndefined()
      const me = await app.inject({ url: '/private/me', headers: bearer(token).headers })
      expect(me.json()).toEqual({ user: 'dora' })
      expect(app.jwtAuthGuard.authenticator).toBe(auth)
    } finally {
      await app.close()
    }
  })

  it("Fastify's prefix beside jwtAuth's options is a ConfigError (the plugin applies to its scope)", async () => {
    const app = Fastify()
    void app.register(jwtAuth, { authenticator: auth, prefix: '/api' } as never)
    await expect(app.ready()).rejects.toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'prefix' }) as Error,
    )
  })

  it('requireRoles when jwtAuth is not registered: 401 token_missing', async () => {
    const app = Fastify()
    app.get('/', { preHandler: requireRoles('admin') }, () => ({ ok: true }))
    const res = await app.inject({ url: '/' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ error: 'token_missing' })
    expect(res.headers['www-authenticate']).toBe('Bearer realm="jwtgate"')
    await app.close()
  })

  it('bad configuration fails at registration, naming the option', async () => {
    const app = Fastify()
    void app.register(jwtAuth, { signingKey: 'short' })
    await expect(app.ready()).rejects.toThrow(/signingKey/)
    const app2 = Fastify()
    // @ts-expect-error -- an unknown option does not compile, and fails at registration
    void app2.register(jwtAuth, { signingKey: key.publicKeyPem, bogusOption: 1 })
    await expect(app2.ready()).rejects.toThrow(/bogusOption/)
  })

  it('a non-auth error from the authenticator is a 500, never an accept or a 401', async () => {
    const app = Fastify()
    await app.register(jwtAuth, {
      authenticator: {
        authenticate: () => Promise.reject(new Error('boom')),
        close: () => Promise.resolve(),
      },
    })
    app.get('/', () => ({ ok: true }))
    const res = await app.inject({ url: '/' })
    expect(res.statusCode).toBe(500)
    expect(res.headers['www-authenticate']).toBeUndefined()
    await app.close()
  })
})

describe('route helpers: scopes, requireAuth, no names (issue 16 items 1 and 4)', () => {
  const SCOPE_CHALLENGE = (realm: string, scopes: string) =>
    `Bearer realm="${realm}", error="insufficient_scope", error_description="The token lacks the required scopes", scope="${scopes}"`
  let app: FastifyInstance
  let realmed: FastifyInstance
  beforeAll(async () => {
    app = Fastify()
    await app.register(jwtAuth, { authenticator: auth, optional: true })
    app.get('/orders', { preHandler: requireScopes('orders:read', 'orders:write') }, () => ({
      ok: true,
    }))
    app.get('/any', { preHandler: requireAnyScope('orders:read', 'orders:admin') }, () => ({
      ok: true,
    }))
    app.get('/must', { preHandler: requireAuth() }, (request) => ({ user: request.auth?.subject }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    realmed = Fastify()
    await realmed.register(jwtAuth, { signingKey: key.publicKeyPem, realm: 'orders-api' })
    realmed.get('/orders', { preHandler: requireScopes('orders:write') }, () => ({ ok: true }))
    await realmed.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await app.close()
    await realmed.close()
  })
  const BASE = () => url(app)
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

  it('the hooks are callback-style: no Promise on a request that passes', () => {
    const hook = requireScopes('a') as (...args: unknown[]) => unknown
    expect(hook.length).toBe(3)
    let called = 0
    const result = hook({ auth: { scopes: ['a'], roles: [] }, server: app }, {}, () => {
      called++
    })
    expect(result).toBeUndefined()
    expect(called).toBe(1)
  })
})
