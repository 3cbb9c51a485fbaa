// What every adapter shares, so that no policy lives in an adapter: the option shape, CORS
// preflights, `skip`, the repeated-header check, treating a missing token as "anonymous" in
// optional mode, the route requirements (roles, scopes, a principal at all), and rendering an
// AuthError as a response.
import { AuthError, ConfigError } from '../errors.js'
import { isPromiseLike } from '../lib/thenable.js'
import { checkRoles, type RolesMode } from '../roles.js'
import type { Authenticator, AuthRequest, JwtAuthOptions, Principal } from '../types.js'
import { toHttpResponse, type AuthErrorResponse } from './to-response.js'

/** What a `skip` predicate sees of a request. */
export interface SkipRequest {
  /** The HTTP method, upper-case (`GET`, `OPTIONS` …). */
  readonly method: string
  /** The path, without the query string. */
  readonly path: string
  /** The request target as the framework saw it (`/path?query`). */
  readonly url: string
  /** The request headers (Node's lower-cased names). */
  readonly headers: AuthRequest['headers']
}

/**
 * Requests an adapter lets through without authentication: an exact path (query string ignored),
 * a regular expression tested against the path, a list of those, or a predicate that sees the
 * method and path.
 */
export type SkipRule =
  string | RegExp | readonly (string | RegExp)[] | ((request: SkipRequest) => boolean)

/** Options every adapter accepts beside the authentication options. */
export interface GuardOptions {
  /**
   * No token: continue without a principal instead of answering 401. A token that is present
   * but bad is still rejected. @defaultValue false
   */
  optional?: boolean
  /** Requests that skip authentication entirely (health checks, the login page …). */
  skip?: SkipRule
  /**
   * Send `WWW-Authenticate` on 401 and 403. @defaultValue the authenticator's `challenge`
   * option, else true
   */
  challenge?: boolean
}

/**
 * The request as an adapter hands it to the guard: a Node `IncomingMessage` (Express's `req`,
 * Fastify's `request.raw`, Koa's `ctx.req`) or a lookalike.
 */
export interface GuardRequest {
  /** The HTTP method; `OPTIONS` with `Access-Control-Request-Method` is a CORS preflight. */
  method?: string | undefined
  /** The request target (`/path?query`). */
  url?: string | undefined
  /** Headers as the framework holds them (earlier middleware may have changed them). */
  headers: AuthRequest['headers']
  /**
   * Node's raw header lines (`[name, value, name, value, …]`), as received: a repeated token
   * header is found here, whatever happened to `headers` since.
   */
  rawHeaders?: readonly string[] | undefined
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
   * Authenticates a request, honouring CORS preflights, `skip` and `optional`. The adapters' hot
   * path: it returns the principal synchronously whenever no key has to be fetched (a token-cache
   * hit, static keys), throws the {@link AuthError} synchronously in the same cases, and returns
   * a native Promise only while keys are being fetched. It allocates nothing of its own on a
   * cache hit.
   *
   * @param request - the Node request (or lookalike)
   * @param url - the request target when the framework rewrote `request.url` (Express's
   *   `originalUrl` in a mounted router); defaults to `request.url`
   * @returns the principal; undefined for a preflight, a skipped request, or (optional mode) a
   *   request without a token; or a Promise of one of those
   * @throws {@link AuthError} for every other failure; an `Error` when the authenticator broke its
   *   contract
   */
  check(request: GuardRequest, url?: string): Principal | undefined | Promise<Principal | undefined>
  /**
   * {@link RequestGuard.check} for callback-style code: `done` is called exactly once, in the same
   * tick when no key has to be fetched.
   *
   * @param request - the Node request (or lookalike)
   * @param done - `(undefined, principal)` on success (principal undefined when let through
   *   anonymously), `(error)` otherwise: an {@link AuthError}, or an `Error` when the
   *   authenticator broke its contract (never `undefined`)
   */
  run(request: GuardRequest, done: GuardCallback): void
  /**
   * {@link RequestGuard.check} behind a Promise.
   *
   * @param request - the Node request (or lookalike)
   * @returns the principal, or undefined when let through anonymously
   * @throws {@link AuthError} for every other failure
   */
  authenticate(request: GuardRequest): Promise<Principal | undefined>
  /**
   * The headers to authenticate with: `request.headers`, unless the token header's line is
   * repeated in `rawHeaders` — then a copy in which that header holds every line, which the
   * authenticator rejects as token_malformed.
   *
   * @param request - the Node request (or lookalike)
   */
  headersOf(request: GuardRequest): AuthRequest['headers']
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
 * True for a CORS preflight: `OPTIONS` carrying `Access-Control-Request-Method`. Browsers send
 * preflights without credentials, so every adapter lets them through untouched.
 *
 * @param method - the HTTP method
 * @param headers - the request headers (Node's lower-cased names)
 */
export function isPreflight(method: string | undefined, headers: AuthRequest['headers']): boolean {
  return method === 'OPTIONS' && headers['access-control-request-method'] !== undefined
}

/**
 * Builds the part of an adapter that does not depend on the framework. Skip rules are compiled
 * and the token header's name is lower-cased here, once.
 *
 * @param authenticator - the shared authenticator
 * @param options - adapter options
 * @returns the guard
 * @throws {@link ConfigError} for an invalid `skip` entry
 * @example
 * ```ts
 * const guard = createRequestGuard(createStaticAuthenticator(opts), { optional: true, skip: ['/health'] })
 * const principal = await guard.authenticate(req)
 * ```
 */
export function createRequestGuard(
  authenticator: Authenticator,
  options: GuardOptions = {},
): RequestGuard {
  const challenge = options.challenge ?? authenticator.challenge ?? true
  const optional = options.optional === true
  const isSkipped = compileSkip(options.skip)
  const tokenHeader = (authenticator.jwtHeader ?? 'authorization').toLowerCase()
  const renderOptions = { challenge, realm: authenticator.realm }
  const now =
    authenticator.authenticateNow?.bind(authenticator) ??
    ((request: AuthRequest) => authenticator.authenticate(request))
  // Optional mode turns a missing token into "anonymous"; a broken authenticator throwing or
  // rejecting with nothing must never pass.
  const settle = (error: unknown): undefined => {
    if (optional && error instanceof AuthError && error.code === 'token_missing') return undefined
    throw error instanceof Error ? error : new Error('The authenticator failed', { cause: error })
  }
  const headersOf = (request: GuardRequest): AuthRequest['headers'] =>
    repeatedHeaders(request, tokenHeader) ?? request.headers

  const check = (
    request: GuardRequest,
    url: string | undefined = request.url,
  ): Principal | undefined | Promise<Principal | undefined> => {
    const headers = request.headers
    if (request.method === 'OPTIONS' && isPreflight(request.method, headers)) return undefined
    if (isSkipped !== undefined && isSkipped(request, url)) return undefined
    const repeated = repeatedHeaders(request, tokenHeader)
    // The request itself is the AuthRequest when nothing differs: no allocation on the hot path.
    const authRequest: AuthRequest =
      repeated === undefined && url === request.url
        ? request
        : { headers: repeated ?? headers, url }
    let result: Principal | PromiseLike<Principal>
    try {
      result = now(authRequest)
    } catch (e) {
      settle(e)
      return undefined
    }
    if (isPromiseLike(result)) return Promise.resolve(result).then(undefined, settle)
    return result
  }

  const run = (request: GuardRequest, done: GuardCallback): void => {
    let result: Principal | undefined | Promise<Principal | undefined>
    try {
      result = check(request)
    } catch (e) {
      done(e)
      return
    }
    // `done` runs outside the try: a throw from the framework's continuation is not an auth error.
    if (result instanceof Promise) {
      result.then(
        (principal) => {
          done(undefined, principal)
        },
        (e: unknown) => {
          done(e)
        },
      )
    } else done(undefined, result)
  }

  return {
    authenticator,
    challenge,
    check,
    run,
    headersOf,
    authenticate: (request) => {
      try {
        return Promise.resolve(check(request))
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error('The authenticator failed'))
      }
    },
    respond: (error) => toHttpResponse(error, renderOptions),
  }
}

/**
 * When the token header's line is repeated in `rawHeaders`, a copy of `headers` in which that
 * header holds every line; else undefined. One pass over the header names, comparing only names
 * of the right length, case-insensitively, without allocating.
 */
function repeatedHeaders(request: GuardRequest, lower: string): AuthRequest['headers'] | undefined {
  const raw = request.rawHeaders
  if (raw === undefined) return undefined
  const length = lower.length
  let first = -1
  let second = -1
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    if (name === undefined || name.length !== length || !sameName(name, lower)) continue
    if (first === -1) first = i
    else {
      second = i
      break
    }
  }
  if (second === -1) return undefined
  const values: string[] = []
  for (let i = first; i < raw.length; i += 2) {
    const name = raw[i]
    if (name !== undefined && name.length === length && sameName(name, lower))
      values.push(raw[i + 1] ?? '')
  }
  return { ...request.headers, [lower]: values }
}

/** `name` equals the lower-case `lower` ignoring ASCII case (equal lengths already checked). */
function sameName(name: string, lower: string): boolean {
  for (let j = 0; j < lower.length; j++) {
    let c = name.charCodeAt(j)
    if (c >= 0x41 && c <= 0x5a) c += 0x20
    if (c !== lower.charCodeAt(j)) return false
  }
  return true
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/'
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

type SkipTest = (request: GuardRequest, url: string | undefined) => boolean

function compileSkip(rule: SkipRule | undefined): SkipTest | undefined {
  if (rule === undefined) return undefined
  if (typeof rule === 'function') {
    // `=== true`: an async predicate returns a Promise, which must not skip authentication.
    return (request, url) =>
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare -- see above
      rule({
        method: request.method ?? 'GET',
        path: pathOf(url),
        url: url ?? '/',
        headers: request.headers,
      }) === true
  }
  const entries: readonly unknown[] =
    typeof rule === 'string' || rule instanceof RegExp ? [rule] : rule
  if (!Array.isArray(entries)) {
    throw new ConfigError('skip', 'must be a path, a RegExp, a list of those, or a predicate')
  }
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const [i, entry] of entries.entries()) {
    if (typeof entry === 'string') exact.add(entry)
    else if (entry instanceof RegExp) patterns.push(entry)
    else throw new ConfigError(`skip[${String(i)}]`, 'must be a string or a RegExp')
  }
  if (exact.size === 0 && patterns.length === 0) return undefined
  if (patterns.length === 0) return (_request, url) => exact.has(pathOf(url))
  return (_request, url) => {
    const path = pathOf(url)
    if (exact.has(path)) return true
    for (const p of patterns) {
      // A global or sticky RegExp keeps state between calls; reset it so each test is fresh.
      p.lastIndex = 0
      if (p.test(path)) return true
    }
    return false
  }
}

/** The parts of Node's `IncomingMessage` {@link headersOf} reads. */
export interface NodeRequestHeaders {
  headers: AuthRequest['headers']
  headersDistinct?: AuthRequest['headers'] | undefined
  rawHeaders?: readonly string[] | undefined
}

/**
 * The headers to authenticate with: `message.headers`, unless the token header (`headerName`,
 * `Authorization` by default) is repeated in `rawHeaders`, whatever earlier middleware did to
 * `headers` — then a copy in which that header holds every line, which the authenticator rejects
 * as token_malformed (Node keeps only the first line in `headers`). Prefer
 * {@link RequestGuard.headersOf}, which knows the authenticator's `jwtHeader`.
 *
 * @param message - a Node `IncomingMessage` or lookalike
 * @param headerName - the token header, any case
 */
export function headersOf(
  message: NodeRequestHeaders,
  headerName = 'authorization',
): AuthRequest['headers'] {
  return repeatedHeaders(message, headerName.toLowerCase()) ?? message.headers
}

// ---------------------------------------------------------------------------------------------
// One option shape for every adapter

/** The adapter options every adapter reads from its options object; anything else is the authenticator's. */
export const ADAPTER_OPTION_KEYS = ['authenticator', 'optional', 'skip', 'onError'] as const

/** Adapter options as every adapter takes them; `TOnError` is the framework's error handler. */
export interface AdapterOptions<TOnError> extends GuardOptions {
  /** Handles an {@link AuthError} instead of the built-in JSON response. */
  onError?: TOnError
}

/** The one-object form: authentication options and adapter options together. */
export type AdapterInput<TOnError> = JwtAuthOptions &
  AdapterOptions<TOnError> & {
    /** An authenticator to share; no authentication option may be given beside it. */
    authenticator?: Authenticator
  }

/** What {@link createAdapterSetup} returns to an adapter. */
export interface AdapterSetup<TOnError> {
  /** The request guard. */
  readonly guard: RequestGuard
  /** The error handler, if one was given. */
  readonly onError: TOnError | undefined
  /** True when the adapter built the authenticator (and so closes it). */
  readonly ownsAuthenticator: boolean
}

/**
 * The one option shape of every adapter, decided in one place: `jwtAuth({ ...authOptions,
 * optional, skip, onError })`, `jwtAuth({ authenticator, optional, skip, onError })` or
 * `jwtAuth(authenticator, { optional, skip, challenge, onError })`. An authentication option beside
 * an authenticator is a {@link ConfigError} (it would be silently ignored), as is an adapter
 * option of the wrong type.
 *
 * @param input - authentication options with adapter options, or an authenticator
 * @param adapterOptions - adapter options (only `optional`, `skip`, `challenge`, `onError`)
 * @param build - builds an authenticator from authentication options (`createAuthenticator`)
 * @returns the guard, the error handler, and whether the adapter owns the authenticator
 * @throws {@link ConfigError} naming the offending option
 * @example
 * ```ts
 * const { guard, onError } = createAdapterSetup(options, undefined, createAuthenticator)
 * ```
 */
export function createAdapterSetup<TOnError>(
  input: AdapterInput<TOnError> | Authenticator,
  adapterOptions: AdapterOptions<TOnError> | undefined,
  build: (options: JwtAuthOptions) => Authenticator,
): AdapterSetup<TOnError> {
  if (typeof input !== 'object' || (input as unknown) === null) {
    throw new ConfigError('options', 'must be an options object or an authenticator')
  }
  const second: Record<string, unknown> = { ...(adapterOptions ?? {}) }
  for (const key of Object.keys(second)) {
    if (key !== 'optional' && key !== 'skip' && key !== 'challenge' && key !== 'onError') {
      throw new ConfigError(
        key,
        'is not an adapter option: authentication options go in the first argument, or where the authenticator is built',
      )
    }
  }
  let authenticator: Authenticator
  let owns: boolean
  let adapter: Record<string, unknown>
  if (isAuthenticator(input)) {
    authenticator = input
    owns = false
    adapter = second
  } else {
    const rest: Record<string, unknown> = { ...input }
    adapter = {}
    for (const key of ADAPTER_OPTION_KEYS) {
      if (key in rest) {
        if (key in second) throw new ConfigError(key, 'is given twice')
        adapter[key] = rest[key]
        Reflect.deleteProperty(rest, key)
      }
    }
    Object.assign(adapter, second)
    const given = adapter.authenticator
    delete adapter.authenticator
    if (given !== undefined) {
      if (!isAuthenticator(given)) {
        throw new ConfigError('authenticator', 'must be an authenticator (createAuthenticator())')
      }
      // Beside an authenticator, `challenge` is the adapter's override, as in the two-argument form.
      if ('challenge' in rest) {
        if ('challenge' in second) throw new ConfigError('challenge', 'is given twice')
        adapter.challenge = rest.challenge
        Reflect.deleteProperty(rest, 'challenge')
      }
      const stray = Object.keys(rest)[0]
      if (stray !== undefined) {
        throw new ConfigError(
          stray,
          'is an authentication option beside an authenticator, where it would be ignored: set it where the authenticator is built',
        )
      }
      authenticator = given
      owns = false
    } else {
      authenticator = build(rest)
      owns = true
    }
  }
  const { optional, skip, challenge, onError } = adapter
  if (optional !== undefined && typeof optional !== 'boolean')
    throw new ConfigError('optional', 'must be a boolean')
  if (challenge !== undefined && typeof challenge !== 'boolean')
    throw new ConfigError('challenge', 'must be a boolean')
  if (onError !== undefined && typeof onError !== 'function')
    throw new ConfigError('onError', 'must be a function')
  const guard = createRequestGuard(authenticator, {
    optional,
    skip: skip as SkipRule | undefined,
    challenge,
  })
  return { guard, onError: onError as TOnError | undefined, ownsAuthenticator: owns }
}

// ---------------------------------------------------------------------------------------------
// Route requirements

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

/** What a route helper requires of the request's principal. */
export type RequirementKind = 'auth' | 'anyRole' | 'allRoles' | 'allScopes' | 'anyScope'

/**
 * A route requirement, compiled once where the route is defined ({@link createRequirement}).
 * Checking it allocates nothing when it holds.
 */
export interface RouteRequirement {
  /** What it requires. */
  readonly kind: RequirementKind
  /** The role or scope names, frozen (empty for `auth`). */
  readonly names: readonly string[]
  /**
   * Checks the principal. Returns undefined when the requirement holds; otherwise the
   * {@link AuthError} to answer with: token_missing (401) without a principal, insufficient_roles
   * (403) for roles, insufficient_scope (403) for scopes, carrying the required scopes so that its
   * challenge has `scope="…"` (RFC 6750 §3.1). Never throws.
   *
   * @param principal - the request's principal; undefined when `optional` (or `skip`) let the
   *   request through anonymously
   * @param guard - the guard of the `jwtAuth` that ran before: the error follows its `challenge`
   *   and realm (defaults: challenge on, realm `jwtgate`)
   */
  check(principal: Principal | undefined, guard?: RequestGuard): AuthError | undefined
}

// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/
const NO_NAMES: readonly string[] = Object.freeze([])
const REQUIREMENT_KINDS: ReadonlySet<string> = new Set([
  'anyRole',
  'allRoles',
  'allScopes',
  'anyScope',
])

/**
 * Compiles a route requirement: the names are validated and frozen here, at route definition, so
 * a helper without names can neither answer 403 to everyone nor let everyone through. Every
 * adapter's `requireRoles`, `requireAllRoles`, `requireScopes`, `requireAnyScope` and
 * `requireAuth` is one of these. Names compare exactly (case-sensitive, no trimming); scopes are
 * read from `principal.scopes`.
 *
 * @param kind - `auth` (a principal at all), `anyRole`, `allRoles`, `allScopes` (the OAuth
 *   convention) or `anyScope`
 * @param names - the role or scope names (none for `auth`)
 * @param label - how the caller spelled the helper, for the ConfigError (`requireScopes()`,
 *   `@Scopes()` …); defaults to `kind`
 * @returns the requirement
 * @throws {@link ConfigError} for no names, a name that is not a non-empty string, or a scope that
 *   is not an RFC 6749 scope token (printable ASCII without space, `"` or `\`)
 * @example
 * ```ts
 * const writeOrders = createRequirement('allScopes', ['orders:write'], 'requireScopes()')
 * const error = writeOrders.check(req.auth, guard) // undefined, or the AuthError to render
 * ```
 */
export function createRequirement(
  kind: RequirementKind,
  names: readonly unknown[] = [],
  label: string = kind,
): RouteRequirement {
  if (kind === 'auth') {
    if (names.length > 0) throw new ConfigError(label, 'takes no names')
    return {
      kind,
      names: NO_NAMES,
      check: (principal, guard) =>
        principal === undefined ? errorFor('token_missing', guard, undefined) : undefined,
    }
  }
  // JavaScript callers can pass anything.
  if (!REQUIREMENT_KINDS.has(kind)) {
    throw new ConfigError('kind', 'must be auth, anyRole, allRoles, allScopes or anyScope')
  }
  const scopes = kind === 'allScopes' || kind === 'anyScope'
  if (!Array.isArray(names) || names.length === 0) {
    throw new ConfigError(
      label,
      `needs at least one ${scopes ? 'scope' : 'role'}: without one it would answer 403 to everyone, or let everyone through`,
    )
  }
  for (const [i, name] of names.entries()) {
    if (typeof name !== 'string' || name === '') {
      throw new ConfigError(`${label}[${String(i)}]`, 'must be a non-empty string')
    }
    if (scopes && !SCOPE_TOKEN.test(name)) {
      throw new ConfigError(
        `${label}[${String(i)}]`,
        'must be one scope token: printable ASCII without spaces, double quotes or backslashes (RFC 6749 §3.3)',
      )
    }
  }
  const required: readonly string[] = Object.freeze([...(names as string[])])
  const count = required.length
  const all = kind === 'allRoles' || kind === 'allScopes'
  const code = scopes ? 'insufficient_scope' : 'insufficient_roles'
  const requiredScopes = scopes ? required : undefined
  // One loop over the precomputed names with `includes`: no closure, no allocation.
  const holds = (have: readonly string[]): boolean => {
    if (all) {
      for (let i = 0; i < count; i++) if (!have.includes(required[i] as string)) return false
      return true
    }
    for (let i = 0; i < count; i++) if (have.includes(required[i] as string)) return true
    return false
  }
  return {
    kind,
    names: required,
    check: (principal, guard) => {
      if (principal === undefined) return errorFor('token_missing', guard, undefined)
      // `?? NO_NAMES`: a hand-written authenticator (plain JavaScript) may build principals
      // without scopes; they have none, rather than a TypeError.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see above
      const have = scopes ? (principal.scopes ?? NO_NAMES) : principal.roles
      return holds(have) ? undefined : errorFor(code, guard, requiredScopes)
    },
  }
}

function errorFor(
  code: 'token_missing' | 'insufficient_roles' | 'insufficient_scope',
  guard: RequestGuard | undefined,
  requiredScopes: readonly string[] | undefined,
): AuthError {
  return new AuthError(code, {
    requiredScopes,
    challenge: guard?.challenge,
    realm: guard?.authenticator.realm,
  })
}
