// The demo API on Hono and on NestJS (Express platform): the same routes as api.ts, built the
// way the @jwtgate/hono and @jwtgate/nestjs READMEs say.
import 'reflect-metadata'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import type { Authenticator, Principal } from '@jwtgate/core'
import * as jwtHono from '@jwtgate/hono'
import { Auth, JwtGateModule, Roles } from '@jwtgate/nestjs'
import { Controller, Get, Module, Req, Res } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import type { Request, Response } from 'express'
import { Hono } from 'hono'

/** What the routes answer, shared with api.ts. */
export interface Handlers {
  asset(path: string): { type: string; body: string } | undefined
  me(principal: Principal | undefined): unknown
  keys(): unknown
}

/** What every framework of the demo is given. */
export interface AppSettings {
  authenticator: Authenticator
  skip: string[]
  handlers: Handlers
  csp: string
  port: number
}

const welcome = (p: Principal | undefined) => ({
  ok: true,
  message: `welcome, ${p?.subject ?? ''}`,
})

/** The API on Hono, served by `@hono/node-server`. */
export function startHono(s: AppSettings): Server {
  const app = new Hono<jwtHono.JwtGateEnv>()
  app.use(jwtHono.jwtAuth(s.authenticator, { skip: s.skip }))
  app.get('/api/me', (c) => c.json(s.handlers.me(c.get('auth'))))
  app.get('/api/admin', jwtHono.requireRoles('admin'), (c) => c.json(welcome(c.get('auth'))))
  app.get('/api/keys', (c) => c.json(s.handlers.keys()))
  app.get('*', (c) => {
    const a = s.handlers.asset(c.req.path)
    if (a === undefined) return c.json({ error: 'not_found' }, 404)
    return c.body(a.body, 200, { 'content-type': a.type, 'content-security-policy': s.csp })
  })
  return serve({ fetch: app.fetch, port: s.port, hostname: '127.0.0.1' }) as Server
}

/** The API on NestJS (Express platform); its decorators applied as the compiler would. */
export async function startNest(
  s: AppSettings,
): Promise<{ server: Server; close(): Promise<void> }> {
  class Routes {
    me(principal: Principal | undefined) {
      return s.handlers.me(principal)
    }
    admin(principal: Principal | undefined) {
      return welcome(principal)
    }
    keys() {
      return s.handlers.keys()
    }
    asset(req: Request, res: Response) {
      const a = s.handlers.asset(req.path)
      if (a === undefined) res.status(404).json({ error: 'not_found' })
      else res.type(a.type).set('content-security-policy', s.csp).send(a.body)
    }
  }
  const p = Routes.prototype
  const route = (name: keyof Routes, ...decorators: MethodDecorator[]) => {
    const descriptor = Object.getOwnPropertyDescriptor(p, name) ?? {}
    for (const d of decorators) d(p, name, descriptor)
  }
  Controller()(Routes)
  route('me', Get('api/me'))
  Auth()(p, 'me', 0)
  route('admin', Get('api/admin'), Roles('admin'))
  Auth()(p, 'admin', 0)
  route('keys', Get('api/keys'))
  // Every other path: the guard runs first (401 without a token unless skipped), then assets.
  route('asset', Get(['/', '*path']))
  Req()(p, 'asset', 0)
  Res()(p, 'asset', 1)
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a Nest module carries only its decorator
  class AppModule {}
  Module({
    imports: [JwtGateModule.forRoot({ authenticator: s.authenticator, skip: s.skip })],
    controllers: [Routes],
  })(AppModule)
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- Nest documents object literals
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] })
  ;(app.getHttpAdapter().getInstance() as { disable(name: string): void }).disable('x-powered-by')
  await app.listen(s.port, '127.0.0.1')
  return { server: app.getHttpServer() as Server, close: () => app.close() }
}
