import {
  ConfigError,
  createEmitter,
  createIssuersAuthenticator,
  createKeyResolverAuthenticator,
  createStaticAuthenticator,
  createStaticIssuerRoute,
  resolveIssuers,
  resolveOptions,
  type Authenticator,
  type IssuerRoute,
  type AuthenticatorHealth,
  type JwtAuthOptions,
  type ResolvedOptions,
} from '@jwtgate/core'
import { SelfRefreshingKeySet, type ExportedKeySet } from './self-refreshing-key-set.js'

/** An authenticator that also exposes its key set when it uses one. */
export interface JwksAuthenticator extends Authenticator {
  /** The self-refreshing key set in JWKS / OIDC mode; undefined with a static key or `issuers`. */
  readonly keySet: SelfRefreshingKeySet | undefined
  /**
   * With `issuers`: the key set of each issuer fetching its keys, by issuer (static-key issuers
   * have none). Empty otherwise.
   */
  readonly keySets: ReadonlyMap<string, SelfRefreshingKeySet>

  /**
   * Resolves once keys are usable: at once for a static key; for a key set after the first
   * successful fetch or a usable `initialJwks`. Rejects with `AuthError` jwks_unavailable, whose
   * `cause` is the fetch error (its `reason` says why), when that fetch fails; a later call
   * waits for the next attempt.
   */
  ready(): Promise<void>
  /** The state of the keys, synchronous and cheap, for readiness and liveness probes. */
  health(): AuthenticatorHealth
  /**
   * The last good key set, `{ jwks: { keys }, fetchedAt }`, to save (an environment variable, a
   * file, a cache) and pass as `initialJwks` at the next cold start; undefined with a static key,
   * or before any key was loaded.
   *
   * With `issuers`: one such set per issuer that fetches its keys and has loaded them, by issuer
   * (`{ [issuer]: { jwks, fetchedAt } }`), so that each entry takes its own back:
   * `issuers.map((e) => ({ ...e, initialJwks: saved?.[e.issuer] }))`; undefined when no issuer has
   * keys to export.
   */
  exportKeys(): ExportedKeySet | ExportedIssuerKeySets | undefined
}

/** What `exportKeys()` returns with `issuers`: each key-set issuer's export, by issuer. */
export type ExportedIssuerKeySets = Readonly<Record<string, ExportedKeySet>>

/** Every key set's export, by issuer; undefined when none has keys. */
function exportByIssuer(
  keySets: ReadonlyMap<string, SelfRefreshingKeySet>,
): ExportedIssuerKeySets | undefined {
  const out: Record<string, ExportedKeySet> = {}
  let any = false
  for (const [issuer, keySet] of keySets) {
    const saved = keySet.exportKeys()
    if (saved === undefined) continue
    out[issuer] = saved
    any = true
  }
  return any ? Object.freeze(out) : undefined
}

const NO_KEY_SETS: ReadonlyMap<string, SelfRefreshingKeySet> = new Map()

/**
 * `issuers`: one key source per issuer, all created now (each key set starts its first fetch at
 * once and has its own refresh budget); events carry the `issuer` they concern.
 */
function createIssuers(resolved: ResolvedOptions): JwksAuthenticator {
  const keySets = new Map<string, SelfRefreshingKeySet>()
  const routes: IssuerRoute[] = []
  try {
    for (const issuer of resolveIssuers(resolved)) {
      const { options } = issuer
      if (options.jwksUri === undefined && options.openidConnectUrl === undefined) {
        routes.push(createStaticIssuerRoute(issuer))
        continue
      }
      const keySet = new SelfRefreshingKeySet(options)
      keySets.set(issuer.issuer, keySet)
      routes.push({ issuer, resolver: keySet })
    }
    return Object.assign(createIssuersAuthenticator(resolved, routes), {
      keySet: undefined,
      keySets,
      exportKeys: () => exportByIssuer(keySets),
    })
  } catch (e) {
    for (const keySet of keySets.values()) void keySet.close()
    throw e
  }
}

/**
 * Builds an authenticator from one options object: the JWKS at `jwksUri` (or found through
 * `openidConnectUrl`) when either is set, the static `signingKey` otherwise. In JWKS mode a
 * `signingKey` beside it is ignored and a `config.warning` event says so.
 *
 * @param options - camelCase options (a resolved config too; `fromOpenSearch` / `fromAiven` from
 *   `@jwtgate/core` read the other forms)
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
export function createAuthenticator(options: JwtAuthOptions): JwksAuthenticator {
  const resolved = resolveOptions(options)
  if (resolved.issuers !== undefined) return createIssuers(resolved)
  if (resolved.jwksUri === undefined && resolved.openidConnectUrl === undefined) {
    if (resolved.signingKey === undefined) {
      throw new ConfigError('jwksUri', 'is required: set jwksUri, openidConnectUrl or signingKey')
    }
    return Object.assign(createStaticAuthenticator(resolved), {
      keySet: undefined,
      keySets: NO_KEY_SETS,
      exportKeys: () => undefined,
    })
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
    return Object.assign(createKeyResolverAuthenticator(resolved, keySet), {
      keySet,
      keySets: NO_KEY_SETS,
      exportKeys: () => keySet.exportKeys(),
    })
  } catch (e) {
    void keySet.close()
    throw e
  }
}
