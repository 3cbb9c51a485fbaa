/**
 * `@jwtgate/express`: JWT bearer authentication middleware for Express 4 and 5.
 *
 * The middleware translates the request, calls the shared authenticator and translates the
 * result; every policy decision lives in `@jwtgate/core`.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { jwtAuth, requireRoles } from '@jwtgate/express'
 *
 * const app = express()
 * app.use(jwtAuth({ jwksUri: 'https://idp.example/jwks.json', requiredAudience: 'api' }))
 * app.get('/me', (req, res) => res.json({ user: req.auth?.subject }))
 * app.get('/admin', requireRoles('admin'), (req, res) => res.json({ ok: true }))
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
import type { NextFunction, Request, RequestHandler, Response } from 'express'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own extension point
  namespace Express {
    interface Request {
      /** The verified principal, set by `jwtAuth`; undefined on skipped or anonymous requests. */
      auth?: Principal
    }
  }
}

/** Handles an {@link AuthError} in place of the built-in JSON response. */
export type ExpressErrorHandler = (
  error: AuthError,
  req: Request,
  res: Response,
  next: NextFunction,
) => void

/** Options of the Express middleware, beside the authentication options. */
export interface ExpressAuthOptions extends GuardOptions {
  /**
   * Handles an {@link AuthError} instead of the built-in JSON response. Pass
   * `(err, req, res, next) => next(err)` to hand it to your Express error handler (the error
   * carries `status`, `statusCode` and `headers`).
   */
  onError?: ExpressErrorHandler
}

/**
 * What `jwtAuth(options)` takes: the authentication options (any form `normalizeConfig` accepts)
 * and the adapter options in one object, or `authenticator` (shared) with adapter options only.
 */
export type ExpressJwtAuthOptions = AdapterInput<ExpressErrorHandler>

/** The middleware returned by {@link jwtAuth}, with its authenticator for shutdown. */
export interface JwtAuthMiddleware extends RequestHandler {
  /** The shared authenticator; `close()` it when the server stops. */
  readonly authenticator: Authenticator
}

/** Where the route helpers find the settings of the `jwtAuth` that ran before them. */
const SETTINGS = Symbol('jwtgate.settings')
type WithSettings = Request & { [SETTINGS]?: Settings }

interface Settings {
  guard: RequestGuard
  onError: ExpressErrorHandler | undefined
}

/**
 * Builds the authentication middleware. The authenticator is created once, here.
 *
 * @param options - `{ ...authOptions, optional, skip, onError }` (authentication options in any
 *   form `normalizeConfig` accepts: JWKS, OIDC or a static key), or an authenticator to share
 * @param adapterOptions - with an authenticator: `optional`, `skip`, `challenge`, `onError`
 * @returns the middleware; it sets `req.auth`
 * @throws `ConfigError` for invalid options, at start-up (also for authentication options given
 *   beside an authenticator)
 * @example
 * ```ts
 * app.use(jwtAuth({ jwksUri, requiredIssuer, requiredAudience: 'api', skip: ['/health'] }))
 * app.use(jwtAuth(sharedAuthenticator, { optional: true }))
 * ```
 */
export function jwtAuth(
  options: ExpressJwtAuthOptions | Authenticator,
  adapterOptions?: ExpressAuthOptions,
): JwtAuthMiddleware {
  const { guard, onError } = createAdapterSetup(options, adapterOptions, createAuthenticator)
  const settings: Settings = { guard, onError }
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    ;(req as WithSettings)[SETTINGS] = settings
    let result: Principal | undefined | Promise<Principal | undefined>
    try {
      // Answers in this tick on a token-cache hit or with static keys.
      result = guard.check(req, req.originalUrl)
    } catch (e) {
      fail(e, req, res, next, settings)
      return
    }
    if (result instanceof Promise) {
      result.then(
        (principal) => {
          req.auth = principal
          next()
        },
        (e: unknown) => {
          fail(e, req, res, next, settings)
        },
      )
    } else {
      req.auth = result
      next()
    }
  }
  return Object.assign(middleware, { authenticator: guard.authenticator })
}

/**
 * Route middleware that needs one of `roles` (any-of). Without a principal: 401 token_missing;
 * with too few roles: 403 insufficient_roles with `WWW-Authenticate: Bearer error="insufficient_scope"`.
 *
 * @param roles - accepted roles (at least one)
 * @throws `ConfigError` without roles, or for a role that is not a non-empty string, here at
 *   route definition
 * @example
 * ```ts
 * app.delete('/index/:name', requireRoles('admin', 'ops'), handler)
 * ```
 */
export function requireRoles(...roles: string[]): RequestHandler {
  return requirementMiddleware(createRequirement('anyRole', roles, 'requireRoles()'))
}

/**
 * Route middleware that needs every one of `roles` (all-of).
 *
 * @param roles - required roles (at least one)
 * @throws `ConfigError` without roles, or for a role that is not a non-empty string
 * @example
 * ```ts
 * app.post('/billing', requireAllRoles('finance', 'approver'), handler)
 * ```
 */
export function requireAllRoles(...roles: string[]): RequestHandler {
  return requirementMiddleware(createRequirement('allRoles', roles, 'requireAllRoles()'))
}

/**
 * Route middleware that needs every one of `scopes` (all-of, the OAuth convention), read from
 * `req.auth.scopes`. Without a principal: 401 token_missing; with too few scopes: 403
 * insufficient_scope with `WWW-Authenticate: Bearer …, error="insufficient_scope", scope="…"`
 * naming the required scopes (RFC 6750 §3.1).
 *
 * @param scopes - required scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token
 * @example
 * ```ts
 * app.post('/orders', requireScopes('orders:write'), handler)
 * ```
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  return requirementMiddleware(createRequirement('allScopes', scopes, 'requireScopes()'))
}

/**
 * Route middleware that needs one of `scopes` (any-of). Failures as {@link requireScopes}.
 *
 * @param scopes - accepted scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token
 * @example
 * ```ts
 * app.get('/orders', requireAnyScope('orders:read', 'orders:admin'), handler)
 * ```
 */
export function requireAnyScope(...scopes: string[]): RequestHandler {
  return requirementMiddleware(createRequirement('anyScope', scopes, 'requireAnyScope()'))
}

/**
 * Route middleware that needs a principal: 401 token_missing for a request that `optional` (or
 * `skip`) let through anonymously.
 *
 * @example
 * ```ts
 * app.use(jwtAuth({ ...authOptions, optional: true }))
 * app.post('/comments', requireAuth(), handler)
 * ```
 */
export function requireAuth(): RequestHandler {
  return requirementMiddleware(createRequirement('auth', [], 'requireAuth()'))
}

function requirementMiddleware(requirement: RouteRequirement): RequestHandler {
  return (req, res, next) => {
    const settings = (req as WithSettings)[SETTINGS]
    const error = requirement.check(req.auth, settings?.guard)
    if (error === undefined) next()
    else fail(error, req, res, next, settings)
  }
}

function fail(
  e: unknown,
  req: Request,
  res: Response,
  next: NextFunction,
  settings: Settings | undefined,
): void {
  if (!(e instanceof AuthError)) {
    next(e)
    return
  }
  if (settings?.onError !== undefined) {
    settings.onError(e, req, res, next)
    return
  }
  const { status, headers, body } = settings ? settings.guard.respond(e) : toHttpResponse(e)
  res.status(status).set(headers).json(body)
}

export type { Principal } from '@jwtgate/core'
export { AuthError, ConfigError } from '@jwtgate/core'
