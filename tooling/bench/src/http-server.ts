// One HTTP server for the HTTP benchmark, run in a child process so that autocannon (in the
// parent) and the server each have a core. argv: <framework> <mode>; the JWKS URI and the
// public key come in the environment. Sends `{ port }` to the parent once listening.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { JwtGateEnv } from '@jwtgate/hono'
import { createAuthenticator } from '@jwtgate/jwks'
import { FRAMEWORKS, MODES, type Framework, type Mode } from './http-modes.js'
import { AUD, ISS } from './tokens.js'

const framework = process.argv[2] as Framework
const mode = process.argv[3] as Mode
if (!FRAMEWORKS.includes(framework) || !MODES.includes(mode)) {
  throw new Error(`usage: http-server.js <${FRAMEWORKS.join('|')}> <${MODES.join('|')}>`)
}
const jwksUri = process.env.BENCH_JWKS_URI ?? ''
const publicKeyPem = process.env.BENCH_PUBLIC_KEY_PEM ?? ''

function authenticator() {
  return createAuthenticator({
    jwksUri,
    requiredAudience: AUD,
    requiredIssuer: ISS,
    ...(mode === 'jwtgate' ? { tokenCache: false as const } : {}),
  })
}

async function fastifyServer(): Promise<Server> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  if (mode === 'jwtgate' || mode === 'jwtgate-cache') {
    const { jwtAuth } = await import('@jwtgate/fastify')
    await app.register(jwtAuth, { authenticator: authenticator() })
  } else if (mode === 'hook') {
    app.addHook('onRequest', async () => {
      await Promise.resolve()
    })
  } else if (mode === 'peer') {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    await app.register(fastifyJwt, {
      secret: { public: publicKeyPem },
      verify: { algorithms: ['RS256'], allowedAud: AUD, allowedIss: ISS },
    })
    app.addHook('onRequest', async (request) => {
      await request.jwtVerify()
    })
  }
  app.get('/me', (request) => ({
    sub:
      request.auth?.subject ??
      (request as unknown as { user?: { sub?: string } }).user?.sub ??
      'anonymous',
  }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app.server
}

async function expressServer(): Promise<Server> {
  const { default: express } = await import('express')
  const app = express()
  if (mode === 'jwtgate' || mode === 'jwtgate-cache') {
    const { jwtAuth } = await import('@jwtgate/express')
    app.use(jwtAuth(authenticator()))
  } else if (mode === 'hook') {
    app.use((_req, _res, next) => {
      next()
    })
  } else if (mode === 'peer') {
    const { expressjwt } = await import('express-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    app.use(
      expressjwt({
        secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true }) as never,
        algorithms: ['RS256'],
        audience: AUD,
        issuer: ISS,
      }),
    )
  }
  app.get('/me', (req, res) => {
    const auth = req.auth as { subject?: string; sub?: string } | undefined
    res.json({ sub: auth?.subject ?? auth?.sub ?? 'anonymous' })
  })
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      resolve(server)
    })
  })
}

async function koaServer(): Promise<Server> {
  const { default: Koa } = await import('koa')
  const app = new Koa()
  if (mode === 'jwtgate' || mode === 'jwtgate-cache') {
    const { jwtAuth } = await import('@jwtgate/koa')
    app.use(jwtAuth(authenticator()))
  } else if (mode === 'hook') {
    app.use(async (_ctx, next) => {
      await next()
    })
  }
  app.use((ctx) => {
    if (ctx.path === '/me') ctx.body = { sub: ctx.state.auth?.subject ?? 'anonymous' }
  })
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      resolve(server)
    })
  })
}

async function honoServer(): Promise<Server> {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const app = new Hono<JwtGateEnv>()
  if (mode === 'jwtgate' || mode === 'jwtgate-cache') {
    const { jwtAuth } = await import('@jwtgate/hono')
    app.use(jwtAuth(authenticator()))
  } else if (mode === 'hook') {
    app.use(async (_c, next) => {
      await next()
    })
  }
  app.get('/me', (c) => c.json({ sub: c.get('auth')?.subject ?? 'anonymous' }))
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  return server
}

// Nest's decorators applied as the compiler would, so that this package needs no decorator
// compiler options.
async function nestServer(): Promise<Server> {
  await import('reflect-metadata')
  const { Controller, Get, Module } = await import('@nestjs/common')
  const { APP_GUARD, NestFactory } = await import('@nestjs/core')
  const { Auth, JwtGateModule } = await import('@jwtgate/nestjs')
  class Routes {
    me(auth: { subject: string } | undefined) {
      return { sub: auth?.subject ?? 'anonymous' }
    }
  }
  const me = Object.getOwnPropertyDescriptor(Routes.prototype, 'me') ?? {}
  Controller()(Routes)
  Get('me')(Routes.prototype, 'me', me)
  Auth()(Routes.prototype, 'me', 0)
  class EmptyGuard {
    canActivate() {
      return true
    }
  }
  const imports =
    mode === 'jwtgate' || mode === 'jwtgate-cache'
      ? [JwtGateModule.forRoot({ authenticator: authenticator() })]
      : []
  const providers = mode === 'hook' ? [{ provide: APP_GUARD, useClass: EmptyGuard }] : []
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a Nest module carries only its decorator
  class AppModule {}
  Module({ imports, providers, controllers: [Routes] })(AppModule)
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- Nest documents object literals
  const app = await NestFactory.create(AppModule, { logger: false })
  await app.listen(0, '127.0.0.1')
  return app.getHttpServer() as Server
}

const server =
  framework === 'fastify'
    ? await fastifyServer()
    : framework === 'express'
      ? await expressServer()
      : framework === 'hono'
        ? await honoServer()
        : framework === 'nestjs'
          ? await nestServer()
          : await koaServer()
process.send?.({ port: (server.address() as AddressInfo).port })
process.on('disconnect', () => process.exit(0))
