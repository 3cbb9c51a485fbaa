import { createPrivateKey } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createServer as createHttpsServer, type Server } from 'node:https'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, type AuthEvent } from '@jwtgate/core'
import { MockJwksServer, createTlsFixtures } from '@jwtgate/testing'
import { createAuthenticator, fromOpenSearch } from '../src/index.js'
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
    const auth = createAuthenticator(
      fromOpenSearch({
        jwks_uri: server.jwksUri,
        jwks: { enable_ssl: true, pemtrustedcas_content: tls.ca },
        jwks_request_timeout_ms: 1000,
      }),
    )
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
    const auth = createAuthenticator(
      fromOpenSearch({
        jwks_uri: mtls.jwksUri,
        jwks: {
          enable_ssl: true,
          enable_ssl_client_auth: true,
          pemtrustedcas_content: tls.ca,
          pemcert_content: tls.clientCert,
          pemkey_content: tls.clientKey,
        },
        jwks_request_timeout_ms: 1000,
      }),
    )
    try {
      const principal = await auth.authenticate(bearer(await mtls.sign({ sub: 'os-user' })))
      expect(principal.subject).toBe('os-user')
    } finally {
      await auth.close()
    }
  })
})

describe('unusable jwksTls material is a ConfigError at start-up, naming the option (issue 14, item 9)', () => {
  const build = (options: Record<string, unknown>): void => {
    createAuthenticator({ jwksUri: server.jwksUri, ...options })
      .close()
      .catch(() => undefined)
  }
  const configError = (options: Record<string, unknown>, key: string): ConfigError => {
    let caught: unknown
    try {
      build(options)
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).key).toBe(key)
    return caught as ConfigError
  }
  const encryptedClientKey = createPrivateKey(tls.clientKey)
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'right' })
    .toString()

  it('a CA that is not a PEM certificate (also as an entry of a list)', () => {
    configError({ jwksTls: { ca: 'not a certificate' } }, 'jwksTls.ca')
    configError({ jwksTls: { ca: [tls.ca, 'garbage'] } }, 'jwksTls.ca[1]')
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
    expect(configError({ jwksTls: { ca: broken } }, 'jwksTls.ca').message).toMatch(/does not parse/)
  })

  it('a PEM with literal \\n sequences says so', () => {
    const err = configError({ jwksTls: { ca: tls.ca.replace(/\n/g, '\\n') } }, 'jwksTls.ca')
    expect(err.message).toContain('contains literal \\n sequences')
  })

  it('a client cert that is not PEM, or a cert without its key', () => {
    configError({ jwksTls: { cert: 'garbage', key: tls.clientKey } }, 'jwksTls.cert')
    configError({ jwksTls: { cert: tls.clientCert } }, 'jwksTls.key')
    configError({ jwksTls: { key: tls.clientKey } }, 'jwksTls.cert')
  })

  it('a key that is not a private key, or that does not match the certificate', () => {
    configError({ jwksTls: { cert: tls.clientCert, key: 'garbage' } }, 'jwksTls.key')
    const err = configError({ jwksTls: { cert: tls.clientCert, key: tls.key } }, 'jwksTls.key')
    expect(err.message).toMatch(/does not match the certificate in jwksTls\.cert/)
  })

  it('an encrypted key without a passphrase, or with the wrong one', () => {
    configError({ jwksTls: { cert: tls.clientCert, key: encryptedClientKey } }, 'jwksTls.key')
    configError(
      { jwksTls: { cert: tls.clientCert, key: encryptedClientKey, passphrase: 'wrong' } },
      'jwksTls.passphrase',
    )
    expect(() =>
      build({ jwksTls: { cert: tls.clientCert, key: encryptedClientKey, passphrase: 'right' } }),
    ).not.toThrow()
  })

  it('the OpenSearch jwks.* form names its own keys', () => {
    configError(
      { jwks: { enable_ssl: true, pemtrustedcas_content: 'garbage' } },
      'jwks.pemtrustedcas_content',
    )
    configError(
      {
        jwks: {
          enable_ssl: true,
          enable_ssl_client_auth: true,
          pemcert_content: tls.clientCert,
          pemkey_content: tls.key,
        },
      },
      'jwks.pemkey_content',
    )
    configError(
      {
        jwks: {
          enable_ssl: true,
          enable_ssl_client_auth: true,
          pemcert_content: tls.clientCert,
          pemkey_content: encryptedClientKey,
          pemkey_password: 'wrong',
        },
      },
      'jwks.pemkey_password',
    )
  })
})

describe('verifyHostnames / jwks.verify_hostnames (issue 14, item 9): honoured', () => {
  // A server on 127.0.0.2 with a certificate for 127.0.0.1 and localhost only: the chain is
  // valid (the test CA), the host name is not.
  let other: Server
  let url: string
  beforeAll(async () => {
    other = createHttpsServer({ key: tls.key, cert: tls.cert }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ keys: server.keys.map((k) => k.publicJwk) }))
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.2', resolve))
    url = `https://127.0.0.2:${(other.address() as AddressInfo).port}/jwks.json`
  })
  afterAll(async () => {
    await new Promise((resolve) => other.close(resolve))
  })

  it('by default the host name is checked: the mismatch fails the fetch', async () => {
    const events: AuthEvent[] = []
    const auth = jwksAuth({ jwksUri: url, jwksTls: { ca: tls.ca }, ...fast }, events)
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'jwks.fetch_failed',
        reason: 'ERR_TLS_CERT_ALTNAME_INVALID',
      }),
    )
  })

  it('verifyHostnames: false skips the host-name check, with a config.warning', async () => {
    const events: AuthEvent[] = []
    const auth = jwksAuth(
      { jwksUri: url, jwksTls: { ca: tls.ca, verifyHostnames: false }, ...fast },
      events,
    )
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toMatchObject(
      { subject: 'a' },
    )
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'config.warning',
        message: expect.stringMatching(/verifyHostnames is false/),
      }),
    )
  })

  it('… but still verifies the chain: an untrusted CA fails', async () => {
    const auth = jwksAuth({ jwksUri: url, jwksTls: { verifyHostnames: false }, ...fast })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    const other = jwksAuth({
      jwksUri: url,
      jwksTls: { ca: tls.otherCa, verifyHostnames: false },
      ...fast,
    })
    await expectAuthFailure(
      other.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
  })

  it('the OpenSearch form jwks.verify_hostnames: false does the same', async () => {
    const auth = jwksAuth({
      jwksUri: url,
      jwks: { enable_ssl: true, verify_hostnames: false, pemtrustedcas_content: tls.ca },
      ...fast,
    })
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toMatchObject(
      { subject: 'a' },
    )
    // @ts-expect-error -- verifyHostnames is a boolean; a string fails at start-up too
    expect(() => createAuthenticator({ jwksUri: url, jwksTls: { verifyHostnames: 'no' } })).toThrow(
      ConfigError,
    )
  })
})
