// The NestJS apps of the conformance suite: the same routes as frameworks.ts, built the way the
// @jwtgate/nestjs README says, on the Express and on the Fastify platform.
import 'reflect-metadata'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  AllRoles,
  AnyScope,
  Auth,
  JwtGateModule,
  RequireAuth,
  Roles,
  Scopes,
  type Principal,
} from '@jwtgate/nestjs'
import { Controller, Get, Header, HttpCode, Module, Options, Post } from '@nestjs/common'
import type { Authenticator } from '@jwtgate/core'
import type { DynamicModule } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { REQUEST_ID, type SetUp, type StartApp } from './frameworks.js'
import { ALL_SCOPES, ANY_SCOPES } from './scopes.js'

@Controller()
class Routes {
  @Get('me')
  me(@Auth() auth: Principal | undefined) {
    return auth === undefined
      ? { anonymous: true }
      : { subject: auth.subject, roles: auth.roles, scopes: auth.scopes }
  }

  @Roles('admin', 'root')
  @Get('admin')
  admin() {
    return { ok: true }
  }

  @AllRoles('ops', 'audit')
  @Get('ops-and-audit')
  both() {
    return { ok: true }
  }

  @Scopes(...ALL_SCOPES)
  @Get('orders')
  orders() {
    return { ok: true }
  }

  @AnyScope(...ANY_SCOPES)
  @Get('orders-any')
  ordersAny() {
    return { ok: true }
  }

  @RequireAuth()
  @Get('must')
  must(@Auth() auth: Principal | undefined) {
    return auth === undefined
      ? { anonymous: true }
      : { subject: auth.subject, roles: auth.roles, scopes: auth.scopes }
  }

  @Get('health')
  health() {
    return { ok: true }
  }

  // Nest routes before its guards run: without this route a POST would be a 404, not a 401.
  @Post('health')
  postHealth() {
    return { ok: true }
  }

  @Options('me')
  @HttpCode(204)
  @Header('x-preflight', 'seen')
  preflight() {
    return undefined
  }
}

/**
 * Nest's route helpers are decorators: `@Roles` (any of), `@AllRoles`, `@Scopes` (all of),
 * `@AnyScope` and `@RequireAuth`.
 */
export const nestHelpers = {
  requireRoles: Roles,
  requireAllRoles: AllRoles,
  requireScopes: Scopes,
  requireAnyScope: AnyScope,
  requireAuth: RequireAuth,
}

async function create(platform: 'express' | 'fastify', jwtgate: DynamicModule) {
  @Module({ imports: [jwtgate], controllers: [Routes] })
  class AppModule {}
  const options = { logger: false as const, abortOnError: false }
  return platform === 'fastify'
    ? NestFactory.create(AppModule, new FastifyAdapter(), options)
    : NestFactory.create(AppModule, options)
}

/** Nest takes one object (`forRoot`): an authenticator goes in as `authenticator`. */
const forRoot = (auth: object, adapter: object = {}) =>
  JwtGateModule.forRoot(
    'authenticate' in auth
      ? { authenticator: auth as Authenticator, ...adapter }
      : { ...auth, ...adapter },
  )

export function setUpNest(platform: 'express' | 'fastify'): SetUp {
  return async (options, adapterOptions) => {
    const app = await create(platform, forRoot(options, adapterOptions))
    await app.close()
  }
}

export function startNest(platform: 'express' | 'fastify'): StartApp {
  return async (auth, adapter) => {
    const shared = 'authenticate' in auth
    const app = await create(platform, forRoot(auth, adapter))
    app.use((req: { headers: Record<string, unknown> }, _res: unknown, next: () => void) => {
      req.headers[REQUEST_ID] ??= 'conformance'
      next()
    })
    await app.listen(0, '127.0.0.1')
    const server = app.getHttpServer() as Server
    return {
      url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
      async close() {
        server.closeAllConnections()
        await app.close()
        if (shared) await auth.close()
      },
    }
  }
}
