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
  assertRoles,
  AuthError,
  createRequestGuard,
  headersOf,
  isAuthenticator,
  toHttpResponse,
  type Authenticator,
  type GuardOptions,
  type JwtAuthOptions,
  type Principal,
  type RequestGuard,
} from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import type { Context, Middleware, Next } from 'koa'

declare module 'koa' {
  interface DefaultState {
    /** The verified principal, set by `jwtAuth`; undefined on skipped or anonymous requests. */
    auth?: Principal
  }
}

/** Options of the Koa middleware, beside the authentication options. */
export interface KoaAuthOptions extends GuardOptions {
  /**
   * Handles an {@link AuthError} instead of the built-in JSON response. `(err) => { throw err }`
   * hands it to your error middleware (it carries `status`, `expose` and `headers`, as Koa expects).
   */
  onError?: (error: AuthError, ctx: Context) => unknown
}

/** The middleware returned by {@link jwtAuth}, with its authenticator for shutdown. */
export interface JwtAuthMiddleware extends Middleware {
  /** The shared authenticator; `close()` it when the server stops. */
  readonly authenticator: Authenticator
}

const GUARD = Symbol('jwtgate.guard')

interface Settings {
  guard: RequestGuard
  onError: KoaAuthOptions['onError']
}

/**
 * Builds the authentication middleware. The authenticator is created once, here.
 *
 * @param optionsOrAuthenticator - options in any form `normalizeConfig` accepts (JWKS, OIDC or a
 *   static key), or an authenticator to share
 * @param adapterOptions - `optional`, `skip`, `challenge`, `onError`
 * @returns the middleware; it sets `ctx.state.auth`
 * @throws `ConfigError` for invalid options, at start-up
 */
export function jwtAuth(
  optionsOrAuthenticator: JwtAuthOptions | Record<string, unknown> | Authenticator,
  adapterOptions: KoaAuthOptions = {},
): JwtAuthMiddleware {
  const authenticator = isAuthenticator(optionsOrAuthenticator)
    ? optionsOrAuthenticator
    : createAuthenticator(optionsOrAuthenticator)
  const settings: Settings = {
    guard: createRequestGuard(authenticator, adapterOptions),
    onError: adapterOptions.onError,
  }
  const middleware = (ctx: Context, next: Next): Promise<unknown> => {
    ;(ctx.state as Record<symbol, Settings>)[GUARD] = settings
    // One Promise per request; on a token-cache hit or with static keys the guard answers in
    // this tick and the next middleware starts at once.
    return new Promise((resolve, reject) => {
      settings.guard.run({ headers: headersOf(ctx.req), url: ctx.originalUrl }, (e, principal) => {
        if (e === undefined) {
          ctx.state.auth = principal
          resolve(next())
          return
        }
        try {
          resolve(fail(e, ctx, settings))
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      })
    })
  }
  return Object.assign(middleware, { authenticator })
}

/**
 * Middleware that needs one of `roles` (any-of). Without a principal: 401 token_missing; with too
 * few roles: 403 insufficient_roles with `WWW-Authenticate: Bearer error="insufficient_scope"`.
 *
 * @param roles - accepted roles
 * @example
 * ```ts
 * router.delete('/index/:name', requireRoles('admin', 'ops'), handler)
 * ```
 */
export function requireRoles(...roles: string[]): Middleware {
  return rolesMiddleware(roles, 'any')
}

/**
 * Middleware that needs every one of `roles` (all-of).
 *
 * @param roles - required roles
 */
export function requireAllRoles(...roles: string[]): Middleware {
  return rolesMiddleware(roles, 'all')
}

function rolesMiddleware(roles: readonly string[], mode: 'any' | 'all'): Middleware {
  return async (ctx: Context, next: Next): Promise<unknown> => {
    try {
      assertRoles(ctx.state.auth, roles, mode)
    } catch (e) {
      return fail(e, ctx, (ctx.state as Record<symbol, Settings | undefined>)[GUARD])
    }
    return next()
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
