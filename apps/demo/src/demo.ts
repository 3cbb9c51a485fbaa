import type { AuthEvent } from '@jwtgate/core'
import { AUDIENCE, PARTNER_AUDIENCE, startApi, type Framework, type PageIssuer } from './api.js'
import { startIdentityProvider, type IdentityProvider } from './idp.js'

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** @defaultValue 'fastify' */
  framework?: Framework
  /** API and page port; 0 for any. @defaultValue 0 */
  port?: number
  /** The demo's own identity provider's port; 0 for any. @defaultValue 0 */
  idpPort?: number
  /** The partner identity provider's port; 0 for any. @defaultValue 0 */
  partnerPort?: number
  /** The untrusted identity provider's port; 0 for any. @defaultValue 0 */
  untrustedPort?: number
  /** Receives the authenticator's events. */
  onEvent?: (event: AuthEvent) => void
}

/** One of the demo's identity providers, as the tests and the console see it. */
export interface DemoIssuer {
  /** `main`, `partner` or `untrusted`. */
  readonly name: string
  /** The issuer URL (`iss`). */
  readonly issuer: string
  readonly discoveryUrl: string
  readonly jwksUri: string
  readonly tokenUrl: string
  /** The audience it writes for the demo API. */
  readonly audience: string
  /** Whether the API trusts it. */
  readonly trusted: boolean
  /** Mints a token for the demo API as its token endpoint does. */
  readonly mint: (user: string, roles: string[], lifetimeSeconds?: number) => Promise<string>
  /**
   * Mints a token claiming another issuer's `iss` (the untrusted IdP only; the others refuse).
   */
  readonly mintClaiming: (iss: string, user: string, roles: string[]) => Promise<string>
  /** Rotates its signing key; resolves the new kid. */
  readonly rotate: () => Promise<string>
  /** JWKS requests it has served. */
  readonly jwksRequests: () => number
  /** Discovery documents it has served. */
  readonly discoveryRequests: () => number
}

/** A running demo. */
export interface Demo {
  readonly framework: Framework
  /** The page and the API. */
  readonly url: string
  /** The demo's own identity provider's issuer URL. */
  readonly idpUrl: string
  readonly discoveryUrl: string
  readonly jwksUri: string
  readonly tokenUrl: string
  readonly audience: string
  /** The three identity providers: `main` and `partner` (trusted), `untrusted`. */
  readonly issuers: {
    readonly main: DemoIssuer
    readonly partner: DemoIssuer
    readonly untrusted: DemoIssuer
  }
  /** Mints a token as the demo's own IdP's token endpoint does. */
  mint(user: string, roles: string[], lifetimeSeconds?: number): Promise<string>
  /** Rotates the demo's own IdP's signing key. */
  rotate(): Promise<string>
  /** JWKS requests the demo's own IdP has served. */
  jwksRequests(): number
  close(): Promise<void>
}

interface IssuerSpec {
  name: 'main' | 'partner' | 'untrusted'
  label: string
  audience: string
  rolesClaim: string
  trusted: boolean
  forgesIssuer: boolean
  port: number
  alg: 'ES256' | 'RS256' | 'EdDSA'
}

function describeIssuer(spec: IssuerSpec, idp: IdentityProvider): DemoIssuer {
  return {
    name: spec.name,
    issuer: idp.issuer,
    discoveryUrl: idp.discoveryUrl,
    jwksUri: idp.jwksUri,
    tokenUrl: idp.tokenUrl,
    audience: spec.audience,
    trusted: spec.trusted,
    mint: (user, roles, lifetimeSeconds = 300) =>
      idp.mint({ user, roles, audience: spec.audience, lifetimeSeconds }),
    mintClaiming: async (iss, user, roles) => {
      const res = await fetch(idp.tokenUrl, {
        method: 'POST',
        body: JSON.stringify({
          user,
          roles,
          audience: spec.audience,
          lifetimeSeconds: 300,
          claimIssuer: iss,
        }),
      })
      if (!res.ok)
        throw new Error(`${spec.name} IdP refused to claim ${iss}: ${String(res.status)}`)
      return ((await res.json()) as { access_token: string }).access_token
    },
    rotate: async () => (await idp.keys.rotate()).kid,
    jwksRequests: () => idp.keys.requestCount,
    discoveryRequests: () => idp.discoveryRequests(),
  }
}

/**
 * Starts three identity providers (the demo's own, a partner's, and an untrusted one) and the
 * protected API that trusts the first two, all on 127.0.0.1.
 *
 * @param options - framework and ports
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const framework = options.framework ?? 'fastify'
  const specs: IssuerSpec[] = [
    {
      name: 'main',
      label: 'Demo IdP',
      audience: AUDIENCE,
      rolesClaim: 'roles',
      trusted: true,
      forgesIssuer: false,
      port: options.idpPort ?? 0,
      alg: 'ES256',
    },
    {
      // A partner's IdP (B2B federation): its own keys and algorithm, its own name for the API,
      // roles in `groups`. The API takes these per issuer.
      name: 'partner',
      label: 'Partner IdP',
      audience: PARTNER_AUDIENCE,
      rolesClaim: 'groups',
      trusted: true,
      forgesIssuer: false,
      port: options.partnerPort ?? 0,
      alg: 'RS256',
    },
    {
      // Anyone can run an IdP: this one writes the API's audience and the roles it likes, and
      // publishes a perfectly good discovery document and JWKS. The API never asks it for keys.
      // It will also sign tokens claiming a trusted issuer's `iss`: those are checked against
      // that issuer's keys, and fail.
      name: 'untrusted',
      label: 'Unknown IdP',
      audience: AUDIENCE,
      rolesClaim: 'roles',
      trusted: false,
      forgesIssuer: true,
      port: options.untrustedPort ?? 0,
      alg: 'ES256',
    },
  ]
  const started: { spec: IssuerSpec; idp: IdentityProvider }[] = []
  const closeIdps = () => Promise.all(started.map(({ idp }) => idp.close()))
  try {
    for (const spec of specs) {
      const { port, alg, rolesClaim, forgesIssuer } = spec
      started.push({
        spec,
        idp: await startIdentityProvider({ port, alg, rolesClaim, forgesIssuer }),
      })
    }
    const demoIssuers = started.map(({ spec, idp }) => describeIssuer(spec, idp))
    const byName = (name: IssuerSpec['name']) => {
      const found = demoIssuers.find((i) => i.name === name)
      if (found === undefined) throw new Error(`no ${name} issuer`)
      return found
    }
    const [main, partner, untrusted] = [byName('main'), byName('partner'), byName('untrusted')]
    const pageIssuers: PageIssuer[] = started.map(({ spec, idp }) => ({
      name: spec.name,
      label: spec.label,
      issuer: idp.issuer,
      discoveryUrl: idp.discoveryUrl,
      audience: spec.audience,
      rolesClaim: spec.rolesClaim,
      trusted: spec.trusted,
    }))
    const api = await startApi({
      framework,
      port: options.port ?? 0,
      issuers: pageIssuers,
      onEvent: options.onEvent,
    })
    return {
      framework,
      url: api.url,
      idpUrl: main.issuer,
      discoveryUrl: main.discoveryUrl,
      jwksUri: main.jwksUri,
      tokenUrl: main.tokenUrl,
      audience: main.audience,
      issuers: { main, partner, untrusted },
      mint: main.mint,
      rotate: main.rotate,
      jwksRequests: main.jwksRequests,
      async close() {
        await api.close()
        await closeIdps()
      },
    }
  } catch (e) {
    await closeIdps()
    throw e
  }
}
