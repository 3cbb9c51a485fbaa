import 'reflect-metadata'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import {
  AUTH_ERRORS,
  createStaticAuthenticator,
  type AuthErrorCode,
  type Authenticator,
} from '@jwtgate/core'
import { generateTestKey, MockJwksServer, mintToken, type TestKey } from '@jwtgate/testing'
import {
  Catch,
  Controller,
  Get,
  Header,
  HttpCode,
  ImATeapotException,
  Module,
  Options,
  UseGuards,
  type ArgumentsHost,
  type DynamicModule,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common'
import { ConfigModule, ConfigService } from '@nestjs/config'
import { APP_FILTER, NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AllRoles,
  AnyScope,
  Auth,
  ConfigError,
  JwtAuthGuard,
  JwtGateException,
  JwtGateModule,
  Public,
  RequireAuth,
  Roles,
  Scopes,
  type Principal,
} from '../src/index.js'

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } })

let key: TestKey
let auth: Authenticator
beforeAll(async () => {
  key = await generateTestKey('ES256')
  auth = createStaticAuthenticator({ signingKey: key.publicKeyPem, rolesKey: 'roles' })
})

@Controller()
class TestController {
  @Public()
  @Get('health')
  health() {
    return { ok: true }
  }

  @Get('me')
  me(@Auth() principal: Principal | undefined) {
    return principal === undefined ? { anonymous: true } : { user: principal.subject }
  }

  @Roles('admin', 'root')
  @Get('admin')
  admin() {
    return { ok: true }
  }

  @Options('me')
  @HttpCode(204)
  @Header('x-preflight', 'seen')
  preflight() {
    return undefined
  }
}

@Roles('ops')
@Controller('ops')
class OpsController {
  @Get()
  list() {
    return { ok: true }
  }

  @Roles('audit')
  @Get('audit')
  audit() {
    return { ok: true }
  }

  @AllRoles('ops', 'audit')
  @Get('both')
  both() {
    return { ok: true }
  }
}

type Platform = 'express' | 'fastify'

async function start(
  platform: Platform,
  jwtgate: DynamicModule,
  more: { controllers?: (new () => unknown)[]; providers?: unknown[] } = {},
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [jwtgate],
    controllers: more.controllers ?? [TestController, OpsController],
    providers: (more.providers ?? []) as never[],
  })
  class AppModule {}
  const options = { logger: false as const, abortOnError: false }
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), options)
      : await NestFactory.create(AppModule, options)
  await app.listen(0, '127.0.0.1')
  const server = app.getHttpServer() as Server
  return { app, url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}` }
}

async function expectError(res: Response, code: AuthErrorCode): Promise<void> {
  expect(res.status).toBe(AUTH_ERRORS[code].status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(await res.json()).toEqual({ error: code, message: expect.any(String) })
}

async function rawRequest(url: string, lines: string[]): Promise<{ status: number; body: string }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
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
  let app: INestApplication
  let url: string
  beforeAll(async () => {
    idp = await MockJwksServer.start({ keys: ['RS256'] })
    process.env.OIDC_URL = idp.discoveryUrl
    process.env.OIDC_ISSUER = idp.issuer
    process.env.PORT = '0'
    app = ((await import('../examples/server.js')) as { app: INestApplication }).app
    const server = app.getHttpServer() as Server
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
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

  it('runs: 200 for a valid token, 403 for /admin without the role, 401 without a token', async () => {
    const token = await idp.sign({ sub: 'alice', aud: 'my-api', roles: ['reader'] })
    const me = await fetch(`${url}/me`, bearer(token))
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ user: 'alice', roles: ['reader'] })
    const admin = await fetch(`${url}/admin`, bearer(token))
    await expectError(admin, 'insufficient_roles')
    expect(admin.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
    const ok = await idp.sign({ sub: 'root', aud: 'my-api', roles: ['admin'] })
    expect((await fetch(`${url}/admin`, bearer(ok))).status).toBe(200)
    const orders = await fetch(`${url}/orders`, bearer(token))
    await expectError(orders, 'insufficient_scope')
    expect(orders.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The token lacks the required scopes", scope="orders:read"',
    )
    const reader = await idp.sign({ sub: 'alice', aud: 'my-api', scope: 'orders:read' })
    expect(await (await fetch(`${url}/orders`, bearer(reader))).json()).toEqual({ orders: [] })
    const none = await fetch(`${url}/me`)
    await expectError(none, 'token_missing')
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
    expect((await fetch(`${url}/health`)).status).toBe(200)
  })
})

describe.each(['express', 'fastify'] as const)('on %s', (platform) => {
  let app: INestApplication
  let url: string
  beforeAll(async () => {
    ;({ app, url } = await start(platform, JwtGateModule.forRoot({ authenticator: auth })))
  })
  afterAll(() => app.close())

  it('@Auth() is the principal; the global guard protects every route', async () => {
    const t = await mintToken({ key, claims: { sub: 'alice' } })
    const res = await fetch(`${url}/me`, bearer(t))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ user: 'alice' })
    await expectError(await fetch(`${url}/me`), 'token_missing')
  })

  it('errors carry the status, the JSON body and WWW-Authenticate of every adapter', async () => {
    const res = await fetch(`${url}/me`, bearer('a.b.c'))
    await expectError(res, 'token_malformed')
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="invalid_token", error_description="The token is malformed"',
    )
  })

  it('@Public() routes need no token', async () => {
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true })
  })

  it('@Roles(): any of; a route-level @Roles replaces the controller one', async () => {
    const root = await mintToken({ key, claims: { sub: 'a', roles: ['root'] } })
    expect((await fetch(`${url}/admin`, bearer(root))).status).toBe(200)
    const reader = await mintToken({ key, claims: { sub: 'a', roles: ['reader'] } })
    const denied = await fetch(`${url}/admin`, bearer(reader))
    await expectError(denied, 'insufficient_roles')
    expect(denied.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
    const ops = await mintToken({ key, claims: { sub: 'a', roles: ['ops'] } })
    expect((await fetch(`${url}/ops`, bearer(ops))).status).toBe(200)
    await expectError(await fetch(`${url}/ops/audit`, bearer(ops)), 'insufficient_roles')
    const audit = await mintToken({ key, claims: { sub: 'a', roles: ['audit'] } })
    expect((await fetch(`${url}/ops/audit`, bearer(audit))).status).toBe(200)
  })

  it('@AllRoles(): all of, beside the controller-level @Roles', async () => {
    const both = await mintToken({ key, claims: { sub: 'a', roles: ['ops', 'audit'] } })
    expect((await fetch(`${url}/ops/both`, bearer(both))).status).toBe(200)
    const ops = await mintToken({ key, claims: { sub: 'a', roles: ['ops'] } })
    await expectError(await fetch(`${url}/ops/both`, bearer(ops)), 'insufficient_roles')
    const audit = await mintToken({ key, claims: { sub: 'a', roles: ['audit'] } })
    await expectError(await fetch(`${url}/ops/both`, bearer(audit)), 'insufficient_roles')
  })

  it('two Authorization lines over a raw socket: 401 token_malformed', async () => {
    const t = await mintToken({ key, claims: { sub: 'alice' } })
    const reply = await rawRequest(url, [
      'GET /me HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${t}`,
      `Authorization: Bearer ${t}`,
      'Connection: close',
    ])
    expect(reply.status).toBe(401)
    expect(JSON.parse(reply.body)).toEqual({
      error: 'token_malformed',
      message: 'The token header is repeated',
    })
    const single = await rawRequest(url, [
      'GET /me HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${t}`,
      'Connection: close',
    ])
    expect(single.status).toBe(200)
  })

  it('a CORS preflight reaches its route untouched, even with a bad token', async () => {
    const res = await fetch(`${url}/me`, {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'DELETE', authorization: 'Bearer x.y.z' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('x-preflight')).toBe('seen')
    await expectError(await fetch(`${url}/me`, { method: 'OPTIONS' }), 'token_missing')
  })

  it('the skip predicate sees the method and the path', async () => {
    const { app: other, url: u } = await start(
      platform,
      JwtGateModule.forRoot({
        authenticator: auth,
        skip: (request) => request.method === 'GET' && request.path === '/me',
      }),
    )
    try {
      expect(await (await fetch(`${u}/me?x=1`)).json()).toEqual({ anonymous: true })
      await expectError(await fetch(`${u}/admin`), 'token_missing')
    } finally {
      await other.close()
    }
  })

  it('optional and skip, from the one options object', async () => {
    const { app: other, url: u } = await start(
      platform,
      JwtGateModule.forRoot({ signingKey: key.publicKeyPem, optional: true, skip: ['/admin'] }),
    )
    try {
      expect(await (await fetch(`${u}/me`)).json()).toEqual({ anonymous: true })
      await expectError(await fetch(`${u}/me`, bearer('a.b.c')), 'token_malformed')
      // Skipped: no authentication, but @Roles still needs a principal.
      await expectError(await fetch(`${u}/admin`), 'token_missing')
    } finally {
      await other.close()
    }
  })

  it('forRootAsync with ConfigService', async () => {
    process.env.JWTGATE_TEST_KEY = key.publicKeyPem
    const { app: other, url: u } = await start(
      platform,
      JwtGateModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          signingKey: config.getOrThrow<string>('JWTGATE_TEST_KEY'),
          challenge: false,
        }),
      }),
    )
    try {
      const t = await mintToken({ key, claims: { sub: 'carol' } })
      expect(await (await fetch(`${u}/me`, bearer(t))).json()).toEqual({ user: 'carol' })
      const res = await fetch(`${u}/me`)
      await expectError(res, 'token_missing')
      expect(res.headers.get('www-authenticate')).toBeNull()
    } finally {
      await other.close()
    }
  })

  it('globalGuard: false protects only the routes that use the guard', async () => {
    @Controller('guarded')
    @UseGuards(JwtAuthGuard)
    class Guarded {
      @Get()
      me(@Auth() principal: Principal) {
        return { user: principal.subject }
      }
    }
    @Controller('open')
    class Open {
      @Get()
      open(@Auth() principal: Principal | undefined) {
        return { anonymous: principal === undefined }
      }
    }
    const { app: other, url: u } = await start(
      platform,
      JwtGateModule.forRoot({ authenticator: auth, globalGuard: false }),
      { controllers: [Guarded, Open] },
    )
    try {
      expect(await (await fetch(`${u}/open`)).json()).toEqual({ anonymous: true })
      await expectError(await fetch(`${u}/guarded`), 'token_missing')
      const t = await mintToken({ key, claims: { sub: 'dave' } })
      expect(await (await fetch(`${u}/guarded`, bearer(t))).json()).toEqual({ user: 'dave' })
    } finally {
      await other.close()
    }
  })

  it('onError returns the exception to raise instead', async () => {
    const { app: other, url: u } = await start(
      platform,
      JwtGateModule.forRoot({
        authenticator: auth,
        onError: (error) =>
          error.code === 'token_missing'
            ? new ImATeapotException({ custom: error.code })
            : undefined,
      }),
    )
    try {
      const res = await fetch(`${u}/me`)
      expect(res.status).toBe(418)
      expect(await res.json()).toEqual({ custom: 'token_missing' })
      // Nothing returned: the default answer.
      await expectError(await fetch(`${u}/me`, bearer('a.b.c')), 'token_malformed')
    } finally {
      await other.close()
    }
  })

  it('an exception filter can answer a JwtGateException differently', async () => {
    @Catch(JwtGateException)
    class Filter implements ExceptionFilter {
      catch(exception: JwtGateException, host: ArgumentsHost) {
        const response = host.switchToHttp().getResponse<{
          status?: (n: number) => { json: (b: unknown) => void }
          code?: (n: number) => { send: (b: unknown) => void }
        }>()
        const body = { custom: exception.authError.code }
        if (response.code !== undefined) response.code(418).send(body)
        else response.status?.(418).json(body)
      }
    }
    const { app: other, url: u } = await start(
      platform,
      JwtGateModule.forRoot({ authenticator: auth }),
      { providers: [{ provide: APP_FILTER, useClass: Filter }] },
    )
    try {
      const res = await fetch(`${u}/me`, bearer('a.b.c'))
      expect(res.status).toBe(418)
      expect(await res.json()).toEqual({ custom: 'token_malformed' })
    } finally {
      await other.close()
    }
  })

  it('a key fetched from a JWKS endpoint (an asynchronous answer); 503 when it is down', async () => {
    const idp = await MockJwksServer.start({ keys: ['RS256'] })
    const { app: other, url: u } = await start(
      platform,
      JwtGateModule.forRoot({ jwksUri: idp.jwksUri }),
    )
    try {
      const t = await idp.sign({ sub: 'erin' })
      expect(await (await fetch(`${u}/me`, bearer(t))).json()).toEqual({ user: 'erin' })
      idp.injectFault({ type: 'status', status: 500 })
      const unknown = await idp.sign({ sub: 'erin' }, { header: { kid: 'rotated-away' } })
      const res = await fetch(`${u}/me`, bearer(unknown))
      await expectError(res, 'jwks_unavailable')
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    } finally {
      await other.close()
      await idp.close()
    }
  })
})

describe('configuration errors', () => {
  it('authentication options beside an authenticator: ConfigError naming the option', async () => {
    await expect(
      start('express', JwtGateModule.forRoot({ authenticator: auth, requiredAudience: 'api' })),
    ).rejects.toThrow(expect.objectContaining({ key: 'requiredAudience' }) as Error)
  })

  it('a bad option fails at start-up, naming it', async () => {
    await expect(
      start(
        'express',
        JwtGateModule.forRoot({ signingKey: key.publicKeyPem, clockSkewToleranceSeconds: -1 }),
      ),
    ).rejects.toThrow(ConfigError)
    await expect(start('express', JwtGateModule.forRoot({}))).rejects.toThrow(
      expect.objectContaining({ key: 'jwksUri' }) as Error,
    )
  })

  it('globalGuard in the factory result: ConfigError', async () => {
    await expect(
      start(
        'express',
        JwtGateModule.forRootAsync({
          useFactory: () => ({ authenticator: auth, globalGuard: false }),
        }),
      ),
    ).rejects.toThrow(expect.objectContaining({ key: 'globalGuard' }) as Error)
  })

  it('a decorator without names, or with an empty name: ConfigError when the class is defined', () => {
    const configError = (k: string) =>
      expect.objectContaining({ name: 'ConfigError', key: k }) as Error
    expect(() => Roles()).toThrow(ConfigError)
    expect(() => Roles('')).toThrow(configError('@Roles()[0]'))
    expect(() => AllRoles()).toThrow(configError('@AllRoles()'))
    expect(() => Scopes()).toThrow(configError('@Scopes()'))
    expect(() => AnyScope()).toThrow(configError('@AnyScope()'))
    expect(() => Scopes('a', 42 as unknown as string)).toThrow(configError('@Scopes()[1]'))
    expect(() => AnyScope('read write')).toThrow(configError('@AnyScope()[0]'))
  })
})

@Scopes('orders:read')
@Controller('orders')
class OrdersController {
  @Get()
  list() {
    return { ok: true }
  }

  @Scopes('orders:read', 'orders:write')
  @Get('write')
  write() {
    return { ok: true }
  }

  @AnyScope('orders:admin', 'orders:write')
  @Get('any')
  any() {
    return { ok: true }
  }
}

@Controller('comments')
class CommentsController {
  @Get()
  open(@Auth() principal: Principal | undefined) {
    return { anonymous: principal === undefined }
  }

  @RequireAuth()
  @Get('mine')
  mine(@Auth() principal: Principal) {
    return { user: principal.subject }
  }
}

describe.each(['express', 'fastify'] as const)(
  'on %s: @Scopes, @AnyScope, @RequireAuth (issue 16 items 1 and 4)',
  (platform) => {
    const SCOPE_CHALLENGE = (realm: string, scopes: string) =>
      `Bearer realm="${realm}", error="insufficient_scope", error_description="The token lacks the required scopes", scope="${scopes}"`
    let app: INestApplication
    let url: string
    beforeAll(async () => {
      ;({ app, url } = await start(
        platform,
        JwtGateModule.forRoot({ authenticator: auth, optional: true }),
        { controllers: [OrdersController, CommentsController] },
      ))
    })
    afterAll(() => app.close())
    const token = (scope?: string) =>
      mintToken({ key, claims: scope === undefined ? { sub: 'alice' } : { sub: 'alice', scope } })

    it('@Scopes: all of; a route-level @Scopes replaces the controller one', async () => {
      expect((await fetch(`${url}/orders`, bearer(await token('orders:read')))).status).toBe(200)
      const both = await token('orders:write orders:read')
      expect((await fetch(`${url}/orders/write`, bearer(both))).status).toBe(200)
      const res = await fetch(`${url}/orders/write`, bearer(await token('orders:read')))
      await expectError(res, 'insufficient_scope')
      expect(res.headers.get('www-authenticate')).toBe(
        SCOPE_CHALLENGE('jwtgate', 'orders:read orders:write'),
      )
    })

    it('@AnyScope: one of, beside the controller-level @Scopes (both must hold)', async () => {
      const ok = await token('orders:read orders:admin')
      expect((await fetch(`${url}/orders/any`, bearer(ok))).status).toBe(200)
      const res = await fetch(`${url}/orders/any`, bearer(await token('orders:read')))
      await expectError(res, 'insufficient_scope')
      expect(res.headers.get('www-authenticate')).toBe(
        SCOPE_CHALLENGE('jwtgate', 'orders:admin orders:write'),
      )
      // The controller's @Scopes('orders:read') is still required.
      const admin = await fetch(`${url}/orders/any`, bearer(await token('orders:admin')))
      expect(admin.headers.get('www-authenticate')).toBe(SCOPE_CHALLENGE('jwtgate', 'orders:read'))
    })

    it('under optional: @RequireAuth and @Scopes answer an anonymous request 401 token_missing', async () => {
      expect(await (await fetch(`${url}/comments`)).json()).toEqual({ anonymous: true })
      for (const path of ['/comments/mine', '/orders', '/orders/any']) {
        const res = await fetch(`${url}${path}`)
        await expectError(res, 'token_missing')
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
      }
      const mine = await fetch(`${url}/comments/mine`, bearer(await token()))
      expect(await mine.json()).toEqual({ user: 'alice' })
    })
  },
)
