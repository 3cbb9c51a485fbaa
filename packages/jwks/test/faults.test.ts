import { createServer } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AuthEvent } from '@jwtgate/core'
import { MockJwksServer } from '@jwtgate/testing'
import { bearer, closeAll, expectAuthFailure, jwksAuth, sleep, until } from './helpers.js'

let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['RS256'] })
})
afterAll(async () => {
  await server.close()
})
afterEach(async () => {
  await closeAll()
  server.clearFaults()
  server.setJwksBody(null)
  server.resetCounts()
})

/** Short enough for the timeout cases to be quick, long enough for a loaded CI machine's good fetches. */
const fast = { jwksRequestTimeoutMs: 1000, jwksQueuedThreadTimeoutMs: 3000 }
/**
 * For faults that must fail for their own reason, not a timeout: the junk-keys fault generates an
 * RSA key on first use and the gzip bomb compresses on the fly, both slow on a loaded CI machine.
 */
const patient = { jwksRequestTimeoutMs: 15_000, jwksQueuedThreadTimeoutMs: 15_000 }

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as { port: number }
  await new Promise((r) => s.close(r))
  return port
}

describe('faults with no key cached yet → jwks_unavailable (503, Retry-After)', () => {
  const faults = [
    ['HTTP 500', { type: 'status', status: 500 }, 'http_500'],
    ['HTTP 404', { type: 'status', status: 404 }, 'http_404'],
    ['HTTP 204', { type: 'status', status: 204 }, 'http_204'],
    ['invalid JSON', { type: 'invalid-json' }, 'invalid_jwks'],
    ['HTML error page', { type: 'html' }, 'invalid_jwks'],
    ['delay past the timeout', { type: 'delay', ms: 3000 }, 'timeout'],
    ['a server that never answers', { type: 'hang' }, 'timeout'],
    ['slow-loris body', { type: 'trickle', intervalMs: 50 }, 'timeout'],
    ['connection reset mid-body', { type: 'reset', afterBytes: 20 }, 'reset'],
    ['connection reset before the body', { type: 'reset' }, 'reset'],
    [
      'redirect to another host',
      { type: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' },
      'redirect',
    ],
    [
      'oversized, declared in Content-Length',
      { type: 'oversized', bytes: 2_000_000, mode: 'content-length' },
      'too_large',
    ],
    ['oversized, chunked', { type: 'oversized', bytes: 10_000_000, mode: 'chunked' }, 'too_large'],
    ['gzip bomb', { type: 'gzip', bytes: 50_000_000 }, 'too_large'],
  ] as const
  it.each(faults)('%s', async (_name, fault, reason) => {
    server.injectFault(fault)
    const events: AuthEvent[] = []
    // Only the timeout cases need the short deadline; the others must fail for their own reason
    // even on a loaded machine.
    const deadlines = reason === 'timeout' ? fast : patient
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...deadlines }, events)
    const err = await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    expect(err.headers['Retry-After']).toMatch(/^\d+$/)
    expect(Number(err.retryAfter)).toBeGreaterThanOrEqual(1)
    const failed = events.find((e) => e.type === 'jwks.fetch_failed')
    expect(String(failed?.reason)).toContain(reason)
  })

  it('a lying Content-Length (100, then 10 MB) fails and does not read on', async () => {
    server.injectFault({ type: 'oversized', bytes: 10_000_000, mode: 'lying-length' })
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...fast })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
  })

  it('a chunked oversized body is aborted before it is read whole (SEC-106)', async () => {
    server.injectFault({ type: 'oversized', bytes: 20_000_000, mode: 'chunked' })
    const auth = jwksAuth({
      jwksUri: server.jwksUri,
      maxJwksResponseSizeBytes: 100_000,
      jwksRequestTimeoutMs: 5000,
    })
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    await sleep(100)
    expect(server.lastBytesWritten).toBeLessThan(10_000_000)
  })

  it('a slow-loris body is cut at the whole-request deadline, not per chunk (SEC-105)', async () => {
    server.injectFault({ type: 'trickle', intervalMs: 20 })
    const auth = jwksAuth({
      jwksUri: server.jwksUri,
      jwksRequestTimeoutMs: 400,
      jwksQueuedThreadTimeoutMs: 3000,
    })
    const started = Date.now()
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('endpoint down at start-up: no throw, 503, then tokens accepted once it is up (SEC-102)', async () => {
    const port = await freePort()
    const auth = jwksAuth({ jwksUri: `http://127.0.0.1:${port}/jwks`, ...fast })
    const up = await MockJwksServer.start({ keys: [server.keys[0]!] })
    try {
      const token = await up.sign({ sub: 'a' })
      await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable')
      // The endpoint is still down: the background retry keeps failing, requests keep getting 503.
      await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable')
    } finally {
      await up.close()
    }
  })

  it('recovers once the endpoint answers again (backoff retry, SEC-137)', async () => {
    server.injectFault({ type: 'status', status: 503 }, { times: 1 })
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...fast })
    const token = await server.sign({ sub: 'a' })
    await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable')
    await until(() => (auth.keySet?.stats().fetches ?? 0) > 0, 4000)
    await expect(auth.authenticate(bearer(token))).resolves.toBeDefined()
    expect(server.requestCount).toBe(2)
  })

  it('requests during the backoff do not each fetch', async () => {
    server.injectFault({ type: 'status', status: 500 })
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...fast })
    const token = await server.sign({ sub: 'a' })
    for (let i = 0; i < 20; i++)
      await expectAuthFailure(auth.authenticate(bearer(token)), 'jwks_unavailable')
    expect(server.requestCount).toBeLessThanOrEqual(2)
  })

  it('429 with Retry-After delays the next attempt (SEC-108)', async () => {
    server.injectFault({ type: 'status', status: 429, headers: { 'retry-after': '120' } })
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...fast })
    const err = await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    expect(err.retryAfter).toBeGreaterThan(100)
  })

  it('an empty set or a set of only unusable keys is a failed refresh (SEC-128, SEC-129)', async () => {
    for (const body of [
      { keys: [] },
      {
        keys: [
          { kty: 'oct', k: 'AAAA' },
          { kty: 'RSA', use: 'enc', n: 'AQAB', e: 'AQAB' },
        ],
      },
    ]) {
      server.setJwksBody(body)
      const auth = jwksAuth({ jwksUri: server.jwksUri, ...fast })
      await expectAuthFailure(
        auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
        'jwks_unavailable',
      )
      await auth.close()
    }
  })

  it('a set with more keys than maxJwksKeys is rejected', async () => {
    server.injectFault({ type: 'junk-keys', count: 20 })
    const events: AuthEvent[] = []
    const auth = jwksAuth({ jwksUri: server.jwksUri, maxJwksKeys: 10, ...patient }, events)
    await expectAuthFailure(
      auth.authenticate(bearer(await server.sign({ sub: 'a' }))),
      'jwks_unavailable',
    )
    const failed = events.find((e) => e.type === 'jwks.fetch_failed')
    expect(failed && 'reason' in failed ? failed.reason : '').toMatch(
      /more than maxJwksKeys \(10\)/,
    )
  })
})

describe('faults with keys cached (stale-while-error, SEC-133, SEC-136)', () => {
  it.each([
    ['HTTP 500', { type: 'status', status: 500 }],
    ['timeout', { type: 'delay', ms: 3000 }],
    ['invalid JSON', { type: 'invalid-json' }],
    ['connection reset', { type: 'reset' }],
  ] as const)('%s: known keys keep verifying; a new kid → jwks_unavailable', async (_n, fault) => {
    const events: AuthEvent[] = []
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...fast }, events)
    const token = await server.sign({ sub: 'a' })
    await expect(auth.authenticate(bearer(token))).resolves.toBeDefined()
    server.injectFault(fault)
    const fresh = await server.sign({ sub: 'b' }, { kid: 'not-yet-published' })
    await expectAuthFailure(auth.authenticate(bearer(fresh)), 'jwks_unavailable')
    await expect(auth.authenticate(bearer(token))).resolves.toBeDefined()
    expect(events.some((e) => e.type === 'jwks.stale')).toBe(true)
    expect(auth.keySet?.stats().failures).toBe(1)
  })

  it('junk keys beside a valid one: the valid key works, the junk is reported', async () => {
    server.injectFault({ type: 'junk-keys', count: 5 })
    const events: AuthEvent[] = []
    const auth = jwksAuth({ jwksUri: server.jwksUri, ...patient }, events)
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
    expect(auth.keySet?.stats().keys).toBe(6)
  })
})
