// One small app per framework, each built the way its README says, with the same routes:
//   GET /me              any valid token → { subject, roles } (or { anonymous: true })
//   GET /admin           requireRoles('admin', 'root')
//   GET /ops-and-audit   requireAllRoles('ops', 'audit')
//   GET /health          listed in `skip`
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Authenticator, JwtAuthOptions } from '@jwtgate/core'
import * as jwtExpress from '@jwtgate/express'
import * as jwtFastify from '@jwtgate/fastify'
import * as jwtHono from '@jwtgate/hono'
import * as jwtKoa from '@jwtgate/koa'
import { serve } from '@hono/node-server'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { startNest } from './nest.js'

export interface AdapterOptions {
  optional?: boolean
  skip?: string[]
  challenge?: boolean
}

export interface RunningApp {
  url: string
  close(): Promise<void>
}

export type StartApp = (
  auth: JwtAuthOptions | Authenticator,
  adapter?: AdapterOptions,
) => Promise<RunningApp>

const body = (auth: { subject: string; roles: readonly string[] } | undefined) =>
  auth === undefined ? { anonymous: true } : { subject: auth.subject, roles: auth.roles }

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

function startExpress(factory: typeof express): StartApp {
  return (auth, adapter) => {
    const app = factory()
    const mw = jwtExpress.jwtAuth(auth, adapter)
    app.use(mw)
    app.get('/me', (req, res) => {
      res.json(body(req.auth))
    })
    app.get('/admin', jwtExpress.requireRoles('admin', 'root'), (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/ops-and-audit', jwtExpress.requireAllRoles('ops', 'audit'), (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/health', (_req, res) => {
      res.json({ ok: true })
    })
    return listen(app.listen(0, '127.0.0.1'), () => mw.authenticator.close())
  }
}

const startFastify: StartApp = async (auth, adapter) => {
  const app = Fastify()
  const options: jwtFastify.FastifyJwtAuthOptions =
    'authenticate' in auth ? { authenticator: auth, ...adapter } : { ...auth, ...adapter }
  await app.register(jwtFastify.jwtAuth, options)
  app.get('/me', (request) => body(request.auth))
  app.get('/admin', { preHandler: jwtFastify.requireRoles('admin', 'root') }, () => ({ ok: true }))
  app.get('/ops-and-audit', { preHandler: jwtFastify.requireAllRoles('ops', 'audit') }, () => ({
    ok: true,
  }))
  app.get('/health', () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const closeShared = 'authenticate' in auth ? () => auth.close() : () => Promise.resolve()
  return listen(app.server, async () => {
    await app.close()
    await closeShared()
  })
}

const startKoa: StartApp = (auth, adapter) => {
  const app = new Koa()
  const mw = jwtKoa.jwtAuth(auth, adapter)
  app.use(mw)
  const admin = jwtKoa.requireRoles('admin', 'root')
  const all = jwtKoa.requireAllRoles('ops', 'audit')
  const ok = (ctx: Koa.Context) => {
    ctx.body = { ok: true }
  }
  app.use(async (ctx, next) => {
    if (ctx.path === '/me') ctx.body = body(ctx.state.auth)
    else if (ctx.path === '/admin') await admin(ctx, () => Promise.resolve(ok(ctx)))
    else if (ctx.path === '/ops-and-audit') await all(ctx, () => Promise.resolve(ok(ctx)))
    else if (ctx.path === '/health') ok(ctx)
    else await next()
  })
  return listen(app.listen(0, '127.0.0.1'), () => mw.authenticator.close())
}

const startHono: StartApp = (auth, adapter) => {
  const app = new Hono<jwtHono.JwtGateEnv>()
  const mw =
    'authenticate' in auth
      ? jwtHono.jwtAuth(auth, adapter)
      : jwtHono.jwtAuth({ ...auth, ...adapter })
  app.use(mw)
  app.get('/me', (c) => c.json(body(c.get('auth'))))
  app.get('/admin', jwtHono.requireRoles('admin', 'root'), (c) => c.json({ ok: true }))
  app.get('/ops-and-audit', jwtHono.requireAllRoles('ops', 'audit'), (c) => c.json({ ok: true }))
  app.get('/health', (c) => c.json({ ok: true }))
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  return listen(server, () => mw.authenticator.close())
}

/** Every adapter and framework version the suite proves. */
export const FRAMEWORKS: readonly (readonly [string, StartApp])[] = [
  ['express 5', startExpress(express)],
  ['express 4', startExpress(express4)],
  ['fastify 5', startFastify],
  ['koa 3', startKoa],
  ['hono 4', startHono],
  ['nestjs 11 (express)', startNest('express')],
  ['nestjs 11 (fastify)', startNest('fastify')],
]
