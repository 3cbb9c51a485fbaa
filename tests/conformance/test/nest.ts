// The NestJS apps of the conformance suite: the same routes as frameworks.ts, built the way the
// @jwtgate/nestjs README says, on the Express and on the Fastify platform.
import 'reflect-metadata'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AllRoles, Auth, JwtGateModule, Roles, type Principal } from '@jwtgate/nestjs'
import { Controller, Get, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { StartApp } from './frameworks.js'

@Controller()
class Routes {
  @Get('me')
  me(@Auth() auth: Principal | undefined) {
    return auth === undefined ? { anonymous: true } : { subject: auth.subject, roles: auth.roles }
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

  @Get('health')
  health() {
    return { ok: true }
  }
}

export function startNest(platform: 'express' | 'fastify'): StartApp {
  return async (auth, adapter) => {
    const shared = 'authenticate' in auth
    @Module({
      imports: [
        JwtGateModule.forRoot(
          shared ? { authenticator: auth, ...adapter } : { ...auth, ...adapter },
        ),
      ],
      controllers: [Routes],
    })
    class AppModule {}
    const options = { logger: false as const, abortOnError: false }
    const app =
      platform === 'fastify'
        ? await NestFactory.create(AppModule, new FastifyAdapter(), options)
        : await NestFactory.create(AppModule, options)
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
