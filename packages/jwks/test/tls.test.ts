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
