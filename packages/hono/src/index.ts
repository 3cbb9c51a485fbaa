/**
 * `@jwtgate/hono`: JWT bearer authentication middleware for Hono 4 on Node
 * (`@hono/node-server`).
 *
 * The middleware translates the request, calls the shared authenticator and translates the
 * result; every policy decision lives in `@jwtgate/core`. The principal is at `c.get('auth')`,
 * typed through Hono's `Variables` ({@link JwtGateEnv}).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { jwtAuth, requireRoles, type JwtGateEnv } from '@jwtgate/hono'
 *
 * const app = new Hono<JwtGateEnv>()
 * app.use(jwtAuth({ jwksUri: 'https://idp.example/jwks.json', requiredAudience: 'api' }))
 * app.get('/me', (c) => c.json({ user: c.get('auth')?.subject }))
 * app.get('/admin', requireRoles('admin'), (c) => c.json({ ok: true }))
 * ```
 *
 * @module
 */
import {
  AuthError,
  createAdapterSetup,
  createRequirement,
  toHttpResponse,
  type Authenticator,
  type GuardOptions,
  type GuardRequest,
  type JwtAuthOptions,
  type Principal,
  type RequestGuard,
  type RouteRequirement,
} from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import type { Context, MiddlewareHandler, Next } from 'hono'

/** The variables `jwtAuth` sets on Hono's context. */
export interface JwtGateVariables {
  /** The verified principal; undefined on skipped or anonymous (`optional`) requests. */
  auth: Principal | undefined
}

/**
 * Hono's `Env` for an app protected by `jwtAuth`: `new Hono<JwtGateEnv>()` types
 * `c.get('auth')` and `c.var.auth`. Merge it with your own: `{ Variables: JwtGateVariables & Mine }`.
 */
export interface JwtGateEnv {
  /** See {@link JwtGateVariables}. */
  Variables: JwtGateVariables
}

/** Options of the Hono middleware, beside the authentication options. */
export interface HonoAdapterOptions extends GuardOptions {
  /**
   * Handles an {@link AuthError} instead of the built-in JSON response, and returns the
   * response. Throwing the error instead hands it to `app.onError` (it carries `status` and
   * `headers`).
   */
  onError?: (error: AuthError, c: Context) => Response | Promise<Response>
}

/**
 * What `jwtAuth(options)` takes: the authentication options (any form `normalizeConfig`
 * accepts) and the adapter options in one object.
 */
export type HonoJwtAuthOptions = HonoAdapterOptions &
  JwtAuthOptions & {
    /** An authenticator to share; no authentication option may be given beside it. */
    authenticator?: Authenticator
  }

/** The middleware returned by {@link jwtAuth}, with its authenticator for shutdown. */
export interface JwtAuthMiddleware extends MiddlewareHandler<JwtGateEnv> {
  /** The shared authenticator; `close()` it when the server stops. */
  readonly authenticator: Authenticator
}

/** Where the route middleware finds the settings of the `jwtAuth` that ran before it. */
const SETTINGS = 'jwtgate.settings'

/** What a Hono middleware returns: a response, or nothing once `next()` has run. */
type Outcome = ReturnType<MiddlewareHandler>

interface Settings {
  guard: RequestGuard
  onError: HonoAdapterOptions['onError']
}

/**
 * Builds the authentication middleware. The authenticator is created once, here.
 *
 * @param options - authentication options (JWKS, OIDC or a static key) and adapter options
 *   (`optional`, `skip`, `challenge`, `onError`) in one object, or `{ authenticator, ...adapterOptions }`
 * @returns the middleware; it sets `c.get('auth')`
 * @throws `ConfigError` for invalid options, at start-up
 */
export function jwtAuth(options: HonoJwtAuthOptions): JwtAuthMiddleware
/**
 * Builds the authentication middleware around an authenticator you share.
 *
 * @param authenticator - from `createAuthenticator` or `createStaticAuthenticator`
 * @param adapterOptions - `optional`, `skip`, `challenge`, `onError` only
 * @throws `ConfigError` when `adapterOptions` holds an authentication option (it would be
 *   silently ignored: the authenticator is already built)
 */
export function jwtAuth(
  authenticator: Authenticator,
  adapterOptions?: HonoAdapterOptions,
): JwtAuthMiddleware
export function jwtAuth(
  first: HonoJwtAuthOptions | Authenticator,
  second?: HonoAdapterOptions,
): JwtAuthMiddleware {
  const { guard, onError } = createAdapterSetup(first, second, createAuthenticator)
  const settings: Settings = { guard, onError }
  const middleware = (c: Context<JwtGateEnv>, next: Next): Outcome => {
    c.set(SETTINGS as 'auth', settings as never)
    let result: Principal | undefined | Promise<Principal | undefined>
    try {
      // Answers in this tick on a token-cache hit or with static keys: no Promise of ours.
      result = checkRequest(guard, c)
    } catch (e) {
      return failed(e, c, settings)
    }
    if (result instanceof Promise) {
      return result.then(
        (principal) => {
          c.set('auth', principal)
          return next()
        },
        (e: unknown) => failed(e, c, settings),
      )
    }
    c.set('auth', result)
    return next()
  }
  return Object.assign(middleware as MiddlewareHandler<JwtGateEnv>, {
    authenticator: guard.authenticator,
  })
}

function failed(e: unknown, c: Context, settings: Settings | undefined): Promise<Response> {
  try {
    return Promise.resolve(fail(e, c, settings))
  } catch (err) {
    return Promise.reject(asError(err))
  }
}

/**
 * Runs the guard on the request. On `@hono/node-server`, `c.env.incoming` is Node's
 * `IncomingMessage`: its raw header lines show a repeated `Authorization` header, which the web
 * `Headers` object would join into one value. Elsewhere the web `Request` is read.
 */
function checkRequest(
  guard: RequestGuard,
  c: Context,
): Principal | undefined | Promise<Principal | undefined> {
  const incoming = (c.env as { incoming?: GuardRequest } | undefined)?.incoming
  if (incoming !== undefined && Array.isArray(incoming.rawHeaders)) return guard.check(incoming)
  const raw = c.req.raw
  const url = new URL(raw.url)
  return guard.check({
    method: raw.method,
    url: url.pathname + url.search,
    headers: Object.fromEntries(raw.headers),
  })
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
export function requireRoles(...roles: string[]): MiddlewareHandler<JwtGateEnv> {
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
export function requireAllRoles(...roles: string[]): MiddlewareHandler<JwtGateEnv> {
  return requirementMiddleware(createRequirement('allRoles', roles, 'requireAllRoles()'))
}

/**
 * Route middleware that needs every one of `scopes` (all-of, the OAuth convention), read from
 * the principal's `scopes`. Without a principal: 401 token_missing; with too few scopes: 403
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
export function requireScopes(...scopes: string[]): MiddlewareHandler<JwtGateEnv> {
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
export function requireAnyScope(...scopes: string[]): MiddlewareHandler<JwtGateEnv> {
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
export function requireAuth(): MiddlewareHandler<JwtGateEnv> {
  return requirementMiddleware(createRequirement('auth', [], 'requireAuth()'))
}

function requirementMiddleware(requirement: RouteRequirement): MiddlewareHandler<JwtGateEnv> {
  return (c, next) => {
    const settings = c.get(SETTINGS as 'auth') as Settings | undefined
    const error = requirement.check(c.get('auth'), settings?.guard)
    return error === undefined ? next() : failed(error, c, settings)
  }
}

/** Renders the AuthError (or hands it to `onError`); anything else is rethrown to Hono. */
function fail(
  e: unknown,
  c: Context,
  settings: Settings | undefined,
): Response | Promise<Response> {
  if (!(e instanceof AuthError)) throw asError(e)
  if (settings?.onError !== undefined) return settings.onError(e, c)
  const { status, headers, body } = settings ? settings.guard.respond(e) : toHttpResponse(e)
  return c.json(body, status, headers)
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error('The authenticator failed', { cause: e })
}

export type { Principal } from '@jwtgate/core'
export { AuthError, ConfigError } from '@jwtgate/core'
