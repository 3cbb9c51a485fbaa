/**
 * `@jwtgate/fastify`: JWT bearer authentication plugin for Fastify 5.
 *
 * Registered once, it authenticates every request in an `onRequest` hook, decorates
 * `request.auth`, and closes the authenticator with the server. Every policy decision lives in
 * `@jwtgate/core`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { jwtAuth, requireRoles } from '@jwtgate/fastify'
 *
 * const app = Fastify()
 * await app.register(jwtAuth, { jwksUri: 'https://idp.example/jwks.json', requiredAudience: 'api' })
 * app.get('/me', async (request) => ({ user: request.auth?.subject }))
 * app.get('/admin', { preHandler: requireRoles('admin') }, async () => ({ ok: true }))
 * ```
 *
 * @module
 */
import {
  assertRoles,
  AuthError,
  createRequestGuard,
  headersOf,
  toHttpResponse,
  type Authenticator,
  type GuardOptions,
  type JwtAuthOptions,
  type Principal,
  type RequestGuard,
} from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preHandlerAsyncHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified principal; undefined on skipped or anonymous requests. */
    auth: Principal | undefined
  }
  interface FastifyInstance {
    /** The guard `jwtAuth` registered: its authenticator and response settings. */
    jwtAuthGuard: RequestGuard
  }
}

/** Options of the Fastify plugin, beside the authentication options. */
export interface FastifyAdapterOptions extends GuardOptions {
  /** An authenticator to share instead of building one from the options. */
  authenticator?: Authenticator
  /**
   * Handles an {@link AuthError} instead of the built-in JSON response; it must send a reply or
   * throw (a thrown AuthError carries `statusCode` and `headers` for Fastify's error handler).
   */
  onError?: (error: AuthError, request: FastifyRequest, reply: FastifyReply) => unknown
}

/** What `app.register(jwtAuth, options)` takes: authentication options plus adapter options. */
export type FastifyJwtAuthOptions = FastifyAdapterOptions &
  (JwtAuthOptions | Record<string, unknown>)

const ADAPTER_KEYS = ['authenticator', 'optional', 'skip', 'onError'] as const

function setup(app: FastifyInstance, options: FastifyJwtAuthOptions): void {
  const { authenticator: given, optional, skip, onError } = options as FastifyAdapterOptions
  const rest: Record<string, unknown> = { ...options }
  for (const key of ADAPTER_KEYS) Reflect.deleteProperty(rest, key)
  const authenticator = given ?? createAuthenticator(rest)
  const challenge = typeof options.challenge === 'boolean' ? options.challenge : undefined
  const guard = createRequestGuard(authenticator, { optional, skip, challenge })
  app.decorate('jwtAuthGuard', guard)
  app.decorateRequest('auth', undefined)
  // Callback style: on a token-cache hit or with static keys, `done` runs in the same tick.
  const onRequest: onRequestHookHandler = (request, reply, done) => {
    guard.run({ headers: headersOf(request.raw), url: request.url }, (e, principal) => {
      if (e === undefined) {
        request.auth = principal
        done()
        return
      }
      let handled: unknown
      try {
        handled = fail(e, request, reply, guard, onError)
      } catch (err) {
        done(asError(err))
        return
      }
      // A reply sent from a callback hook ends the request: `done` is not called.
      if (reply.sent) return
      // An onError handler still sending, or one that chose to let the request through.
      Promise.resolve(handled).then(
        () => {
          if (!reply.sent) done()
        },
        (err: unknown) => {
          done(asError(err))
        },
      )
    })
  }
  app.addHook('onRequest', onRequest)
  if (!given) app.addHook('onClose', () => authenticator.close())
}

// A bad option must reject the registration (and so `ready()`), not escape as an uncaught throw.
const plugin: FastifyPluginAsync<FastifyJwtAuthOptions> = (app, options) => {
  try {
    setup(app, options)
    return Promise.resolve()
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)))
  }
}

/**
 * The plugin: `app.register(jwtAuth, options)`. Wrapped with fastify-plugin, so `request.auth`
 * and the hook apply to the routes of the registering scope.
 */
export const jwtAuth = fp(plugin, { name: '@jwtgate/fastify', fastify: '5.x' })
export default jwtAuth

/**
 * A `preHandler` that needs one of `roles` (any-of). Without a principal: 401 token_missing; with
 * too few roles: 403 insufficient_roles with `WWW-Authenticate: Bearer error="insufficient_scope"`.
 *
 * @param roles - accepted roles
 * @example
 * ```ts
 * app.get('/admin', { preHandler: requireRoles('admin') }, handler)
 * ```
 */
export function requireRoles(...roles: string[]): preHandlerAsyncHookHandler {
  return rolesHook(roles, 'any')
}

/**
 * A `preHandler` that needs every one of `roles` (all-of).
 *
 * @param roles - required roles
 * @example
 * ```ts
 * app.post('/billing', { preHandler: requireAllRoles('finance', 'approver') }, handler)
 * ```
 */
export function requireAllRoles(...roles: string[]): preHandlerAsyncHookHandler {
  return rolesHook(roles, 'all')
}

function rolesHook(roles: readonly string[], mode: 'any' | 'all'): preHandlerAsyncHookHandler {
  return function (request, reply) {
    try {
      assertRoles(request.auth, roles, mode)
    } catch (e) {
      const guard = request.server.hasDecorator('jwtAuthGuard')
        ? request.server.jwtAuthGuard
        : undefined
      return Promise.resolve().then(() => fail(e, request, reply, guard, undefined))
    }
    return Promise.resolve(undefined)
  }
}

/** Sends the AuthError's response, or hands it to `onError`; anything else is rethrown. */
function fail(
  e: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  guard: RequestGuard | undefined,
  onError: FastifyAdapterOptions['onError'],
): unknown {
  if (!(e instanceof AuthError)) throw asError(e)
  if (onError !== undefined) return onError(e, request, reply)
  const { status, headers, body } = guard ? guard.respond(e) : toHttpResponse(e)
  return reply.code(status).headers(headers).send(body)
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error('The authenticator failed', { cause: e })
}

export type { Principal } from '@jwtgate/core'
export { AuthError, ConfigError } from '@jwtgate/core'
