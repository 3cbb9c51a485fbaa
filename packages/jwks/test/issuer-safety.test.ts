// DESIGN.md, Second wave, "Issuer safety": the discovered issuer is required unless
// requiredIssuer says otherwise, and a discovery document that disagrees with requiredIssuer is
// a failed refresh whose reason and both values reach the 503's cause.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, type AuthEvent } from '@jwtgate/core'
import { MockJwksServer } from '@jwtgate/testing'
import { createAuthenticator, FetchError } from '../src/index.js'
import { bearer, closeAll, expectAuthFailure, jwksAuth, until } from './helpers.js'

let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['ES256'] })
})
afterAll(async () => {
  await server.close()
})
afterEach(async () => {
  await closeAll()
  server.clearFaults()
  server.setDiscovery(null)
  server.resetCounts()
})

describe('openidConnectUrl without requiredIssuer: the discovered issuer is required', () => {
  it('accepts a token naming the discovered issuer', async () => {
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl })
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toMatchObject(
      { subject: 'a' },
    )
    expect(auth.keySet?.trustedIssuers).toEqual(new Set([server.issuer]))
  })

  it.each([
    ['an attacker’s issuer', { iss: 'https://evil.example' }],
    ['the issuer with a trailing slash', { iss: 'TRAILING' }],
    ['no iss at all', { iss: undefined }],
  ])('refuses %s with issuer_mismatch (401)', async (_n, claims) => {
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl })
    const iss = claims.iss === 'TRAILING' ? `${server.issuer}/` : claims.iss
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a', iss }))),
      'issuer_mismatch',
    )
  })

  it('requiredIssuer, when set, decides instead (a list may hold more than the discovered one)', async () => {
    const auth = jwksAuth({
      openidConnectUrl: server.discoveryUrl,
      requiredIssuer: [server.issuer, 'https://also.example'],
    })
    expect(auth.keySet?.trustedIssuers).toBeUndefined()
    await expect(
      auth.authenticate(bearer(await server.sign({ sub: 'a', iss: 'https://also.example' }))),
    ).resolves.toBeDefined()
  })

  it('with jwksUri beside it, discovery still runs once to learn the issuer', async () => {
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl, jwksUri: server.jwksUri })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a', iss: 'https://evil.example' }))),
      'issuer_mismatch',
    )
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
    expect(server.discoveryRequestCount).toBe(1)
  })

  it('a discovery document naming no issuer is a failed refresh (discovery_issuer)', async () => {
    server.setDiscovery({ issuer: undefined, jwks_uri: server.jwksUri })
    const events: AuthEvent[] = []
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl }, events)
    const err = await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    expect(err.cause).toBeInstanceOf(FetchError)
    expect((err.cause as FetchError).reason).toBe('discovery_issuer')
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'jwks.fetch_failed', reason: 'discovery_issuer' }),
    )
  })

  it('once learnt, the issuer is pinned: a later document naming another one fails the refresh', async () => {
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl })
    const good = await server.sign({ sub: 'a' })
    await auth.authenticate(bearer(good))
    // A failed key-set fetch makes the next refresh rediscover.
    server.injectFault({ type: 'status', status: 500 }, { times: 1 })
    expect(await auth.keySet?.refresh()).toBe(false)
    server.setDiscovery({ issuer: 'https://evil.example', jwks_uri: server.jwksUri })
    expect(await auth.keySet?.refresh()).toBe(false)
    expect(auth.keySet?.stats().lastFailureReason).toBe('discovery_issuer')
    // The known keys keep verifying tokens of the pinned issuer only.
    expect(auth.keySet?.trustedIssuers).toEqual(new Set([server.issuer]))
    await expect(auth.authenticate(bearer(good))).resolves.toBeDefined()
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a', iss: 'https://evil.example' }))),
      'issuer_mismatch',
    )
  })
})

describe('a discovery issuer that differs from requiredIssuer', () => {
  it('fails the refresh; the 503 carries the reason and both values in its cause', async () => {
    const events: AuthEvent[] = []
    const auth = jwksAuth(
      { openidConnectUrl: server.discoveryUrl, requiredIssuer: `${server.issuer}/` },
      events,
    )
    const err = await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a', iss: `${server.issuer}/` }))),
      'jwks_unavailable',
    )
    expect(err.headers['Retry-After']).toMatch(/^\d+$/)
    const cause = err.cause as FetchError
    expect(cause).toBeInstanceOf(FetchError)
    expect(cause.reason).toBe('discovery_issuer')
    expect(cause.message).toContain(`"${server.issuer}"`)
    expect(cause.message).toContain(`"${server.issuer}/"`)
    expect(cause.message).toContain('trailing slash')
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'jwks.fetch_failed', reason: 'discovery_issuer' }),
    )
    expect(auth.keySet?.stats().lastFailureReason).toBe('discovery_issuer')
  })

  it('escapes control and bidi characters of the discovered issuer in the message', async () => {
    server.setDiscovery({ issuer: 'https://a\u202e.example\n', jwks_uri: server.jwksUri })
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl, requiredIssuer: server.issuer })
    const err = await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    const message = (err.cause as FetchError).message
    expect(message).toContain('https://a\\u202e.example\\n')
    // eslint-disable-next-line no-control-regex -- the point of the check
    expect(message).not.toMatch(/[\u0000-\u001f\u202e]/)
  })

  it('a success clears the cause', async () => {
    server.injectFault({ type: 'status', status: 500 }, { path: 'discovery', times: 1 })
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl, jwksQueuedThreadTimeoutMs: 50 })
    const token = await server.sign({ sub: 'a' })
    const err = await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable')
    expect((err.cause as FetchError).reason).toBe('http_500')
    await until(() => (auth.keySet?.stats().fetches ?? 0) > 0, 8000)
    await expect(auth.authenticate(bearer(token))).resolves.toBeDefined()
  })
})

describe('config.warning when neither an issuer nor an audience is required', () => {
  it('jwksUri alone warns that any token is accepted', () => {
    const events: AuthEvent[] = []
    jwksAuth({ jwksUri: server.jwksUri }, events)
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'config.warning',
        message: expect.stringContaining('neither requiredIssuer nor requiredAudience') as unknown,
      }),
    )
  })

  it('openidConnectUrl requires the discovered issuer, so only the audience warning remains', () => {
    const events: AuthEvent[] = []
    jwksAuth({ openidConnectUrl: server.discoveryUrl }, events)
    const warnings = events.filter((e) => e.type === 'config.warning').map((e) => e.message)
    expect(warnings).toEqual([expect.stringContaining('requiredAudience is not set')])
  })

  it('an audience alone does not warn', () => {
    const events: AuthEvent[] = []
    jwksAuth({ jwksUri: server.jwksUri, requiredAudience: 'api' }, events)
    expect(events.filter((e) => e.type === 'config.warning')).toEqual([])
  })
})

describe('a security option given as undefined is a ConfigError', () => {
  it.each(['jwksUri', 'openidConnectUrl', 'requiredIssuer', 'requiredAudience', 'signingKey'])(
    '%s: undefined',
    (key) => {
      const build = () =>
        createAuthenticator({ jwksUri: server.jwksUri, tokenCache: false, [key]: undefined })
      expect(build).toThrow(ConfigError)
      expect(build).toThrow(`"${key}" is undefined: an unset environment variable?`)
    },
  )
})
