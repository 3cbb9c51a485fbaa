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
  AuthError,
  ConfigError,
  createAdapterSetup,
  createRequirement,
  toHttpResponse,
  type AdapterInput,
  type Authenticator,
  type GuardOptions,
  type Principal,
  type RequestGuard,
  type RouteRequirement,
} from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
  preHandlerHookHandler,
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

/** Handles an {@link AuthError} in place of the built-in JSON response. */
export type FastifyErrorHandler = (
  error: AuthError,
  request: FastifyRequest,
  reply: FastifyReply,
) => unknown

/** Options of the Fastify plugin, beside the authentication options. */
export interface FastifyAdapterOptions extends GuardOptions {
  /** An authenticator to share instead of building one from the options. */
  authenticator?: Authenticator
  /**
   * Handles an {@link AuthError} instead of the built-in JSON response; it must send a reply or
   * throw (a thrown AuthError carries `statusCode` and `headers` for Fastify's error handler).
   */
  onError?: FastifyErrorHandler
}

/**
 * What `app.register(jwtAuth, options)` takes: the authentication options (any form
 * `normalizeConfig` accepts) and the adapter options in one object, or `authenticator` (shared)
 * with adapter options only.
 */
export type FastifyJwtAuthOptions = AdapterInput<FastifyErrorHandler>

/** The guard and error handler of the innermost `jwtAuth` registration, per encapsulation context. */
interface Settings {
  guard: RequestGuard
  onError: FastifyErrorHandler | undefined
}
const SETTINGS = Symbol('jwtgate.settings')
type WithSettings = FastifyInstance & { [SETTINGS]?: Settings }

/** Fastify's own `register` options: they reach the plugin but are not ours. */
const REGISTER_KEYS = ['logLevel', 'logSerializers'] as const

function setup(app: FastifyInstance, options: FastifyJwtAuthOptions): void {
  if ('prefix' in options) {
    throw new ConfigError(
      'prefix',
      'has no effect: jwtAuth applies to the scope it is registered in; register it inside app.register(async (scope) => { … }, { prefix })',
    )
  }
  const input: Record<string, unknown> = { ...options }
  for (const key of REGISTER_KEYS) Reflect.deleteProperty(input, key)
  const { guard, onError, ownsAuthenticator } = createAdapterSetup<FastifyErrorHandler>(
    input,
    undefined,
    createAuthenticator,
  )
  const settings: Settings = { guard, onError }
  // Several registrations (nested or sibling scopes) each keep their own settings; the innermost
  // one is what the route helpers of a scope see.
  ;(app as WithSettings)[SETTINGS] = settings
  if (app.hasDecorator('jwtAuthGuard')) Reflect.set(app, 'jwtAuthGuard', guard)
  else app.decorate('jwtAuthGuard', guard)
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', undefined)
  // Callback style: on a token-cache hit or with static keys, `done` runs in the same tick.
  const onRequest: onRequestHookHandler = (request, reply, done) => {
    let result: Principal | undefined | Promise<Principal | undefined>
    try {
      result = guard.check(request.raw)
    } catch (e) {
      failHook(e, request, reply, done, settings)
      return
    }
    if (result instanceof Promise) {
      result.then(
        (principal) => {
          request.auth = principal
          done()
        },
        (e: unknown) => {
          failHook(e, request, reply, done, settings)
        },
      )
      return
    }
    request.auth = result
    done()
  }
  app.addHook('onRequest', onRequest)
  if (ownsAuthenticator) app.addHook('onClose', () => guard.authenticator.close())
}

/** A failed hook: reply (or let `onError` decide), then end or continue the hook. */
function failHook(
  e: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
  settings: Settings | undefined,
): void {
  let handled: unknown
  try {
    handled = fail(e, request, reply, settings)
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
 * and the hook apply to the scope that registers it (and the scopes inside it). Register it in
 * several encapsulated scopes to trust different issuers or audiences under different prefixes.
 */
export const jwtAuth = fp(plugin, { name: '@jwtgate/fastify', fastify: '5.x' })
export default jwtAuth

/**
 * A `preHandler` that needs one of `roles` (any-of). Without a principal: 401 token_missing;
 * with too few roles: 403 insufficient_roles with `WWW-Authenticate: Bearer error="insufficient_scope"`.
 *
 * @param roles - accepted roles (at least one)
 * @throws `ConfigError` without roles, or for a role that is not a non-empty string, here at
 *   route definition
 * @example
 * ```ts
 * app.get('/admin', { preHandler: requireRoles('admin') }, handler)
 * ```
 */
export function requireRoles(...roles: string[]): preHandlerHookHandler {
  return requirementHook(createRequirement('anyRole', roles, 'requireRoles()'))
}

/**
 * A `preHandler` that needs every one of `roles` (all-of).
 *
 * @param roles - required roles (at least one)
 * @throws `ConfigError` without roles, or for a role that is not a non-empty string
 * @example
 * ```ts
 * app.post('/billing', { preHandler: requireAllRoles('finance', 'approver') }, handler)
 * ```
 */
export function requireAllRoles(...roles: string[]): preHandlerHookHandler {
  return requirementHook(createRequirement('allRoles', roles, 'requireAllRoles()'))
}

/**
 * A `preHandler` that needs every one of `scopes` (all-of, the OAuth convention), read from
 * the principal's `scopes`. Without a principal: 401 token_missing; with too few scopes: 403
 * insufficient_scope with `WWW-Authenticate: Bearer …, error="insufficient_scope", scope="…"`
 * naming the required scopes (RFC 6750 §3.1).
 *
 * @param scopes - required scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token
 * @example
 * ```ts
 * app.post('/orders', { preHandler: requireScopes('orders:write') }, handler)
 * ```
 */
export function requireScopes(...scopes: string[]): preHandlerHookHandler {
  return requirementHook(createRequirement('allScopes', scopes, 'requireScopes()'))
}

/**
 * A `preHandler` that needs one of `scopes` (any-of). Failures as {@link requireScopes}.
 *
 * @param scopes - accepted scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token
 * @example
 * ```ts
 * app.get('/orders', { preHandler: requireAnyScope('orders:read', 'orders:admin') }, handler)
 * ```
 */
export function requireAnyScope(...scopes: string[]): preHandlerHookHandler {
  return requirementHook(createRequirement('anyScope', scopes, 'requireAnyScope()'))
}

/**
 * A `preHandler` that needs a principal: 401 token_missing for a request that `optional` (or
 * `skip`) let through anonymously.
 *
 * @example
 * ```ts
 * await app.register(jwtAuth, { ...authOptions, optional: true })
 * app.post('/comments', { preHandler: requireAuth() }, handler)
 * ```
 */
export function requireAuth(): preHandlerHookHandler {
  return requirementHook(createRequirement('auth', [], 'requireAuth()'))
}

// Callback style: when the requirement holds, `done` runs at once, with no Promise of ours.
function requirementHook(requirement: RouteRequirement): preHandlerHookHandler {
  return function (request, reply, done) {
    const settings = (request.server as WithSettings)[SETTINGS]
    const error = requirement.check(request.auth, settings?.guard)
    if (error === undefined) done()
    else failHook(error, request, reply, done, settings)
  }
}

function fail(
  e: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  settings: Settings | undefined,
): unknown {
  if (!(e instanceof AuthError)) throw asError(e)
  if (settings?.onError !== undefined) return settings.onError(e, request, reply)
  const { status, headers, body } = settings ? settings.guard.respond(e) : toHttpResponse(e)
  return reply.code(status).headers(headers).send(body)
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error('The authenticator failed', { cause: e })
}

export type { Principal } from '@jwtgate/core'
export { AuthError, ConfigError } from '@jwtgate/core'
