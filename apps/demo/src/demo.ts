import type { AuthEvent } from '@jwtgate/core'
import { AUDIENCE, startApi, type Framework } from './api.js'
import { startIdentityProvider } from './idp.js'

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** @defaultValue 'fastify' */
  framework?: Framework
  /** API and page port; 0 for any. @defaultValue 0 */
  port?: number
  /** Identity provider port; 0 for any. @defaultValue 0 */
  idpPort?: number
  /** Receives the authenticator's events. */
  onEvent?: (event: AuthEvent) => void
}

/** A running demo. */
export interface Demo {
  readonly framework: Framework
  /** The page and the API. */
  readonly url: string
  /** The identity provider's issuer URL. */
  readonly idpUrl: string
  readonly discoveryUrl: string
  readonly jwksUri: string
  readonly tokenUrl: string
  readonly audience: string
  /** Mints a token as the IdP's token endpoint does. */
  mint(user: string, roles: string[], lifetimeSeconds?: number): Promise<string>
  /** Rotates the IdP's signing key. */
  rotate(): Promise<string>
  /** JWKS requests the IdP has served. */
  jwksRequests(): number
  close(): Promise<void>
}

/**
 * Starts the identity provider and the protected API, both on 127.0.0.1.
 *
 * @param options - framework and ports
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const framework = options.framework ?? 'fastify'
  const idp = await startIdentityProvider(options.idpPort ?? 0)
  try {
    const api = await startApi({
      framework,
      port: options.port ?? 0,
      openidConnectUrl: idp.discoveryUrl,
      issuer: idp.issuer,
      idpOrigin: idp.issuer,
      onEvent: options.onEvent,
    })
    return {
      framework,
      url: api.url,
      idpUrl: idp.issuer,
      discoveryUrl: idp.discoveryUrl,
      jwksUri: idp.jwksUri,
      tokenUrl: idp.tokenUrl,
      audience: AUDIENCE,
      mint: (user, roles, lifetimeSeconds = 300) =>
        idp.mint({ user, roles, audience: AUDIENCE, lifetimeSeconds }),
      rotate: async () => (await idp.keys.rotate()).kid,
      jwksRequests: () => idp.keys.requestCount,
      async close() {
        await api.close()
        await idp.close()
      },
    }
  } catch (e) {
    await idp.close()
    throw e
  }
}
