/**
 * The error model: one table of codes, two error classes.
 *
 * `AUTH_ERRORS` is the only place a status code or an RFC 6750 error string is written.
 * {@link AuthError} is what every failed `authenticate()` rejects with; {@link ConfigError}
 * is thrown at start-up for a bad option and names the option.
 *
 * @module
 */

/** Status, OAuth 2.0 bearer `error` value and default message for every error code. */
export const AUTH_ERRORS = {
  token_missing: { status: 401, oauthError: undefined, message: 'No bearer token was presented' },
  token_malformed: { status: 401, oauthError: 'invalid_token', message: 'The token is malformed' },
  alg_not_allowed: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token algorithm is not allowed',
  },
  key_not_found: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'No key matches the token',
  },
  signature_invalid: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token signature is invalid',
  },
  token_expired: { status: 401, oauthError: 'invalid_token', message: 'The token has expired' },
  token_not_yet_valid: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token is not valid yet',
  },
  token_issued_in_future: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token was issued in the future',
  },
  claim_invalid: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'A token claim has an invalid value',
  },
  audience_mismatch: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token audience is not accepted',
  },
  issuer_mismatch: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token issuer is not accepted',
  },
  subject_missing: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token has no usable subject',
  },
  jwks_unavailable: {
    status: 503,
    oauthError: undefined,
    message: 'The signing keys are unavailable',
  },
  insufficient_roles: {
    status: 403,
    oauthError: 'insufficient_scope',
    message: 'The principal lacks the required roles',
  },
  token_revoked: {
    status: 401,
    oauthError: 'invalid_token',
    message: 'The token has been revoked',
  },
  insufficient_scope: {
    status: 403,
    oauthError: 'insufficient_scope',
    message: 'The token lacks the required scopes',
  },
} as const satisfies Record<
  string,
  { status: 401 | 403 | 503; oauthError: string | undefined; message: string }
>

/** A stable error code from DESIGN.md's table. */
export type AuthErrorCode = keyof typeof AUTH_ERRORS

/** The default realm of `WWW-Authenticate` challenges (the `realm` option changes it). */
export const REALM = 'jwtgate'

/** Options for {@link AuthError}. */
export interface AuthErrorOptions {
  /** A message to use instead of the table's default. Never put a token, key or claim value in it. */
  message?: string
  /** The underlying error, kept for logs; never sent to clients. */
  cause?: unknown
  /** Seconds until a retry may help (sent as `Retry-After` with 503 jwks_unavailable); at least 1. */
  retryAfter?: number
  /**
   * The scopes the route required, for insufficient_scope: sent as the challenge's `scope`
   * parameter (RFC 6750 §3). Scope tokens are printable ASCII without a double quote or a backslash (RFC 6749 §3.3);
   * others are left out of the challenge.
   */
  requiredScopes?: readonly string[]
  /**
   * Whether {@link AuthError.headers} carries `WWW-Authenticate` (the authenticator's
   * `challenge` option). @defaultValue true
   */
  challenge?: boolean
  /** The challenge's realm (the authenticator's `realm` option). @defaultValue 'jwtgate' */
  realm?: string
}

/** What a challenge is built from, besides the code. */
export interface ChallengeOptions {
  /** @defaultValue 'jwtgate' */
  realm?: string
  /** Scopes the route required (insufficient_scope only). */
  requiredScopes?: readonly string[] | undefined
}

// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * Builds the `WWW-Authenticate` value for a code (RFC 6750 §3), independent of the `challenge`
 * option. token_missing → `Bearer realm="jwtgate"` (no error: no token was presented); other 401s
 * → `error="invalid_token"`; 403 → `error="insufficient_scope"` (insufficient_scope adds
 * `scope="…"` with the required scopes); every error carries `error_description`, the code's
 * fixed text (never token data); 503 → none.
 *
 * @param code - the error code
 * @param options - realm and required scopes
 * @returns the header value, or `undefined` when the code carries no challenge
 * @example
 * ```ts
 * challengeFor('token_expired')
 * // 'Bearer realm="jwtgate", error="invalid_token", error_description="The token has expired"'
 * ```
 */
export function challengeFor(
  code: AuthErrorCode,
  options: ChallengeOptions = {},
): string | undefined {
  const entry = AUTH_ERRORS[code]
  if (entry.status === 503) return undefined
  const realm = options.realm ?? REALM
  if (entry.oauthError === undefined) return `Bearer realm="${realm}"`
  let value = `Bearer realm="${realm}", error="${entry.oauthError}", error_description="${entry.message}"`
  if (code === 'insufficient_scope' && options.requiredScopes !== undefined) {
    const scopes = options.requiredScopes.filter((s) => SCOPE_TOKEN.test(s))
    if (scopes.length > 0) value += `, scope="${scopes.join(' ')}"`
  }
  return value
}

/**
 * Why a request was not authenticated. Every rejection of `Authenticator.authenticate()` is an
 * `AuthError`; tell causes apart by {@link AuthError.code}, never by message.
 *
 * `status` and `statusCode` (same value) and `expose` let Express, Fastify and Koa default error
 * handlers render it; `headers` holds `WWW-Authenticate` (following the authenticator's
 * `challenge` and `realm`) and, for 503, `Retry-After`.
 *
 * @example
 * ```ts
 * try { await authenticator.authenticate(req) }
 * catch (e) { if (isAuthError(e) && e.code === 'token_expired') refresh() }
 * ```
 */
export class AuthError extends Error {
  /** The stable error code. */
  readonly code: AuthErrorCode
  /** HTTP status: 401, 403 or 503. */
  readonly status: 401 | 403 | 503
  /** Same as {@link AuthError.status}, for frameworks that read `statusCode`. */
  readonly statusCode: 401 | 403 | 503
  /** Koa: the message is safe to show to the client. */
  readonly expose = true as const
  /**
   * The `WWW-Authenticate` value for this code, with the authenticator's realm; `undefined` for
   * 503, and when the authenticator was built with `challenge: false`.
   */
  readonly wwwAuthenticate: string | undefined
  /** The scopes the route required (insufficient_scope). */
  readonly requiredScopes: readonly string[] | undefined
  /** Seconds until the next refresh may help, for 503 jwks_unavailable. */
  readonly retryAfter: number | undefined
  /**
   * Response headers for this error: `WWW-Authenticate` (unless the authenticator's `challenge` is
   * off) and, for 503, `Retry-After`. Koa's and Fastify's own error handlers copy them.
   */
  readonly headers: Readonly<Record<string, string>>

  /**
   * @param code - one of the codes in {@link AUTH_ERRORS}
   * @param options - message override, cause, retry hint, required scopes, challenge and realm
   */
  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    const entry = AUTH_ERRORS[code]
    super(
      options.message ?? entry.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.name = 'AuthError'
    this.code = code
    this.status = entry.status
    this.statusCode = entry.status
    this.requiredScopes =
      options.requiredScopes === undefined ? undefined : Object.freeze([...options.requiredScopes])
    this.wwwAuthenticate =
      options.challenge === false
        ? undefined
        : challengeFor(code, { realm: options.realm, requiredScopes: this.requiredScopes })
    const headers: Record<string, string> = {}
    if (this.wwwAuthenticate !== undefined) headers['WWW-Authenticate'] = this.wwwAuthenticate
    if (entry.status === 503) {
      this.retryAfter = Math.max(1, Math.ceil(options.retryAfter ?? 1))
      headers['Retry-After'] = String(this.retryAfter)
    } else {
      this.retryAfter = undefined
    }
    this.headers = Object.freeze(headers)
  }
}

/**
 * True for an {@link AuthError}, also one from a second copy of this package
 * (checked by `name` and a known `code`, not by `instanceof` alone).
 *
 * @param value - anything caught
 */
export function isAuthError(value: unknown): value is AuthError {
  if (value instanceof AuthError) return true
  if (typeof value !== 'object' || value === null) return false
  const v = value as { name?: unknown; code?: unknown }
  return v.name === 'AuthError' && typeof v.code === 'string' && Object.hasOwn(AUTH_ERRORS, v.code)
}

/**
 * A configuration mistake, thrown when an authenticator is built (never per request).
 * `key` names the offending option, e.g. `signingKey[1]` or `jwks_request_timeout_ms`.
 *
 * @example
 * ```ts
 * try { normalizeConfig({ clockSkewToleranceSeconds: -1 }) }
 * catch (e) { if (e instanceof ConfigError) console.error(e.key) } // "clockSkewToleranceSeconds"
 * ```
 */
export class ConfigError extends TypeError {
  /** The option path that is wrong, as the caller spelled it. */
  readonly key: string

  /**
   * @param key - the option path
   * @param message - what is wrong; it is prefixed with the quoted key
   * @param options - the underlying error, if any
   */
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(`"${key}" ${message}`, options)
    this.name = 'ConfigError'
    this.key = key
  }
}

/**
 * The same error, rendered for an authenticator's `challenge` and `realm` (message, cause, retry
 * hint and required scopes kept). Returns `error` itself when nothing changes.
 *
 * @param error - an error built with the defaults
 * @param challenge - the `challenge` option
 * @param realm - the `realm` option
 */
export function withChallenge(error: AuthError, challenge: boolean, realm: string): AuthError {
  if (challenge && realm === REALM) return error
  const again = new AuthError(error.code, {
    message: error.message,
    cause: error.cause,
    retryAfter: error.retryAfter,
    requiredScopes: error.requiredScopes,
    challenge,
    realm,
  })
  if (error.stack !== undefined) again.stack = error.stack
  return again
}
