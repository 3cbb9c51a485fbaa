// The demo's identity providers: OIDC-style issuers built on @jwtgate/testing. Each one's JWKS is
// served by a MockJwksServer (real HTTP, ETag, Cache-Control); this front server adds what a real
// IdP has besides: the discovery document, a token endpoint, and key management for the demo.
// The demo runs three of them: its own IdP, a partner's, and one the API does not trust.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MockJwksServer, type TestKeyAlgorithm } from '@jwtgate/testing'

/** What the token endpoint accepts. */
export interface TokenRequest {
  /** The user name (`sub`). */
  user: string
  /** Roles, as the `roles` claim. */
  roles: string[]
  /** `aud`; the demo API accepts only the one it expects from this IdP. */
  audience: string
  /** Seconds until `exp`. */
  lifetimeSeconds: number
  /**
   * The `iss` to claim instead of its own: only an IdP started with `forgesIssuer` writes it
   * (an attacker's IdP can sign any claims it likes).
   */
  claimIssuer?: string
}

/** Options of {@link startIdentityProvider}. */
export interface IdentityProviderOptions {
  /**
   * Port of the issuer (0 for any).
   * @defaultValue 0
   */
  port?: number
  /**
   * Algorithm of its keys.
   * @defaultValue 'ES256'
   */
  alg?: TestKeyAlgorithm
  /**
   * The claim its tokens carry roles in.
   * @defaultValue 'roles'
   */
  rolesClaim?: string
  /**
   * Honour `claimIssuer` in token requests (the untrusted IdP does; the others answer 400).
   * @defaultValue false
   */
  forgesIssuer?: boolean
}

/** A running identity provider. */
export interface IdentityProvider {
  /** The issuer (`iss`), also the base URL. */
  readonly issuer: string
  /** `issuer` + `/.well-known/openid-configuration`. */
  readonly discoveryUrl: string
  /** Where the key set is published (the MockJwksServer). */
  readonly jwksUri: string
  /** `issuer` + `/token`. */
  readonly tokenUrl: string
  /** The key server, for request counts and faults. */
  readonly keys: MockJwksServer
  /** Discovery documents served so far. */
  discoveryRequests(): number
  /** Mints a token, as the token endpoint does. */
  mint(request: TokenRequest): Promise<string>
  /** Stops both servers. */
  close(): Promise<void>
}

const MAX_BODY = 4096
const LIFETIMES = { min: 5, max: 86_400 }

/**
 * Starts an identity provider on 127.0.0.1.
 *
 * @param options - port, key algorithm and roles claim
 */
export async function startIdentityProvider(
  options: IdentityProviderOptions = {},
): Promise<IdentityProvider> {
  const { port = 0, alg = 'ES256', rolesClaim = 'roles', forgesIssuer = false } = options
  let discoveryRequests = 0
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      send(res, 500, { error: 'server_error', message: (e as Error).message })
    })
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  const issuer = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  // Keys rotate every few minutes in real IdPs; the demo uses max-age 30 s (the key set's
  // minimum) so that a retired key disappears from the API while you watch.
  let keys: MockJwksServer
  try {
    keys = await MockJwksServer.start({ keys: [alg], issuer, cacheControl: 'max-age=30' })
  } catch (e) {
    server.close()
    throw e
  }

  const mint = (r: TokenRequest) =>
    keys.sign(
      {
        ...(r.claimIssuer === undefined ? {} : { iss: r.claimIssuer }),
        sub: r.user,
        [rolesClaim]: r.roles,
        aud: r.audience,
      },
      {
        expiresIn: Math.min(Math.max(Math.round(r.lifetimeSeconds), LIFETIMES.min), LIFETIMES.max),
      },
    )

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('access-control-allow-origin', '*')
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '600',
      })
      res.end()
    } else if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      discoveryRequests++
      send(res, 200, {
        issuer,
        jwks_uri: keys.jwksUri,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: [alg],
      })
    } else if (req.method === 'POST' && path === '/token') {
      const body = await readJson(req)
      const request = parseTokenRequest(body)
      if (request === undefined || (request.claimIssuer !== undefined && !forgesIssuer)) {
        send(res, 400, {
          error: 'invalid_request',
          message: forgesIssuer
            ? 'user, roles, audience, lifetimeSeconds, and optionally claimIssuer'
            : 'user, roles, audience, lifetimeSeconds',
        })
        return
      }
      send(res, 200, { access_token: await mint(request), token_type: 'Bearer' })
    } else if (req.method === 'GET' && path === '/keys') {
      send(res, 200, status())
    } else if (req.method === 'POST' && path === '/rotate') {
      await keys.rotate()
      send(res, 200, status())
    } else if (req.method === 'POST' && path === '/retire') {
      const signing = keys.signingKey.kid
      for (const k of keys.keys) if (k.kid !== signing) keys.retire(k.kid)
      send(res, 200, status())
    } else {
      send(res, 404, { error: 'not_found' })
    }
  }

  const status = () => ({
    published: keys.keys.map((k) => k.kid),
    signing: keys.signingKey.kid,
    jwksRequests: keys.requestCount,
  })

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: keys.jwksUri,
    tokenUrl: `${issuer}/token`,
    keys,
    discoveryRequests: () => discoveryRequests,
    mint,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await keys.close()
    },
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return undefined
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
}

function parseTokenRequest(body: unknown): TokenRequest | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { user, roles, audience, lifetimeSeconds, claimIssuer } = body as Record<string, unknown>
  if (typeof user !== 'string' || user === '' || user.length > 64) return undefined
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) return undefined
  if (typeof audience !== 'string' || typeof lifetimeSeconds !== 'number') return undefined
  if (!Number.isFinite(lifetimeSeconds)) return undefined
  if (claimIssuer === undefined) return { user, roles, audience, lifetimeSeconds }
  if (typeof claimIssuer !== 'string' || claimIssuer === '' || claimIssuer.length > 200) {
    return undefined
  }
  return { user, roles, audience, lifetimeSeconds, claimIssuer }
}
