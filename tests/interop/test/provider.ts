// A real OpenID Provider for the tests: oidc-provider (a certified implementation) on
// 127.0.0.1, issuing RFC 9068 JWT access tokens (`typ: at+jwt`) by client credentials with a
// resource indicator. Key rotation swaps the provider instance behind the same HTTP server,
// because oidc-provider's key store is fixed when the instance is built.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type JWK } from 'oidc-provider'

/** The resource (API) every provider issues tokens for: the tokens' `aud`. */
export const API = 'https://api.example/'
export const CLIENT_ID = 'orders-service'
const CLIENT_SECRET = randomBytes(32).toString('base64url')

interface SigningKey {
  readonly kid: string
  readonly jwk: JWK
}

let keySerial = 0
function newKey(name: string): SigningKey {
  const kid = `${name}-${++keySerial}`
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = privateKey.export({ format: 'jwk' }) as JWK
  return { kid, jwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } }
}

/** One identity provider: an HTTP server, the provider behind it, request counters. */
export class TestIdp {
  readonly name: string
  readonly #server: Server
  #provider!: Provider
  #published: SigningKey[]
  #signing: SigningKey
  /** Paths of every request this provider received, in order. */
  readonly requests: string[] = []
  /** TCP connections this provider accepted. */
  connections = 0

  private constructor(name: string, server: Server) {
    this.name = name
    this.#server = server
    this.#signing = newKey(name)
    this.#published = [this.#signing]
  }

  /** Starts a provider on 127.0.0.1, port 0. */
  static async start(name: string): Promise<TestIdp> {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const idp = new TestIdp(name, server)
    server.on('connection', () => idp.connections++)
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      idp.requests.push(new URL(req.url ?? '/', idp.issuer).pathname)
      void idp.#provider.callback()(req, res)
    })
    idp.#build()
    return idp
  }

  /** The issuer identifier (`iss` of its tokens, `issuer` of its discovery document). */
  get issuer(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  get discoveryUrl(): string {
    return `${this.issuer}/.well-known/openid-configuration`
  }

  /** The kid new tokens are signed with. */
  get signingKid(): string {
    return this.#signing.kid
  }

  /** Kids of the published key set. */
  get publishedKids(): string[] {
    return this.#published.map((k) => k.kid)
  }

  /** Requests to the discovery and key-set endpoints only. */
  get keyRequests(): number {
    return this.requests.filter((p) => p !== '/token').length
  }

  /**
   * Gets an access token by client credentials (RFC 6749 §4.4) for {@link API}.
   *
   * @param scope - requested scopes
   */
  async token(scope = 'orders:read'): Promise<string> {
    const res = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope }),
    })
    const body = (await res.json()) as { access_token?: string; error?: string }
    if (res.status !== 200 || typeof body.access_token !== 'string') {
      throw new Error(`${this.name}: token request failed (${res.status} ${body.error ?? ''})`)
    }
    return body.access_token
  }

  /** Publishes a new key beside the current ones and signs new tokens with it. */
  rotate(): string {
    this.#signing = newKey(this.name)
    this.#published = [this.#signing, ...this.#published]
    this.#build()
    return this.#signing.kid
  }

  /** Withdraws every key but the current signing key from the published set. */
  withdrawOldKeys(): void {
    this.#published = [this.#signing]
    this.#build()
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #build(): void {
    const signing = this.#signing
    this.#provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          scope: 'orders:read orders:write',
          id_token_signed_response_alg: 'ES256',
        },
      ],
      jwks: { keys: this.#published.map((k) => k.jwk) },
      scopes: ['orders:read', 'orders:write'],
      ttl: { ClientCredentials: 300 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => API,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'orders:read orders:write',
            audience: API,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256', kid: signing.kid } },
          }),
        },
      },
    })
  }
}
