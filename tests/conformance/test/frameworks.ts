// One small app per framework, each built the way its README says, with the same routes:
//   GET /me              any valid token → { subject, roles, scopes } (or { anonymous: true })
//   OPTIONS /me          a CORS preflight handler → 204 { preflight: true } header
//   GET /admin           requireRoles('admin', 'root')
//   GET /ops-and-audit   requireAllRoles('ops', 'audit')
//   GET /orders          requireScopes('orders:read', 'orders:write')
//   GET /orders-any      requireAnyScope('orders:read', 'orders:admin')
//   GET /must            requireAuth()
//   GET /health          listed in `skip` by the suite
// Every app runs a request-id middleware in front of jwtAuth that adds a header to the request,
// as real apps do (it defeated the old repeated-Authorization check, issue 14 item 1).
//
// To add a framework: write a `StartApp`, and append one entry to FRAMEWORKS; with a `setUp` and
// its `helpers` (and the request-id middleware and OPTIONS route in its app) it also joins the
// second-wave cases of adapters.test.ts.
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Authenticator, JwtAuthOptions, SkipRule } from '@jwtgate/core'
import * as jwtExpress from '@jwtgate/express'
import * as jwtFastify from '@jwtgate/fastify'
import * as jwtHono from '@jwtgate/hono'
import * as jwtKoa from '@jwtgate/koa'
import { serve, type HttpBindings } from '@hono/node-server'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { nestHelpers, setUpNest, startNest } from './nest.js'
import { ALL_SCOPES, ANY_SCOPES } from './scopes.js'

/** The adapter options the suite sets (the same names in every adapter). */
export interface AdapterOptions {
  optional?: boolean
  skip?: SkipRule
  challenge?: boolean
}

export interface RunningApp {
  url: string
  close(): Promise<void>
}

/** Starts the suite's app on 127.0.0.1:0 with `jwtAuth(auth, adapter)` (or its equivalent). */
export type StartApp = (
  auth: JwtAuthOptions | Authenticator,
  adapter?: AdapterOptions,
) => Promise<RunningApp>

/**
 * Sets the adapter up alone, with exactly these arguments (`jwtAuth(options, adapterOptions)`,
 * or the framework's equivalent, e.g. Fastify's one registration object), and resolves once it
 * is ready; rejects with the ConfigError a bad combination must give. Closes what it built.
 */
export type SetUp = (options: object, adapterOptions?: object) => Promise<void>

/** One framework (and version) the suite proves. */
export interface Framework {
  /** The name in test titles. */
  readonly name: string
  readonly start: StartApp
  /** Present when the framework runs the second-wave cases (adapters.test.ts). */
  readonly setUp?: SetUp
  /** The adapter's route helpers, called at route definition. */
  readonly helpers?: {
    requireRoles(...roles: string[]): unknown
    requireAllRoles(...roles: string[]): unknown
    requireScopes(...scopes: string[]): unknown
    requireAnyScope(...scopes: string[]): unknown
    requireAuth(): unknown
  }
}

/** The header the request-id middleware adds. */
export const REQUEST_ID = 'x-request-id'

const body = (
  auth: { subject: string; roles: readonly string[]; scopes: readonly string[] } | undefined,
) =>
  auth === undefined
    ? { anonymous: true }
    : { subject: auth.subject, roles: auth.roles, scopes: auth.scopes }

async function listen(server: Server, closeAuth: () => Promise<void>): Promise<RunningApp> {
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${String(port)}`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await closeAuth()
    },
  }
}

/** Closes the authenticator an adapter built, never a shared one the test passed in. */
const closeIfBuilt = async (options: object, built: Authenticator): Promise<void> => {
  if (!('authenticate' in options) && !('authenticator' in options)) await built.close()
}

function startExpress(factory: typeof express): StartApp {
  return (auth, adapter) => {
    const app = factory()
    app.use((req, _res, next) => {
      req.headers[REQUEST_ID] ??= 'conformance'
      next()
    })
    const mw = jwtExpress.jwtAuth(auth, adapter)
    app.use(mw)
    app.options('/me', (_req, res) => {
      res.status(204).set('x-preflight', 'seen').end()
    })
    app.get('/me', (req, res) => {
      res.json(body(req.auth))
    })
    app.get('/admin', jwtExpress.requireRoles('admin', 'root'), (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/ops-and-audit', jwtExpress.requireAllRoles('ops', 'audit'), (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/orders', jwtExpress.requireScopes(...ALL_SCOPES), (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/orders-any', jwtExpress.requireAnyScope(...ANY_SCOPES), (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/must', jwtExpress.requireAuth(), (req, res) => {
      res.json(body(req.auth))
    })
    app.get('/health', (_req, res) => {
      res.json({ ok: true })
    })
    return listen(app.listen(0, '127.0.0.1'), () => mw.authenticator.close())
  }
}

const setUpExpress: SetUp = async (options, adapterOptions) => {
  const mw = jwtExpress.jwtAuth(options as jwtExpress.ExpressJwtAuthOptions, adapterOptions)
  await closeIfBuilt(options, mw.authenticator)
}

/** Fastify takes one object: an authenticator goes in as `authenticator`. */
const fastifyOptions = (auth: object, adapter: object = {}): jwtFastify.FastifyJwtAuthOptions =>
  'authenticate' in auth
    ? { authenticator: auth as Authenticator, ...adapter }
    : { ...auth, ...adapter }

const startFastify: StartApp = async (auth, adapter) => {
  const app = Fastify()
  app.addHook('onRequest', (request, _reply, done) => {
    request.headers[REQUEST_ID] ??= 'conformance'
    done()
  })
  await app.register(jwtFastify.jwtAuth, fastifyOptions(auth, adapter))
  app.options('/me', (_request, reply) => reply.code(204).header('x-preflight', 'seen').send())
  app.get('/me', (request) => body(request.auth))
  app.get('/admin', { preHandler: jwtFastify.requireRoles('admin', 'root') }, () => ({ ok: true }))
  app.get('/ops-and-audit', { preHandler: jwtFastify.requireAllRoles('ops', 'audit') }, () => ({
    ok: true,
  }))
  app.get('/orders', { preHandler: jwtFastify.requireScopes(...ALL_SCOPES) }, () => ({ ok: true }))
  app.get('/orders-any', { preHandler: jwtFastify.requireAnyScope(...ANY_SCOPES) }, () => ({
    ok: true,
  }))
  app.get('/must', { preHandler: jwtFastify.requireAuth() }, (request) => body(request.auth))
  app.get('/health', () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const closeShared = 'authenticate' in auth ? () => auth.close() : () => Promise.resolve()
  return listen(app.server, async () => {
    await app.close()
    await closeShared()
  })
}

const setUpFastify: SetUp = async (options, adapterOptions) => {
  const app = Fastify()
  try {
    await app.register(jwtFastify.jwtAuth, fastifyOptions(options, adapterOptions))
    await app.ready()
  } finally {
    await app.close()
  }
}

const startKoa: StartApp = (auth, adapter) => {
  const app = new Koa()
  app.use((ctx, next) => {
    ctx.req.headers[REQUEST_ID] ??= 'conformance'
    return next()
  })
  const mw = jwtKoa.jwtAuth(auth, adapter)
  app.use(mw)
  const admin = jwtKoa.requireRoles('admin', 'root')
  const all = jwtKoa.requireAllRoles('ops', 'audit')
  const scopes = jwtKoa.requireScopes(...ALL_SCOPES)
  const anyScope = jwtKoa.requireAnyScope(...ANY_SCOPES)
  const must = jwtKoa.requireAuth()
  const ok = (ctx: Koa.Context) => {
    ctx.body = { ok: true }
  }
  app.use(async (ctx, next) => {
    if (ctx.path === '/me' && ctx.method === 'OPTIONS') {
      ctx.status = 204
      ctx.set('x-preflight', 'seen')
    } else if (ctx.path === '/me') ctx.body = body(ctx.state.auth)
    else if (ctx.path === '/admin') await admin(ctx, () => Promise.resolve(ok(ctx)))
    else if (ctx.path === '/ops-and-audit') await all(ctx, () => Promise.resolve(ok(ctx)))
    else if (ctx.path === '/orders') await scopes(ctx, () => Promise.resolve(ok(ctx)))
    else if (ctx.path === '/orders-any') await anyScope(ctx, () => Promise.resolve(ok(ctx)))
    else if (ctx.path === '/must')
      await must(ctx, () => Promise.resolve((ctx.body = body(ctx.state.auth))))
    else if (ctx.path === '/health') ok(ctx)
    else await next()
  })
  return listen(app.listen(0, '127.0.0.1'), () => mw.authenticator.close())
}

const setUpKoa: SetUp = async (options, adapterOptions) => {
  const mw = jwtKoa.jwtAuth(options, adapterOptions)
  await closeIfBuilt(options, mw.authenticator)
}

const startHono: StartApp = (auth, adapter) => {
  const app = new Hono<jwtHono.JwtGateEnv & { Bindings: HttpBindings }>()
  app.use((c, next) => {
    c.env.incoming.headers[REQUEST_ID] ??= 'conformance'
    return next()
  })
  const mw =
    'authenticate' in auth
      ? jwtHono.jwtAuth(auth, adapter)
      : jwtHono.jwtAuth({ ...auth, ...adapter })
  app.use(mw)
  app.options('/me', (c) => c.body(null, 204, { 'x-preflight': 'seen' }))
  app.get('/me', (c) => c.json(body(c.get('auth'))))
  app.get('/admin', jwtHono.requireRoles('admin', 'root'), (c) => c.json({ ok: true }))
  app.get('/ops-and-audit', jwtHono.requireAllRoles('ops', 'audit'), (c) => c.json({ ok: true }))
  app.get('/orders', jwtHono.requireScopes(...ALL_SCOPES), (c) => c.json({ ok: true }))
  app.get('/orders-any', jwtHono.requireAnyScope(...ANY_SCOPES), (c) => c.json({ ok: true }))
  app.get('/must', jwtHono.requireAuth(), (c) => c.json(body(c.get('auth'))))
  app.get('/health', (c) => c.json({ ok: true }))
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  return listen(server, () => mw.authenticator.close())
}

const setUpHono: SetUp = async (options, adapterOptions) => {
  const mw = jwtHono.jwtAuth(options as never, adapterOptions as never)
  await closeIfBuilt(options, mw.authenticator)
}

/** Every adapter and framework version the suite proves. */
export const FRAMEWORKS: readonly Framework[] = [
  { name: 'express 5', start: startExpress(express), setUp: setUpExpress, helpers: jwtExpress },
  { name: 'express 4', start: startExpress(express4), setUp: setUpExpress, helpers: jwtExpress },
  { name: 'fastify 5', start: startFastify, setUp: setUpFastify, helpers: jwtFastify },
  { name: 'koa 3', start: startKoa, setUp: setUpKoa, helpers: jwtKoa },
  { name: 'hono 4', start: startHono, setUp: setUpHono, helpers: jwtHono },
  {
    name: 'nestjs 11 (express)',
    start: startNest('express'),
    setUp: setUpNest('express'),
    helpers: nestHelpers,
  },
  {
    name: 'nestjs 11 (fastify)',
    start: startNest('fastify'),
    setUp: setUpNest('fastify'),
    helpers: nestHelpers,
  },
]

/** The frameworks that run the second-wave cases. */
export const SECOND_WAVE = FRAMEWORKS.filter(
  (f): f is Framework & Required<Pick<Framework, 'setUp' | 'helpers'>> =>
    f.setUp !== undefined && f.helpers !== undefined,
)
