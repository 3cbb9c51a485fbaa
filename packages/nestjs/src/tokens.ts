// Injection tokens and metadata keys shared by the module, the guard and the decorators.
import type {
  AuthError,
  Authenticator,
  GuardOptions,
  JwtAuthOptions,
  RequestGuard,
} from '@jwtgate/core'
import type { ExecutionContext } from '@nestjs/common'

/** Injection token of the options given to `forRoot` or returned by `forRootAsync`'s factory. */
export const JWTGATE_OPTIONS = Symbol('jwtgate.options')
/** Injection token of the {@link JwtGateState} the guard uses. */
export const JWTGATE_STATE = Symbol('jwtgate.state')
/** Metadata key set by `@Public()`. */
export const IS_PUBLIC = 'jwtgate:public'
/** Metadata key set by `@Roles()`. */
export const ROLES = 'jwtgate:roles'
/** Metadata key set by `@AllRoles()`. */
export const ALL_ROLES = 'jwtgate:all-roles'
/** Metadata key set by `@Scopes()`. */
export const SCOPES = 'jwtgate:scopes'
/** Metadata key set by `@AnyScope()`. */
export const ANY_SCOPE = 'jwtgate:any-scope'
/** Metadata key set by `@RequireAuth()`. */
export const REQUIRE_AUTH = 'jwtgate:require-auth'

/** Options of the guard, beside the authentication options. */
export interface NestAdapterOptions extends GuardOptions {
  /** An authenticator to share instead of building one from the options. */
  authenticator?: Authenticator
  /**
   * Returns (or throws) the exception to raise for an {@link AuthError} instead of the
   * `JwtGateException` (an `HttpException` of yours, say). Returning nothing raises the default.
   * An exception filter that catches `JwtGateException` is the other way.
   */
  onError?: (error: AuthError, context: ExecutionContext) => Error | undefined
}

/**
 * What `JwtGateModule.forRoot(options)` takes and `forRootAsync`'s factory returns: the
 * authentication options (any form `normalizeConfig` accepts) and the adapter options in one
 * object, or `{ authenticator, ...adapterOptions }`.
 */
export type JwtGateOptions = NestAdapterOptions & JwtAuthOptions

/** The request-independent state of the guard, built once when the module starts. */
export interface JwtGateState {
  /** The guard of `@jwtgate/core`: skip, optional, rendering. */
  readonly guard: RequestGuard
  /** The authenticator; closed with the application when the module built it. */
  readonly authenticator: Authenticator
  /** Whether the module built the authenticator (and so closes it). */
  readonly owned: boolean
  /** See {@link NestAdapterOptions.onError}. */
  readonly onError: NestAdapterOptions['onError']
}
