// What the Express, Fastify and Koa adapters share, so that no policy lives in an adapter:
// deciding whether a path is skipped, treating a missing token as "anonymous" in optional mode,
// checking roles, and rendering an AuthError as a response.
import { AuthError, ConfigError } from '../errors.js'
import { isPromiseLike } from '../lib/thenable.js'
import { checkRoles, type RolesMode } from '../roles.js'
import type { Authenticator, AuthRequest, Principal } from '../types.js'
import { toHttpResponse, type AuthErrorResponse } from './to-response.js'

/**
 * Paths an adapter lets through without authentication: exact paths (query string ignored),
 * regular expressions tested against the path, or a predicate.
 */
export type SkipRule = readonly (string | RegExp)[] | ((path: string) => boolean)

/** Options every adapter accepts beside the authentication options. */
export interface GuardOptions {
  /**
   * No token: continue without a principal instead of answering 401. A token that is present
   * but bad is still rejected. @defaultValue false
   */
  optional?: boolean
  /** Paths that skip authentication entirely (health checks, the login page …). */
  skip?: SkipRule
  /**
   * Send `WWW-Authenticate` on 401 and 403. @defaultValue the authenticator's `challenge`
   * option, else true
   */
  challenge?: boolean
}

/** What {@link RequestGuard.run} calls back with. */
export type GuardCallback = (error: unknown, principal?: Principal) => void

/** The request-independent part of an adapter, built once at start-up. */
export interface RequestGuard {
  /** The authenticator every request goes through. */
  readonly authenticator: Authenticator
  /** Whether responses carry `WWW-Authenticate`. */
  readonly challenge: boolean
  /**
   * Authenticates a request, honouring `skip` and `optional`.
   *
   * @param request - headers and URL (`url` is the request target, `/path?query`)
   * @returns the principal, or undefined when the path is skipped or, in optional mode, no token
   *   was presented
   * @throws {@link AuthError} for every other failure
   */
  authenticate(request: AuthRequest): Promise<Principal | undefined>
  /**
   * {@link RequestGuard.authenticate} for callback-style frameworks: `done` is called exactly once,
   * in the same tick when no key has to be fetched (a token-cache hit, static keys), so a cache hit
   * costs no Promise and no microtask.
   *
   * @param request - headers and URL
   * @param done - `(undefined, principal)` on success (principal undefined when skipped or, in
   *   optional mode, no token was presented), `(error)` otherwise: an {@link AuthError}, or an
   *   `Error` when the authenticator broke its contract (never `undefined`)
   */
  run(request: AuthRequest, done: GuardCallback): void
  /**
   * Renders an error as status, headers and JSON body.
   *
   * @param error - the error to render
   */
  respond(error: AuthError): AuthErrorResponse
}

/**
 * Tells an {@link Authenticator} instance from an options object.
 *
 * @param value - what the adapter was given
 */
export function isAuthenticator(value: unknown): value is Authenticator {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Authenticator>).authenticate === 'function' &&
    typeof (value as Partial<Authenticator>).close === 'function'
  )
}

/**
 * Builds the part of an adapter that does not depend on the framework. Skip rules are compiled
 * here, once.
 *
 * @param authenticator - the shared authenticator
 * @param options - adapter options
 * @returns the guard
 * @example
 * ```ts
 * const guard = createRequestGuard(createStaticAuthenticator(opts), { optional: true, skip: ['/health'] })
 * const principal = await guard.authenticate({ headers: req.headersDistinct, url: req.url })
 * ```
 */
export function createRequestGuard(
  authenticator: Authenticator,
  options: GuardOptions = {},
): RequestGuard {
  const challenge = options.challenge ?? authenticator.challenge ?? true
  const optional = options.optional === true
  const isSkipped = compileSkip(options.skip)
  const renderOptions = { challenge, realm: authenticator.realm }
  const now =
    authenticator.authenticateNow?.bind(authenticator) ??
    ((request: AuthRequest) => authenticator.authenticate(request))
  const settle = (error: unknown, done: GuardCallback): void => {
    if (optional && error instanceof AuthError && error.code === 'token_missing') done(undefined)
    // `done(undefined)` means success: a broken authenticator rejecting with nothing must not pass.
    else done(error ?? new Error('The authenticator failed without an error'))
  }
  // The one place skip and optional are decided; `authenticate` is `run` behind a Promise.
  const run = (request: AuthRequest, done: GuardCallback): void => {
    if (isSkipped !== undefined && isSkipped(pathOf(request.url))) {
      done(undefined)
      return
    }
    let result: Principal | Promise<Principal>
    try {
      result = now(request)
    } catch (e) {
      settle(e, done)
      return
    }
    // `done` runs outside the try: a throw from the framework's continuation is not an auth error.
    if (isPromiseLike(result)) {
      result.then(
        (principal) => {
          done(undefined, principal)
        },
        (e: unknown) => {
          settle(e, done)
        },
      )
    } else done(undefined, result)
  }
  return {
    authenticator,
    challenge,
    run,
    authenticate: (request) =>
      new Promise((resolve, reject) => {
        run(request, (e, principal) => {
          if (e === undefined) resolve(principal)
          else reject(e instanceof Error ? e : new Error('The authenticator failed', { cause: e }))
        })
      }),
    respond: (error) => toHttpResponse(error, renderOptions),
  }
}

/**
 * The check behind every adapter's `requireRoles`: no principal is token_missing (401), too few
 * roles is insufficient_roles (403).
 *
 * @param principal - the request's principal, if any
 * @param roles - required roles
 * @param mode - `any` (one of them) or `all`
 * @throws {@link AuthError}
 */
export function assertRoles(
  principal: Principal | undefined,
  roles: readonly string[],
  mode: RolesMode,
): void {
  if (principal === undefined) throw new AuthError('token_missing')
  checkRoles(principal, roles, mode)
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/'
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function compileSkip(rule: SkipRule | undefined): ((path: string) => boolean) | undefined {
  if (rule === undefined) return undefined
  if (typeof rule === 'function') return rule
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const [i, entry] of rule.entries()) {
    if (typeof entry === 'string') exact.add(entry)
    else if (entry instanceof RegExp) patterns.push(entry)
    else throw new ConfigError(`skip[${String(i)}]`, 'must be a string or a RegExp')
  }
  if (exact.size === 0 && patterns.length === 0) return undefined
  return (path) => exact.has(path) || patterns.some((p) => p.test(path))
}

/** The parts of Node's `IncomingMessage` {@link headersOf} reads. */
export interface NodeRequestHeaders {
  headers: AuthRequest['headers']
  headersDistinct?: AuthRequest['headers'] | undefined
  rawHeaders?: readonly string[] | undefined
}

/**
 * The headers an adapter passes to `authenticate`: Node's `headers` when no header name is
 * repeated, else `headersDistinct` (so that a repeated `Authorization` header, which `headers`
 * silently drops, is seen and rejected), or `headers` where a request object has neither
 * `rawHeaders` nor `headersDistinct` (injected test requests, some proxies' shims).
 *
 * `headers` has one key per distinct (lower-cased) name of `rawHeaders`, so equal counts prove
 * that nothing was repeated; that check is cheaper than building `headersDistinct`.
 *
 * @param message - a Node `IncomingMessage` or lookalike
 */
export function headersOf(message: NodeRequestHeaders): AuthRequest['headers'] {
  const headers = message.headers
  const raw = message.rawHeaders
  if (raw !== undefined && raw.length === 2 * Object.keys(headers).length) return headers
  return message.headersDistinct ?? headers
}
