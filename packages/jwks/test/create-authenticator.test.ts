import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest'
import { ConfigError, type AuthEvent } from '@jwtgate/core'
import { MockJwksServer, mintToken, generateTestKey } from '@jwtgate/testing'
import { createAuthenticator, fromAiven, fromOpenSearch } from '../src/index.js'
import { bearer, closeAll, expectAuthFailure, jwksAuth } from './helpers.js'

let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['RS256', 'ES256', 'EdDSA', 'PS384'] })
})
afterAll(async () => {
  await server.close()
})
afterEach(async () => {
  await closeAll()
  server.clearFaults()
  server.setJwksBody(null)
  server.setDiscovery(null)
})

describe('createAuthenticator with jwksUri', () => {
  it('verifies tokens of every published key type', async () => {
    const auth = jwksAuth({ jwksUri: server.jwksUri })
    for (const key of server.keys) {
      const token = await server.sign({ sub: `user-${key.alg}` }, { kid: key.kid })
      await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({
        subject: `user-${key.alg}`,
      })
    }
  })

  it('exposes the key set and its stats', async () => {
    const auth = jwksAuth({ jwksUri: server.jwksUri })
    await auth.authenticate(bearer(await server.sign({ sub: 'a' })))
    const stats = auth.keySet?.stats()
    expect(stats?.kids.sort()).toEqual(server.keys.map((k) => k.kid).sort())
    expect(stats?.fetches).toBe(1)
    expect(stats?.lastRefreshAt).toBeTypeOf('number')
  })

  it('HS256 is never allowed with a key set (SEC-116, SEC-117)', async () => {
    const auth = jwksAuth({ jwksUri: server.jwksUri })
    const rsaJwk = JSON.stringify(server.keys[0]?.publicJwk)
    const token = await mintToken({
      key: new TextEncoder().encode(rsaJwk),
      alg: 'HS256',
      kid: server.keys[0]?.kid ?? null,
      claims: { sub: 'x' },
    })
    await expectAuthFailure(auth.authenticate(bearer(token)), 'alg_not_allowed')
  })

  it('`algorithms` naming HS256 is a ConfigError in JWKS mode', () => {
    expect(() => createAuthenticator({ jwksUri: server.jwksUri, algorithms: ['HS256'] })).toThrow(
      ConfigError,
    )
  })

  it('a token signed by an attacker key under a published kid → signature_invalid (SEC-050)', async () => {
    const auth = jwksAuth({ jwksUri: server.jwksUri })
    const attacker = await generateTestKey('RS256')
    const victim = server.keys.find((k) => k.alg === 'RS256')
    const token = await mintToken({
      key: attacker,
      kid: victim?.kid ?? null,
      claims: { sub: 'admin' },
    })
    await expectAuthFailure(auth.authenticate(bearer(token)), 'signature_invalid')
  })

  it('a known kid with an algorithm its key cannot verify → key_not_found', async () => {
    const auth = jwksAuth({ jwksUri: server.jwksUri })
    const ec = server.keys.find((k) => k.alg === 'ES256')
    const rsaKey = server.keys.find((k) => k.alg === 'RS256')
    const token = await mintToken({ key: rsaKey!, kid: ec?.kid ?? null, claims: { sub: 'a' } })
    await expectAuthFailure(auth.authenticate(bearer(token)), 'key_not_found')
  })

  it('a signingKey beside jwksUri is ignored with a config.warning event', async () => {
    const events: AuthEvent[] = []
    const auth = jwksAuth(
      { jwksUri: server.jwksUri, signingKey: Buffer.alloc(32).toString('base64') },
      events,
    )
    expect(
      events.some((e) => e.type === 'config.warning' && e.message.includes('signingKey')),
    ).toBe(true)
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
  })

  it('accepts the OpenSearch snake_case form', async () => {
    const auth = createAuthenticator(
      fromOpenSearch({
        jwks_uri: server.jwksUri,
        jwks_request_timeout_ms: '2000',
        subject_key: 'email',
      }),
    )
    await expect(
      auth.authenticate(bearer(await server.sign({ email: 'a@x' }))),
    ).resolves.toMatchObject({ subject: 'a@x' })
    await auth.close()
  })
})

describe('createAuthenticator fallbacks', () => {
  it('uses the static key when no JWKS URL is set', async () => {
    const key = await generateTestKey('ES256')
    const auth = createAuthenticator({ signingKey: key.publicKeyPem })
    expect(auth.keySet).toBeUndefined()
    await expect(
      auth.authenticate(bearer(await mintToken({ key, claims: { sub: 's' } }))),
    ).resolves.toBeDefined()
  })

  it('an empty OpenSearch jwks_uri falls back to the static key', async () => {
    const key = await generateTestKey('ES256')
    const auth = createAuthenticator(
      fromOpenSearch({ jwks_uri: '', signing_key: key.publicKeyPem }),
    )
    expect(auth.keySet).toBeUndefined()
  })

  it('ConfigError when neither a JWKS URL nor a signing key is set', () => {
    expect(() => createAuthenticator({})).toThrow(ConfigError)
    expect(() => createAuthenticator(fromAiven({ 'jwt.enabled': false }))).toThrow(ConfigError)
  })
})

describe('OIDC discovery', () => {
  it('finds the key set through openidConnectUrl', async () => {
    server.resetCounts()
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl, requiredIssuer: server.issuer })
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
    expect(server.discoveryRequestCount).toBe(1)
    expect(server.requestCount).toBe(1)
  })

  it('a discovery document naming another issuer is refused (mix-up protection, SEC-114)', async () => {
    const auth = jwksAuth({
      openidConnectUrl: server.discoveryUrl,
      requiredIssuer: 'https://other.example',
    })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
  })

  it.each([
    ['no jwks_uri', { jwks_uri: undefined }],
    ['jwks_uri on plain http to another host', { jwks_uri: 'http://idp.example/jwks' }],
    ['jwks_uri not a URL', { jwks_uri: 'not a url' }],
  ])('%s → jwks_unavailable', async (_n, doc) => {
    server.setDiscovery(doc)
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
  })

  it('discovery answering 500 → jwks_unavailable', async () => {
    server.injectFault({ type: 'status', status: 500 }, { path: 'discovery' })
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
  })
})
