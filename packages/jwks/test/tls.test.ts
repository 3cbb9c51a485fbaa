import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MockJwksServer, createTlsFixtures } from '@jwtgate/testing'
import { createAuthenticator } from '../src/index.js'
import { bearer, closeAll, expectAuthFailure, jwksAuth } from './helpers.js'

const tls = createTlsFixtures()
let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['ES256'], tls: { key: tls.key, cert: tls.cert } })
})
afterAll(async () => {
  await server.close()
})
afterEach(closeAll)

const fast = { jwksRequestTimeoutMs: 1000, jwksQueuedThreadTimeoutMs: 1500 }

describe('JWKS over TLS (SEC-111)', () => {
  it('an unknown CA fails; verification is never switched off implicitly', async () => {
    expect(server.jwksUri.startsWith('https://')).toBe(true)
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...fast })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
  })

  it('another CA fails', async () => {
    const auth = jwksAuth({ jwksUri: server.jwksUri, jwksTls: { ca: tls.otherCa }, ...fast })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
  })

  it('the configured CA succeeds', async () => {
    const auth = jwksAuth({ jwksUri: server.jwksUri, jwksTls: { ca: tls.ca }, ...fast })
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
  })

  it('the OpenSearch jwks.* form configures the same', async () => {
    const auth = createAuthenticator({
      jwks_uri: server.jwksUri,
      jwks: { enable_ssl: true, pemtrustedcas_content: tls.ca },
      jwks_request_timeout_ms: 1000,
    })
    try {
      await expect(
        auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      ).resolves.toBeDefined()
    } finally {
      await auth.close()
    }
  })

  it('rejectUnauthorized: false is an explicit opt-out', async () => {
    const auth = jwksAuth({
      jwksUri: server.jwksUri,
      jwksTls: { rejectUnauthorized: false },
      ...fast,
    })
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
  })
})

describe('mutual TLS (the OpenSearch jwks.pemcert_* / pemkey_* settings)', () => {
  let mtls: MockJwksServer
  beforeAll(async () => {
    mtls = await MockJwksServer.start({
      keys: ['ES256'],
      tls: { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true },
    })
  })
  afterAll(async () => {
    await mtls.close()
  })

  it('without a client certificate the handshake fails: jwks_unavailable', async () => {
    const auth = jwksAuth({ jwksUri: mtls.jwksUri, jwksTls: { ca: tls.ca }, ...fast })
    await expectAuthFailure(
      auth.authenticate(bearer(await mtls.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    expect(mtls.requestCount).toBe(0)
  })

  it('with the client certificate and key the key set is fetched', async () => {
    const auth = jwksAuth({
      jwksUri: mtls.jwksUri,
      jwksTls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
      ...fast,
    })
    const principal = await auth.authenticate(bearer(await mtls.sign({ sub: 'mtls-user' })))
    expect(principal.subject).toBe('mtls-user')
    expect(mtls.requestCount).toBe(1)
  })

  it('the OpenSearch jwks.* form with pemcert_content / pemkey_content', async () => {
    const auth = createAuthenticator({
      jwks_uri: mtls.jwksUri,
      jwks: {
        enable_ssl: true,
        enable_ssl_client_auth: true,
        pemtrustedcas_content: tls.ca,
        pemcert_content: tls.clientCert,
        pemkey_content: tls.clientKey,
      },
      jwks_request_timeout_ms: 1000,
    })
    try {
      const principal = await auth.authenticate(bearer(await mtls.sign({ sub: 'os-user' })))
      expect(principal.subject).toBe('os-user')
    } finally {
      await auth.close()
    }
  })
})
