// Issue 14, items 2 and 9: transport faults that must be failed refreshes (never exceptions),
// one deadline for discovery + JWKS, and Age subtracted from max-age.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AuthEvent } from '@jwtgate/core'
import { MockJwksServer } from '@jwtgate/testing'
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
  server.resetCounts()
})

const patient = { jwksRequestTimeoutMs: 10_000, jwksQueuedThreadTimeoutMs: 10_000 }

describe('a redirect whose Location does not parse (issue 14, item 2)', () => {
  it('with keys cached: a failed refresh, old keys stay, jwks.fetch_failed; no exception escapes', async () => {
    const events: AuthEvent[] = []
    const auth = jwksAuth(
      { jwksUri: server.jwksUri, followSameOriginRedirects: true, ...patient },
      events,
    )
    const token = await server.sign({ sub: 'a' })
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'a' })
    server.injectFault({ type: 'redirect', location: 'http://[::1', status: 302 })
    const unknown = await server.sign({ sub: 'b' }, { kid: 'not-yet-published' })
    await expectAuthFailure(auth.authenticate(bearer(unknown)), 'jwks_unavailable')
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'jwks.fetch_failed', reason: 'redirect' }),
    )
    // The old key still verifies.
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'a' })
    expect(auth.keySet?.stats().failures).toBe(1)
  })

  it('at a cold start: jwks_unavailable (503), then the keys once the endpoint is sane', async () => {
    const events: AuthEvent[] = []
    server.injectFault(
      { type: 'redirect', location: 'http://[::1', status: 301 },
      { path: 'discovery', times: 1 },
    )
    const auth = jwksAuth(
      { openidConnectUrl: server.discoveryUrl, followSameOriginRedirects: true, ...patient },
      events,
    )
    const token = await server.sign({ sub: 'a' })
    await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable')
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'jwks.fetch_failed', reason: 'redirect' }),
    )
    await auth.keySet?.refresh()
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'a' })
  })
})

describe('one deadline covers discovery and the JWKS request (issue 14, item 9)', () => {
  it('discovery 700 ms + JWKS 700 ms with jwksRequestTimeoutMs 1000: timeout', async () => {
    server.injectFault({ type: 'delay', ms: 700 }, { path: 'discovery' })
    server.injectFault({ type: 'delay', ms: 700 })
    const events: AuthEvent[] = []
    const started = performance.now()
    const auth = jwksAuth(
      {
        openidConnectUrl: server.discoveryUrl,
        jwksRequestTimeoutMs: 1000,
        jwksQueuedThreadTimeoutMs: 10_000,
      },
      events,
    )
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    const failed = events.find((e) => e.type === 'jwks.fetch_failed')
    expect(failed?.reason).toBe('timeout')
    // The whole retrieval ended near the one deadline, not near two of them.
    expect(performance.now() - started).toBeLessThan(1900)
  })

  it('a discovered URL in hand: the JWKS request gets the whole deadline', async () => {
    const auth = jwksAuth({ openidConnectUrl: server.discoveryUrl, ...patient })
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
    expect(server.discoveryRequestCount).toBe(1)
  })
})

describe('Age is subtracted from max-age (issue 14, item 9)', () => {
  it('max-age=300 with Age: 240 → the key set is refreshed after 60 s, not 300 s', async () => {
    const jwks = { keys: server.keys.map((k) => k.publicJwk) }
    server.injectFault(
      {
        type: 'status',
        status: 200,
        body: jwks,
        headers: { 'cache-control': 'max-age=300', age: '240' },
      },
      { times: 1 },
    )
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...patient })
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
    await until(() => auth.keySet?.stats().nextRefreshAt !== undefined)
    const stats = auth.keySet?.stats()
    const lifetime = (stats?.nextRefreshAt ?? 0) - (stats?.lastRefreshAt ?? 0)
    expect(lifetime).toBeGreaterThanOrEqual(59_000)
    expect(lifetime).toBeLessThanOrEqual(61_000)
  })
})
