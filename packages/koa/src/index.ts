/**
 * `@jwtgate/koa`: JWT bearer authentication middleware for Koa 2 and 3.
 *
 * The middleware translates the request, calls the shared authenticator and translates the
 * result; every policy decision lives in `@jwtgate/core`.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { jwtAuth } from '@jwtgate/koa'
 *
 * const app = new Koa()
 * app.use(jwtAuth({ jwksUri: 'https://idp.example/jwks.json', requiredAudience: 'api' }))
 * app.use((ctx) => { ctx.body = { user: ctx.state.auth?.subject } })
 * ```
 *
 * @module
 */
import {
  AuthError,
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
import type { Context, Middleware, Next } from 'koa'

declare module 'koa' {
  interface DefaultState {
    /** The verified principal, set by `jwtAuth`; undefined on skipped or anonymous requests. */
    auth?: Principal
  }
}

/** Handles an {@link AuthError} in place of the built-in JSON response. */
export type KoaErrorHandler = (error: AuthError, ctx: Context) => unknown

/** Options of the Koa middleware, beside the authentication options. */
export interface KoaAuthOptions extends GuardOptions {
  /**
   * Handles an {@link AuthError} instead of the built-in JSON response. `(err) => { throw err }`
   * hands it to your error middleware (it carries `status`, `expose` and `headers`, as Koa expects).
   */
  onError?: KoaErrorHandler
}

/**
 * What `jwtAuth(options)` takes: the authentication options (any form `normalizeConfig` accepts)
 * and the adapter options in one object, or `authenticator` (shared) with adapter options only.
 */
export type KoaJwtAuthOptions = AdapterInput<KoaErrorHandler>

/** The middleware returned by {@link jwtAuth}, with its authenticator for shutdown. */
export interface JwtAuthMiddleware extends Middleware {
  /** The shared authenticator; `close()` it when the server stops. */
  readonly authenticator: Authenticator
}

const GUARD = Symbol('jwtgate.guard')
type StateWithSettings = Record<symbol, Settings | undefined>

interface Settings {
  guard: RequestGuard
  onError: KoaErrorHandler | undefined
}

/**
 * Builds the authentication middleware. The authenticator is created once, here.
 *
 * @param options - `{ ...authOptions, optional, skip, onError }` (authentication options in any
 *   form `normalizeConfig` accepts: JWKS, OIDC or a static key), or an authenticator to share
 * @param adapterOptions - with an authenticator: `optional`, `skip`, `challenge`, `onError`
 * @returns the middleware; it sets `ctx.state.auth`
 * @throws `ConfigError` for invalid options, at start-up (also for authentication options given
 *   beside an authenticator)
 * @example
 * ```ts
 * app.use(jwtAuth({ jwksUri, requiredIssuer, requiredAudience: 'api', skip: ['/health'] }))
 * app.use(jwtAuth(sharedAuthenticator, { optional: true }))
 * ```
 */
export function jwtAuth(
  options: KoaJwtAuthOptions | Authenticator,
  adapterOptions?: KoaAuthOptions,
): JwtAuthMiddleware {
  const { guard, onError } = createAdapterSetup(options, adapterOptions, createAuthenticator)
  const settings: Settings = { guard, onError }
  // No Promise of its own on the hot path: koa-compose wraps what a middleware returns.
  const middleware = (ctx: Context, next: Next): unknown => {
    const state = ctx.state as StateWithSettings & { auth?: Principal }
    state[GUARD] = settings
    let result: Principal | undefined | Promise<Principal | undefined>
    try {
      // Answers in this tick on a token-cache hit or with static keys.
      result = guard.check(ctx.req, ctx.originalUrl)
    } catch (e) {
      return fail(e, ctx, settings)
    }
    if (result instanceof Promise) {
      return result.then(
        (principal) => {
          state.auth = principal
          return next()
        },
        (e: unknown) => fail(e, ctx, settings),
      )
    }
    state.auth = result
    return next()
  }
  return Object.assign(middleware as Middleware, { authenticator: guard.authenticator })
}

/**
 * Middleware that needs one of `roles` (any-of). Without a principal: 401 token_missing;
 * with too few roles: 403 insufficient_roles with `WWW-Authenticate: Bearer error="insufficient_scope"`.
 *
 * @param roles - accepted roles (at least one)
 * @throws `ConfigError` without roles, or for a role that is not a non-empty string, here at
 *   route definition
 * @example
 * ```ts
 * router.delete('/index/:name', requireRoles('admin', 'ops'), handler)
 * ```
 */
export function requireRoles(...roles: string[]): Middleware {
  return requirementMiddleware(createRequirement('anyRole', roles, 'requireRoles()'))
}

/**
 * Middleware that needs every one of `roles` (all-of).
 *
 * @param roles - required roles (at least one)
 * @throws `ConfigError` without roles, or for a role that is not a non-empty string
 * @example
 * ```ts
 * router.post('/billing', requireAllRoles('finance', 'approver'), handler)
 * ```
 */
export function requireAllRoles(...roles: string[]): Middleware {
  return requirementMiddleware(createRequirement('allRoles', roles, 'requireAllRoles()'))
}

/**
 * Middleware that needs every one of `scopes` (all-of, the OAuth convention), read from
 * the principal's `scopes`. Without a principal: 401 token_missing; with too few scopes: 403
 * insufficient_scope with `WWW-Authenticate: Bearer …, error="insufficient_scope", scope="…"`
 * naming the required scopes (RFC 6750 §3.1).
 *
 * @param scopes - required scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token
 * @example
 * ```ts
 * router.post('/orders', requireScopes('orders:write'), handler)
 * ```
 */
export function requireScopes(...scopes: string[]): Middleware {
  return requirementMiddleware(createRequirement('allScopes', scopes, 'requireScopes()'))
}

/**
 * Middleware that needs one of `scopes` (any-of). Failures as {@link requireScopes}.
 *
 * @param scopes - accepted scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token
 * @example
 * ```ts
 * router.get('/orders', requireAnyScope('orders:read', 'orders:admin'), handler)
 * ```
 */
export function requireAnyScope(...scopes: string[]): Middleware {
  return requirementMiddleware(createRequirement('anyScope', scopes, 'requireAnyScope()'))
}

/**
 * Middleware that needs a principal: 401 token_missing for a request that `optional` (or
 * `skip`) let through anonymously.
 *
 * @example
 * ```ts
 * app.use(jwtAuth({ ...authOptions, optional: true }))
 * router.post('/comments', requireAuth(), handler)
 * ```
 */
export function requireAuth(): Middleware {
  return requirementMiddleware(createRequirement('auth', [], 'requireAuth()'))
}

// Synchronous: koa-compose wraps what a middleware returns, so no Promise of ours when it holds.
function requirementMiddleware(requirement: RouteRequirement): Middleware {
  return (ctx: Context, next: Next): unknown => {
    const settings = (ctx.state as StateWithSettings)[GUARD]
    const error = requirement.check(ctx.state.auth, settings?.guard)
    return error === undefined ? next() : fail(error, ctx, settings)
  }
}

function fail(e: unknown, ctx: Context, settings: Settings | undefined): unknown {
  if (!(e instanceof AuthError)) throw e
  if (settings?.onError !== undefined) return settings.onError(e, ctx)
  const { status, headers, body } = settings ? settings.guard.respond(e) : toHttpResponse(e)
  ctx.status = status
  ctx.set(headers)
  ctx.body = body
  return undefined
}

export type { Principal } from '@jwtgate/core'
export { AuthError, ConfigError } from '@jwtgate/core'
