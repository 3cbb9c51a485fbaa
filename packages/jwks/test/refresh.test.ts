import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { AuthEvent } from '@jwtgate/core'
import { MockJwksServer, generateTestKey, mintToken } from '@jwtgate/testing'
import { bearer, closeAll, expectAuthFailure, jwksAuth, sleep, until } from './helpers.js'

let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['RS256'] })
})
afterAll(async () => {
  await server.close()
})
afterEach(async () => {
  vi.useRealTimers()
  await closeAll()
  server.clearFaults()
  server.setJwksBody(null)
  server.resetCounts()
})

/** An authenticator whose first fetch is done. */
async function ready(extra: Record<string, unknown> = {}, events?: AuthEvent[]) {
  const auth = jwksAuth({ jwksUri: server.jwksUri, ...extra }, events)
  await auth.authenticate(bearer(await server.sign({ sub: 'warm-up' })))
  server.resetCounts()
  return auth
}

/** rate_limited events delivered plus those counted in events.suppressed summaries. */
const rateLimitedSeen = (events: AuthEvent[]): number =>
  events.reduce(
    (n, e) =>
      e.type === 'jwks.rate_limited'
        ? n + 1
        : e.type === 'events.suppressed' && e.eventType === 'jwks.rate_limited'
          ? n + e.count
          : n,
    0,
  )

describe('unknown kid', () => {
  it('1000 concurrent requests with a new kid → exactly one fetch, all accepted (SEC-130)', async () => {
    const auth = await ready()
    const key = await server.rotate({ alg: 'ES256' })
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => server.sign({ sub: `u${i}` }, { kid: key.kid })),
    )
    const results = await Promise.allSettled(tokens.map((t) => auth.authenticate(bearer(t))))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1000)
    expect(server.requestCount).toBe(1)
    server.retire(key.kid)
  })

  it('a kid that stays unknown after the refresh → key_not_found', async () => {
    const auth = await ready()
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }, { kid: 'ghost' }))),
      'key_not_found',
    )
    expect(server.requestCount).toBe(1)
  })

  it('rate limit exhaustion: past the budget an unknown kid fails fast with no fetch (SEC-131)', async () => {
    const events: AuthEvent[] = []
    const auth = await ready(
      { refreshRateLimitCount: 3, refreshRateLimitTimeWindowMs: 60_000 },
      events,
    )
    for (let i = 0; i < 3; i++) {
      await expectAuthFailure(
        auth.authenticate(bearer(await server.sign({ sub: 'a' }, { kid: `ghost-${i}` }))),
        'key_not_found',
      )
    }
    expect(server.requestCount).toBe(3)
    const flood = await Promise.all(
      Array.from({ length: 200 }, (_, i) => server.sign({ sub: 'a' }, { kid: `flood-${i}` })),
    )
    const started = performance.now()
    for (const t of flood) await expectAuthFailure(auth.authenticate(bearer(t)), 'key_not_found')
    const perRequestMs = (performance.now() - started) / flood.length
    expect(perRequestMs).toBeLessThan(5)
    expect(server.requestCount).toBe(3)
    expect(auth.keySet?.stats().rateLimited).toBe(200)
    // Bounded (DESIGN.md, Events): 100 a second, the rest summarised in events.suppressed.
    await until(() => rateLimitedSeen(events) === 200)
    expect(events.filter((e) => e.type === 'jwks.rate_limited').length).toBeLessThanOrEqual(
      100 * Math.ceil((performance.now() - started) / 1000),
    )
    // Known keys keep working during the flood.
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'ok' })))).resolves.toBeDefined()
  })

  it('2,000 forged requests: at most 100 jwks.rate_limited a second plus summaries, no raw kid (issue 14 item 8)', async () => {
    const events: AuthEvent[] = []
    const auth = await ready(
      { refreshRateLimitCount: 1, refreshRateLimitTimeWindowMs: 60_000 },
      events,
    )
    const kid = `\u009b${'x'.repeat(224)}`
    const forged = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.sign({ sub: 'a' }, { kid: `${kid}${String(i)}` }),
      ),
    )
    const started = performance.now()
    for (let i = 0; i < 2000; i++) {
      const t = forged[i % forged.length] ?? ''
      await expectAuthFailure(auth.authenticate(bearer(t)), 'key_not_found')
    }
    const seconds = Math.ceil((performance.now() - started) / 1000)
    // The C1 kid fails fast (no refresh, no rate_limited event); plain long kids spend the budget.
    expect(server.requestCount).toBe(0)
    const plain = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.sign({ sub: 'a' }, { kid: `${'y'.repeat(224)}${String(i)}` }),
      ),
    )
    const flood = performance.now()
    for (let i = 0; i < 2000; i++) {
      const t = plain[i % plain.length] ?? ''
      await expectAuthFailure(auth.authenticate(bearer(t)), 'key_not_found')
    }
    const floodSeconds = Math.ceil((performance.now() - flood) / 1000)
    expect(server.requestCount).toBe(1)
    await until(() => rateLimitedSeen(events) === 1999)
    const limited = events.filter((e) => e.type === 'jwks.rate_limited')
    expect(limited.length).toBeLessThanOrEqual(100 * floodSeconds)
    for (const e of limited) {
      expect(e.kid.length).toBeLessThanOrEqual(64)
      expect(e.kid).not.toContain('\u009b')
    }
    expect(seconds).toBeGreaterThan(0)
    expect(JSON.stringify(events)).not.toContain('y'.repeat(100))
  })

  it('the budget comes back after the window', async () => {
    const auth = await ready({ refreshRateLimitCount: 1, refreshRateLimitTimeWindowMs: 200 })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }, { kid: 'g1' }))),
      'key_not_found',
    )
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }, { kid: 'g2' }))),
      'key_not_found',
    )
    expect(server.requestCount).toBe(1)
    await sleep(250)
    const key = await server.rotate({ alg: 'RS256' })
    await expect(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }, { kid: key.kid }))),
    ).resolves.toBeDefined()
    expect(server.requestCount).toBe(2)
    server.retire(key.kid)
  })

  it('refreshRateLimitCount 0: unknown kids never refresh', async () => {
    const auth = await ready({ refreshRateLimitCount: 0 })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }, { kid: 'g' }))),
      'key_not_found',
    )
    expect(server.requestCount).toBe(0)
  })

  it('queue timeout: waiters give up at jwksQueuedThreadTimeoutMs with 503; the fetch goes on (SEC-135)', async () => {
    const auth = await ready({ jwksQueuedThreadTimeoutMs: 200, jwksRequestTimeoutMs: 3000 })
    const key = await server.rotate({ alg: 'RS256' })
    server.injectFault({ type: 'delay', ms: 600 }, { times: 1 })
    const token = await server.sign({ sub: 'a' }, { kid: key.kid })
    const started = performance.now()
    await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable')
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(190)
    expect(waited).toBeLessThan(590) // the fetch takes ≥ 600 ms: the waiter did not wait for it
    await until(() => (auth.keySet?.stats().fetches ?? 0) >= 2, 5000) // ready() fetched once
    await expect(auth.authenticate(bearer(token))).resolves.toBeDefined()
    expect(server.requestCount).toBe(1)
    expect(auth.keySet?.stats().waitTimeouts).toBe(1)
    server.retire(key.kid)
  })

  it('kid longer than 256 or with control characters spends no refresh', async () => {
    const auth = await ready()
    for (const kid of ['k'.repeat(257), 'a\nb']) {
      await expectAuthFailure(
        auth.authenticate(bearer(await server.sign({ sub: 'a' }, { kid }))),
        'key_not_found',
      )
    }
    expect(server.requestCount).toBe(0)
  })

  it.each([[0], [1], [true], [null], [{}], [['x']]])(
    'non-string kid %j → key_not_found, no refresh (SEC-056)',
    async (kid) => {
      const auth = await ready()
      const token = await server.sign({ sub: 'a' }, { header: { kid } })
      await expectAuthFailure(auth.authenticate(bearer(token)), 'key_not_found')
      expect(server.requestCount).toBe(0)
    },
  )
})

describe('rotation', () => {
  it('a new key is picked up through its kid; a retired key fails after the next refresh (SEC-139, SEC-097)', async () => {
    const auth = await ready({ tokenCache: { max: 100 } })
    const oldToken = await server.sign({ sub: 'old' })
    await expect(auth.authenticate(bearer(oldToken))).resolves.toBeDefined()
    const next = await server.rotate({ alg: 'RS256', retire: true })
    const newToken = await server.sign({ sub: 'new' }, { kid: next.kid })
    await expect(auth.authenticate(bearer(newToken))).resolves.toMatchObject({ subject: 'new' })
    // The old key left the set in that refresh: its token leaves the cache too.
    await expectAuthFailure(auth.authenticate(bearer(oldToken)), 'key_not_found')
    // One refresh for the new kid; the retired kid is unknown now and spends one more.
    expect(server.requestCount).toBe(2)
  })

  it('keys are refreshed when the cache lifetime ends, with a conditional request (304 reuse)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const auth = jwksAuth({ jwksUri: server.jwksUri, jwksRequestTimeoutMs: 60_000 })
    // First fetch (real I/O) — wait for it without advancing fake time.
    const first = auth.keySet!.refresh()
    expect(await first).toBe(true)
    expect(server.requestCount).toBe(1)
    // The mock answers max-age=300: nothing happens before that.
    await vi.advanceTimersByTimeAsync(299_000)
    expect(server.requestCount).toBe(1)
    await vi.advanceTimersByTimeAsync(2_000)
    vi.useRealTimers()
    const { until } = await import('./helpers.js')
    await until(() => (auth.keySet?.stats().fetches ?? 0) >= 2)
    expect(server.requestCount).toBe(2)
    expect(server.requests.at(-1)?.headers['if-none-match']).toBeDefined()
    expect(auth.keySet?.stats().notModified).toBe(1)
  })

  it('a Cache-Control max-age of 0 does not turn every request into a fetch (SEC-138)', async () => {
    const zero = await MockJwksServer.start({
      keys: ['ES256'],
      cacheControl: 'max-age=0, no-cache',
    })
    try {
      const auth = jwksAuth({ jwksUri: zero.jwksUri })
      for (let i = 0; i < 50; i++)
        await auth.authenticate(bearer(await zero.sign({ sub: `u${i}` })))
      expect(zero.requestCount).toBe(1)
    } finally {
      await zero.close()
    }
  })
})

describe('kid-less tokens (SEC-126)', () => {
  it('one compatible key → used; never a refresh', async () => {
    const auth = await ready()
    const key = server.keys[0]!
    await expect(
      auth.authenticate(bearer(await mintToken({ key, kid: null, claims: { sub: 'a' } }))),
    ).resolves.toBeDefined()
    expect(server.requestCount).toBe(0)
  })

  it('two compatible keys → key_not_found; RSA + EC with an ES256 token → the EC key', async () => {
    const a = await generateTestKey('ES256')
    const b = await generateTestKey('ES256')
    const r = await generateTestKey('RS256')
    const two = await MockJwksServer.start({ keys: [a, b, r] })
    try {
      const auth = jwksAuth({ jwksUri: two.jwksUri })
      await expectAuthFailure(
        auth.authenticate(bearer(await mintToken({ key: a, kid: null, claims: { sub: 'x' } }))),
        'key_not_found',
      )
      await expect(
        auth.authenticate(bearer(await mintToken({ key: r, kid: null, claims: { sub: 'x' } }))),
      ).resolves.toBeDefined()
    } finally {
      await two.close()
    }
  })
})

describe('duplicate kids (SEC-125)', () => {
  it('every key sharing the kid and compatible with alg is tried', async () => {
    const a = await generateTestKey('ES256', { kid: 'dup' })
    const b = await generateTestKey('ES256', { kid: 'dup' })
    const r = await generateTestKey('RS256', { kid: 'dup' })
    const dup = await MockJwksServer.start({ keys: [a, b, r] })
    try {
      const auth = jwksAuth({ jwksUri: dup.jwksUri })
      await expect(
        auth.authenticate(bearer(await mintToken({ key: b, claims: { sub: 'b' } }))),
      ).resolves.toMatchObject({ subject: 'b' })
      await expect(
        auth.authenticate(bearer(await mintToken({ key: r, claims: { sub: 'r' } }))),
      ).resolves.toMatchObject({ subject: 'r' })
    } finally {
      await dup.close()
    }
  })
})

describe('close()', () => {
  it('stops timers and aborts a fetch in flight; later requests fail fast (SEC-141)', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    server.injectFault({ type: 'hang' })
    const auth = jwksAuth({ jwksUri: server.jwksUri, jwksRequestTimeoutMs: 10_000 })
    const pending = auth.authenticate(bearer(await server.sign({ sub: 'a' })))
    await sleep(50)
    await auth.close()
    await expectAuthFailure(pending, 'jwks_unavailable')
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    await sleep(20)
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    expect(after).toBeLessThanOrEqual(before)
  })
})
