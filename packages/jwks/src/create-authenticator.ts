import {
  ConfigError,
  createEmitter,
  createKeyResolverAuthenticator,
  createStaticAuthenticator,
  resolveOptions,
  type Authenticator,
  type JwtAuthOptions,
} from '@jwtgate/core'
import { SelfRefreshingKeySet } from './self-refreshing-key-set.js'

/** An authenticator that also exposes its key set when it uses one. */
export interface JwksAuthenticator extends Authenticator {
  /** The self-refreshing key set in JWKS / OIDC mode; undefined with a static key. */
  readonly keySet: SelfRefreshingKeySet | undefined
}

/**
 * Builds an authenticator from one options object: the JWKS at `jwksUri` (or found through
 * `openidConnectUrl`) when either is set, the static `signingKey` otherwise. In JWKS mode a
 * `signingKey` beside it is ignored and a `config.warning` event says so.
 *
 * @param options - options in any form `normalizeConfig` accepts
 * @returns the authenticator; share it across requests and `close()` it on shutdown
 * @throws `ConfigError` for invalid options, or when none of `jwksUri`,
 *   `openidConnectUrl` and `signingKey` is set
 * @example
 * ```ts
 * import { createAuthenticator } from '@jwtgate/jwks'
 *
 * const auth = createAuthenticator({
 *   openidConnectUrl: 'https://idp.example/.well-known/openid-configuration',
 *   requiredAudience: 'api',
 * })
 * const principal = await auth.authenticate({ headers: req.headersDistinct, url: req.url })
 * ```
 */
export function createAuthenticator(
  options: JwtAuthOptions | Record<string, unknown>,
): JwksAuthenticator {
  const resolved = resolveOptions(options)
  if (resolved.jwksUri === undefined && resolved.openidConnectUrl === undefined) {
    if (resolved.signingKey === undefined) {
      throw new ConfigError('jwksUri', 'is required: set jwksUri, openidConnectUrl or signingKey')
    }
    return Object.assign(createStaticAuthenticator(resolved), { keySet: undefined })
  }
  const emit = createEmitter(resolved.onEvent)
  if (resolved.signingKey !== undefined) {
    emit({
      type: 'config.warning',
      message: 'signingKey is ignored because a JWKS endpoint is configured',
    })
  }
  if (resolved.jwksTls?.rejectUnauthorized === false) {
    emit({
      type: 'config.warning',
      message:
        'jwksTls.rejectUnauthorized is false: the key set server certificate is not verified',
    })
  } else if (resolved.jwksTls?.verifyHostnames === false) {
    emit({
      type: 'config.warning',
      message:
        'jwksTls.verifyHostnames is false: the key set server certificate may name another host',
    })
  }
  const keySet = new SelfRefreshingKeySet(resolved, { emit })
  try {
    return Object.assign(createKeyResolverAuthenticator(resolved, keySet), { keySet })
  } catch (e) {
    void keySet.close()
    throw e
  }
}
