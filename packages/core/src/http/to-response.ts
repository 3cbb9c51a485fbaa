import { AUTH_ERRORS, challengeFor, type AuthError, type AuthErrorCode } from '../errors.js'

/** What an adapter sends for an {@link AuthError}. */
export interface AuthErrorResponse {
  /** 401, 403 or 503. */
  status: 401 | 403 | 503
  /** `WWW-Authenticate` (when `challenge` is on) and `Retry-After` (503). */
  headers: Record<string, string>
  /** The JSON body: the error code and a message that holds no token, key or claim value. */
  body: { error: AuthErrorCode; message: string }
}

/** Options for {@link toHttpResponse}. */
export interface ToHttpResponseOptions {
  /**
   * Send `WWW-Authenticate` on 401 and 403. @defaultValue what the error carries: the challenge of
   * the authenticator that threw it (none when it was built with `challenge: false`)
   */
  challenge?: boolean
  /** The challenge's realm. @defaultValue the realm the error carries */
  realm?: string
}

/**
 * Renders an {@link AuthError} as status, headers and JSON body, exactly as DESIGN.md fixes them.
 * Every adapter uses this; none builds a challenge or a body itself.
 *
 * @param error - the error `authenticate()` or `checkRoles()` threw
 * @param options - whether to send the challenge, and its realm
 * @returns the response to send
 * @example
 * ```ts
 * const { status, headers, body } = toHttpResponse(err, { challenge: true })
 * res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body))
 * ```
 */
export function toHttpResponse(
  error: AuthError,
  options: ToHttpResponseOptions = {},
): AuthErrorResponse {
  const headers: Record<string, string> = {}
  const status = AUTH_ERRORS[error.code].status
  if (options.challenge !== false) {
    const www =
      options.realm === undefined && (error.wwwAuthenticate !== undefined || !options.challenge)
        ? error.wwwAuthenticate
        : challengeFor(error.code, { realm: options.realm, requiredScopes: error.requiredScopes })
    if (www !== undefined) headers['WWW-Authenticate'] = www
  }
  if (status === 503) headers['Retry-After'] = String(error.retryAfter ?? 1)
  return { status, headers, body: { error: error.code, message: error.message } }
}
