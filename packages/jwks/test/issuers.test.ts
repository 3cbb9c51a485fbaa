// `issuers` with key sets: one SelfRefreshingKeySet per issuer, each with its own refresh budget.
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, type AuthEvent } from '@jwtgate/core'
import { generateTestKey, MockJwksServer, mintToken } from '@jwtgate/testing'
import type { FetchError } from '../src/index.js'
import { bearer, closeAll, expectAuthFailure, jwksAuth, until } from './helpers.js'

let a: MockJwksServer
let b: MockJwksServer
beforeAll(async () => {
  ;[a, b] = await Promise.all([
    MockJwksServer.start({ keys: ['ES256'] }),
    MockJwksServer.start({ keys: ['RS256'] }),
  ])
})
afterAll(async () => {
  await Promise.all([a.close(), b.close()])
})
afterEach(async () => {
  await closeAll()
  for (const s of [a, b]) {
    s.clearFaults()
    s.setDiscovery(null)
    s.resetCounts()
  }
})

describe('issuers with key sets', () => {
  it('one key set per issuer, created at start-up; each issuer’s tokens verify', async () => {
    const auth = jwksAuth({
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri, requiredAudience: 'api' },
        { issuer: b.issuer, openidConnectUrl: b.discoveryUrl, requiredAudience: 'api' },
      ],
    })
    expect([...auth.keySets.keys()]).toEqual([a.issuer, b.issuer])
    expect(auth.keySet).toBeUndefined()
    // Both fetches start at once, before any request.
    await until(() => a.requestCount === 1 && b.requestCount === 1)
    await expect(
      auth.authenticate(bearer(await a.sign({ sub: 'from-a', aud: 'api' }))),
    ).resolves.toMatchObject({ subject: 'from-a' })
    await expect(
      auth.authenticate(bearer(await b.sign({ sub: 'from-b', aud: 'api' }))),
    ).resolves.toMatchObject({ subject: 'from-b' })
  })

  it('a token naming A but signed by B’s key → A’s keys do not know it (key_not_found)', async () => {
    const auth = jwksAuth({
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        { issuer: b.issuer, jwksUri: b.jwksUri },
      ],
    })
    const forged = await b.sign({ sub: 'x', iss: a.issuer })
    await expectAuthFailure(auth.authenticate(bearer(forged)), 'key_not_found')
    expect(b.requestCount).toBe(1) // only B's start-up fetch: A's refresh went to A
  })

  it('an unknown issuer → issuer_mismatch, and no key set is asked', async () => {
    const auth = jwksAuth({ issuers: [{ issuer: a.issuer, jwksUri: a.jwksUri }] })
    await until(() => a.requestCount === 1)
    const evil = await MockJwksServer.start({ keys: ['ES256'] })
    try {
      const token = await evil.sign({ sub: 'x' }, { kid: randomUUID() })
      await expectAuthFailure(auth.authenticate(bearer(token)), 'issuer_mismatch')
      expect(evil.requestCount + evil.discoveryRequestCount).toBe(0)
      expect(a.requestCount).toBe(1)
      expect(auth.keySets.get(a.issuer)?.stats().rateLimited).toBe(0)
    } finally {
      await evil.close()
    }
  })

  it('a flood of random kids on issuer A leaves issuer B’s refresh budget untouched', async () => {
    const budget = { refreshRateLimitCount: 3, refreshRateLimitTimeWindowMs: 60_000 }
    const auth = jwksAuth({
      ...budget,
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        { issuer: b.issuer, jwksUri: b.jwksUri },
      ],
    })
    await until(() => a.requestCount === 1 && b.requestCount === 1)
    const flood = await Promise.all(
      Array.from({ length: 40 }, () => a.sign({ sub: 'x' }, { kid: randomUUID() })),
    )
    for (const token of flood) {
      await auth.authenticate(bearer(token)).catch(() => undefined)
    }
    const statsA = auth.keySets.get(a.issuer)?.stats()
    expect(a.requestCount).toBeLessThanOrEqual(1 + budget.refreshRateLimitCount)
    expect(statsA?.rateLimited).toBeGreaterThan(0)
    // B: a key published after start-up is still fetched at the first request naming it.
    const rotated = await b.rotate({ alg: 'RS256', kid: 'b-next' })
    const fresh = await b.sign({ sub: 'from-b' }, { kid: rotated.kid })
    await expect(auth.authenticate(bearer(fresh))).resolves.toMatchObject({ subject: 'from-b' })
    expect(auth.keySets.get(b.issuer)?.stats().rateLimited).toBe(0)
    expect(b.requestCount).toBe(2)
  })

  it('events say which issuer they concern', async () => {
    const events: AuthEvent[] = []
    jwksAuth(
      {
        requiredAudience: 'api',
        issuers: [
          { issuer: a.issuer, jwksUri: a.jwksUri },
          { issuer: b.issuer, jwksUri: b.jwksUri },
        ],
      },
      events,
    )
    await until(() => events.filter((e) => e.type === 'jwks.fetch').length === 2)
    const fetches = events.filter((e) => e.type === 'jwks.fetch')
    expect(fetches.map((e) => e.issuer).sort()).toEqual([a.issuer, b.issuer].sort())
    for (const e of fetches) expect(e.url).toBe(e.issuer === a.issuer ? a.jwksUri : b.jwksUri)
  })

  it('an entry’s discovery naming another issuer fails that issuer’s refresh (discovery_issuer)', async () => {
    b.setDiscovery({ issuer: `${b.issuer}/`, jwks_uri: b.jwksUri })
    const events: AuthEvent[] = []
    const auth = jwksAuth(
      {
        issuers: [
          { issuer: a.issuer, jwksUri: a.jwksUri },
          { issuer: b.issuer, openidConnectUrl: b.discoveryUrl, jwksQueuedThreadTimeoutMs: 200 },
        ],
      },
      events,
    )
    const err = await expectAuthFailure(
      auth.authenticate(bearer(await b.sign({ sub: 'x' }))),
      'jwks_unavailable',
    )
    expect((err.cause as FetchError).reason).toBe('discovery_issuer')
    expect((err.cause as FetchError).message).toContain('trailing slash')
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'jwks.fetch_failed',
        reason: 'discovery_issuer',
        issuer: b.issuer,
      }),
    )
    // A is unaffected.
    await expect(auth.authenticate(bearer(await a.sign({ sub: 'a' })))).resolves.toBeDefined()
  })

  it('static-key and key-set issuers side by side', async () => {
    const key = await generateTestKey('EdDSA')
    const auth = jwksAuth({
      issuers: [
        { issuer: 'https://static.example', signingKey: key.publicKeyPem },
        { issuer: a.issuer, jwksUri: a.jwksUri },
      ],
    })
    expect([...auth.keySets.keys()]).toEqual([a.issuer])
    const token = await mintToken({ key, claims: { iss: 'https://static.example', sub: 's' } })
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 's' })
    await expect(auth.authenticate(bearer(await a.sign({ sub: 'a' })))).resolves.toBeDefined()
  })

  it('close() closes every key set', async () => {
    const auth = jwksAuth({
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        { issuer: b.issuer, jwksUri: b.jwksUri },
      ],
    })
    await auth.close()
    for (const keySet of auth.keySets.values()) expect(keySet.stats().nextRefreshAt).toBeUndefined()
  })

  it.each([
    [
      'an entry with an http:// jwksUri on a public host',
      [{ issuer: 'https://x.example', jwksUri: 'http://x.example/jwks' }],
      'issuers[0].jwksUri',
    ],
    [
      'an entry mixing signingKey and openidConnectUrl',
      [{ issuer: 'https://x.example', signingKey: 'x', openidConnectUrl: 'https://x.example/d' }],
      'issuers[0].signingKey',
    ],
    [
      'an entry with jwksUri: undefined',
      [{ issuer: 'https://x.example', jwksUri: undefined }],
      'issuers[0].jwksUri',
    ],
  ])('ConfigError: %s', (_n, issuers, name) => {
    let caught: unknown
    try {
      jwksAuth({ issuers })
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).key).toBe(name)
  })
})

describe('issuers: warm starts and health (issue 18)', () => {
  const patient = { jwksRequestTimeoutMs: 10_000, jwksQueuedThreadTimeoutMs: 10_000 }

  it('exportKeys() gives each key-set issuer’s { jwks, fetchedAt }, by issuer; static-key issuers have none', async () => {
    const staticKey = await generateTestKey('ES256')
    const cold = jwksAuth({
      ...patient,
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        { issuer: b.issuer, openidConnectUrl: b.discoveryUrl },
        { issuer: 'https://static.example', signingKey: staticKey.publicKeyPem },
      ],
    })
    expect(cold.exportKeys()).toBeUndefined()
    await cold.ready()
    const saved = cold.exportKeys() as Record<
      string,
      { jwks: { keys: { kid?: unknown }[] }; fetchedAt: number }
    >
    expect(Object.keys(saved)).toEqual([a.issuer, b.issuer])
    expect(saved[a.issuer]?.jwks.keys.map((k) => k.kid)).toEqual(a.keys.map((k) => k.kid))
    expect(saved[b.issuer]?.jwks.keys.map((k) => k.kid)).toEqual(b.keys.map((k) => k.kid))
    expect(saved[a.issuer]?.fetchedAt).toBeLessThanOrEqual(Date.now())
    await cold.close()
    for (const s of [a, b]) s.resetCounts()

    // The next cold start: the stored JSON, one entry each, and not a single fetch.
    const stored = JSON.parse(JSON.stringify(saved)) as typeof saved
    const entries = [
      { issuer: a.issuer, jwksUri: a.jwksUri },
      { issuer: b.issuer, openidConnectUrl: b.discoveryUrl },
    ].map((e) => ({ ...e, initialJwks: stored[e.issuer] }))
    const warm = jwksAuth({ ...patient, issuers: entries })
    await warm.ready()
    expect(warm.health()).toMatchObject({ status: 'ok', keys: a.keys.length + b.keys.length })
    await expect(warm.authenticate(bearer(await a.sign({ sub: 'warm-a' })))).resolves.toMatchObject(
      { subject: 'warm-a' },
    )
    await expect(warm.authenticate(bearer(await b.sign({ sub: 'warm-b' })))).resolves.toMatchObject(
      { subject: 'warm-b' },
    )
    expect(a.requestCount + a.discoveryRequestCount).toBe(0)
    expect(b.requestCount + b.discoveryRequestCount).toBe(0)
  })

  it('health() names the issuer whose keys are in trouble, and then gives each issuer’s own', async () => {
    b.injectFault({ type: 'status', status: 500 })
    const auth = jwksAuth({
      ...patient,
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        { issuer: b.issuer, jwksUri: b.jwksUri },
      ],
    })
    await auth.keySets.get(a.issuer)?.ready()
    await until(() => auth.health().status === 'unavailable')
    const h = auth.health()
    expect(h).toMatchObject({
      status: 'unavailable',
      issuer: b.issuer,
      keys: a.keys.length,
      lastError: 'http_500',
    })
    expect(h.issuers?.[a.issuer]).toMatchObject({ status: 'ok', keys: a.keys.length })
    expect(h.issuers?.[b.issuer]).toMatchObject({ status: 'unavailable', keys: 0 })
    b.clearFaults()
    await auth.ready()
    const ok = auth.health()
    expect(ok).toMatchObject({ status: 'ok', keys: a.keys.length + b.keys.length })
    expect(ok.issuer).toBeUndefined()
    expect(ok.issuers).toBeUndefined()
  })
})

describe('issuers with key sets: explain() and auth events (issue 17)', () => {
  it('explain routes by iss, then shows the selected issuer’s keys on offer', async () => {
    const auth = jwksAuth({
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        { issuer: b.issuer, jwksUri: b.jwksUri },
      ],
    })
    await auth.ready()
    const ok = await auth.explain?.(bearer(await b.sign({ sub: 'from-b' })))
    expect(ok).toMatchObject({ ok: true, principal: { subject: 'from-b' } })
    expect(ok?.steps.map((s) => s.check).slice(0, 4)).toEqual([
      'extraction',
      'parse',
      'routing',
      'alg',
    ])
    expect(ok?.key?.kidsOnOffer).toEqual(b.keys.map((k) => k.kid))
    // B's key with A's iss: A's keys are the ones on offer, and A's refresh budget is spent.
    const forged = await b.sign({ sub: 'x', iss: a.issuer })
    const why = await auth.explain?.(bearer(forged))
    expect(why).toMatchObject({ ok: false, code: 'key_not_found', status: 401 })
    expect(why?.steps.find((s) => s.check === 'routing')?.detail).toContain('issuers[0]')
    expect(why?.key?.kidsOnOffer).toEqual(a.keys.map((k) => k.kid))
    expect(b.requestCount).toBe(1)
  })

  it('auth.success and auth.failure carry the iss; the attacker’s iss never reaches a key set', async () => {
    const events: AuthEvent[] = []
    const auth = jwksAuth(
      {
        issuers: [
          { issuer: a.issuer, jwksUri: a.jwksUri },
          { issuer: b.issuer, jwksUri: b.jwksUri },
        ],
      },
      events,
    )
    await auth.ready()
    await auth.authenticate(bearer(await a.sign({ sub: 'from-a' })))
    const evil = await b.sign({ sub: 'x', iss: 'https://evil.example' })
    await expectAuthFailure(auth.authenticate(bearer(evil)), 'issuer_mismatch')
    const auths = events.filter((e) => e.type.startsWith('auth.'))
    expect(auths).toEqual([
      expect.objectContaining({ type: 'auth.success', cached: false, iss: a.issuer }),
      expect.objectContaining({
        type: 'auth.failure',
        code: 'issuer_mismatch',
        iss: 'https://evil.example',
      }),
    ])
    expect(a.requestCount + b.requestCount).toBe(2) // the two start-up fetches only
  })
})
