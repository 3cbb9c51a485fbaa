import type { AuthError, AuthErrorResponse } from '@jwtgate/core'
import { HttpException } from '@nestjs/common'

/**
 * What the guard throws for an {@link AuthError}: an `HttpException` whose response is the JSON
 * body `{ error, message }` and whose status is the error's (401, 403 or 503). The guard has
 * already set `WWW-Authenticate` and `Retry-After` on the response, so Nest's default exception
 * filter answers exactly as every other jwtgate adapter. Catch it in an exception filter to
 * answer differently; the original error is `authError` (and `cause`).
 */
export class JwtGateException extends HttpException {
  /** The error the authenticator or a role or scope check raised. */
  readonly authError: AuthError
  /** The headers of the response (`WWW-Authenticate`, `Retry-After`), already set on it. */
  readonly headers: Readonly<Record<string, string>>

  /**
   * @param authError - the error to render
   * @param response - its rendering, from the guard of `@jwtgate/core`
   */
  constructor(authError: AuthError, response: AuthErrorResponse) {
    super(response.body, response.status, { cause: authError })
    this.name = 'JwtGateException'
    this.authError = authError
    this.headers = response.headers
  }
}
