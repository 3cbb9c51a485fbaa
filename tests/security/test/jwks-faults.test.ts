// SECURITY-CATALOGUE.md sections 9–12 end to end: createAuthenticator against a real
// MockJwksServer on 127.0.0.1 with injected faults. Every case asserts its documented outcome and
// that the process stays healthy: no unhandled rejection, and after close() no timer or socket
// left behind (process.getActiveResourcesInfo back to the baseline taken before the case).
import { createServer, type Server } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { AuthEvent } from '@jwtgate/core'
import { createAuthenticator, type JwksAuthenticator } from '@jwtgate/jwks'
import {
  createTlsFixtures,
  generateTestKey,
  MockJwksServer,
  type MockJwksFault,
  type TestKey,
} from '@jwtgate/testing'
import {
  accept,
  baseClaims,
  bearer,
  clock,
  expectCode,
  getFixtures,
  sign,
  signerFor,
  sleep,
  until,
  type Fixtures,
} from './helpers.js'

let F: Fixtures
let server: MockJwksServer
let K1: TestKey
let unhandled = 0
const onUnhandled = (): void => {
  unhandled++
}

/** Authenticators built by the current case; closed (and checked) after it. */
let open: JwksAuthenticator[] = []
let baseline: Map<string, number>
let events: AuthEvent[] = []

/** Fast limits so every fault resolves within a second. */
const fast = { jwksRequestTimeoutMs: 300, jwksQueuedThreadTimeoutMs: 1000 }

function auth(options: Record<string, unknown>): JwksAuthenticator {
  const a = createAuthenticator({
    tokenCache: false,
    advanced: { clock },
    onEvent: (e: AuthEvent) => events.push(e),
    ...options,
  })
  open.push(a)
  return a
}

// Client-side resources only: the test's own MockJwksServers hold TCPServerWrap handles.
const WATCHED = ['Timeout', 'TCPSocketWrap', 'TCPWrap', 'TLSWrap', 'GetAddrInfoReqWrap']
function resources(): Map<string, number> {
  const m = new Map<string, number>()
  for (const r of process.getActiveResourcesInfo())
    if (WATCHED.includes(r)) m.set(r, (m.get(r) ?? 0) + 1)
  return m
}

/** Closes the case's authenticators and waits until no watched resource is above the baseline. */
async function expectHealthy(): Promise<void> {
  await Promise.all(open.map((a) => a.close()))
  open = []
  const above = () => {
    const now = resources()
    return [...now].filter(([k, v]) => v > (baseline.get(k) ?? 0))
  }
  const start = Date.now()
  while (above().length > 0 && Date.now() - start < 3000) await sleep(20)
  expect(Object.fromEntries(above())).toEqual({})
  expect(unhandled).toBe(0)
}

const token = (key: TestKey, claims: Record<string, unknown> = {}) =>
  sign({ alg: key.alg, kid: key.kid }, baseClaims(claims), signerFor(key))

async function freePort(): Promise<number> {
  const s: Server = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as { port: number }
  await new Promise((r) => s.close(r))
  return port
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled)
  F = await getFixtures()
  K1 = F.RK
  server = await MockJwksServer.start({ keys: [K1] })
})
afterAll(async () => {
  await server.close()
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toBe(0)
})
beforeEach(async () => {
  events = []
  // settle sockets from the previous case before taking the baseline
  await sleep(10)
  baseline = resources()
})
afterEach(async () => {
  await Promise.all(open.map((a) => a.close()))
  open = []
  server.clearFaults()
  server.setJwksBody(null)
  server.resetCounts()
  for (const k of server.keys) if (k.kid !== K1.kid) server.retire(k.kid)
})

describe('9. JWKS transport faults', () => {
  it('SEC-102 endpoint down at start-up: no throw, 503 jwks_unavailable, accepted once it is up', async () => {
    const port = await freePort()
    const a = auth({ jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`, ...fast })
    const t = await token(K1)
    await expectCode(a.authenticate(bearer(t)), 'jwks_unavailable')
    const up = await MockJwksServer.start({ keys: [K1], port })
    try {
      const started = Date.now()
      let ok = false
      while (!ok && Date.now() - started < 8000) {
        ok = await a.authenticate(bearer(t)).then(
          () => true,
          () => false,
        )
        if (!ok) await sleep(100)
      }
      expect(ok).toBe(true)
      expect(events.some((e) => e.type === 'jwks.fetch_failed')).toBe(true)
      await expectHealthy()
    } finally {
      await up.close()
    }
  })

  it('SEC-103 DNS failure (.invalid) → jwks_unavailable', async () => {
    const a = auth({ jwksUri: 'https://jwks.invalid/jwks.json', ...fast })
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    await expectHealthy()
  })

  it('SEC-104 silent server (never sends headers) → jwks_unavailable within the deadline', async () => {
    server.injectFault({ type: 'hang' })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    const t0 = Date.now()
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    expect(Date.now() - t0).toBeLessThan(1500)
    await expectHealthy()
  })

  it('SEC-105 slow-loris body (1 chunk every 20 ms) → cut at the whole-request deadline, 503', async () => {
    server.injectFault({ type: 'trickle', intervalMs: 20 })
    const a = auth({
      jwksUri: server.jwksUri,
      jwksRequestTimeoutMs: 400,
      jwksQueuedThreadTimeoutMs: 3000,
    })
    const t0 = Date.now()
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(String(events.find((e) => e.type === 'jwks.fetch_failed')?.reason)).toContain('timeout')
    await expectHealthy()
  })

  it.each([
    [
      'declared in Content-Length (2 MB)',
      { type: 'oversized', bytes: 2_000_000, mode: 'content-length' },
    ],
    ['chunked, no length (10 MB)', { type: 'oversized', bytes: 10_000_000, mode: 'chunked' }],
    [
      'lying Content-Length (100, then 10 MB)',
      { type: 'oversized', bytes: 10_000_000, mode: 'lying-length' },
    ],
    ['gzip bomb (50 MB decoded)', { type: 'gzip', bytes: 50_000_000 }],
  ] as [string, MockJwksFault][])(
    'SEC-106/107 oversized body, %s → jwks_unavailable, not read whole',
    async (_n, fault) => {
      server.injectFault(fault)
      const a = auth({
        jwksUri: server.jwksUri,
        maxJwksResponseSizeBytes: 100_000,
        jwksRequestTimeoutMs: 3000,
      })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      await sleep(50)
      expect(server.lastBytesWritten).toBeLessThan(5_000_000)
      await expectHealthy()
    },
  )

  it.each([
    ['404', { type: 'status', status: 404 }],
    ['500', { type: 'status', status: 500 }],
    ['503 with an HTML page', { type: 'html', status: 503 }],
    ['204', { type: 'status', status: 204 }],
  ] as [string, MockJwksFault][])(
    'SEC-108 HTTP %s at start-up → jwks_unavailable',
    async (_n, fault) => {
      server.injectFault(fault)
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      await expectHealthy()
    },
  )

  it('SEC-108 429 with Retry-After: 120 → jwks_unavailable with Retry-After ≥ 100 and no refetch', async () => {
    server.injectFault({ type: 'status', status: 429, headers: { 'retry-after': '120' } })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    const t = await token(K1)
    const err = await expectCode(a.authenticate(bearer(t)), 'jwks_unavailable')
    expect(Number(err.headers['Retry-After'])).toBeGreaterThanOrEqual(100)
    for (let i = 0; i < 10; i++) await expectCode(a.authenticate(bearer(t)), 'jwks_unavailable')
    expect(server.requestCount).toBe(1)
    await expectHealthy()
  })

  describe('SEC-109 not a JWK Set (non-JSON and wrong shapes)', () => {
    const bodies: [string, MockJwksFault | string][] = [
      ['invalid JSON', { type: 'invalid-json' }],
      ['an HTML page with 200', { type: 'html', status: 200 }],
      ['"{"', '{'],
      ['null', 'null'],
      ['[]', '[]'],
      ['{}', '{}'],
      ['{"keys":null}', '{"keys":null}'],
      ['{"keys":{}}', '{"keys":{}}'],
      ['{"keys":"x"}', '{"keys":"x"}'],
      ['an empty body', ''],
    ]
    it.each(bodies)('SEC-109 %s at start-up → jwks_unavailable', async (_n, body) => {
      if (typeof body === 'string') server.setJwksBody(body)
      else server.injectFault(body)
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      await expectHealthy()
    })
    it('SEC-109 non-JSON on a refresh with keys cached → cached keys keep working', async () => {
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await accept(a, await token(K1))
      server.injectFault({ type: 'invalid-json' })
      const K2 = await generateTestKey('RS256', { kid: 'k2-nonjson' })
      await expectCode(a.authenticate(bearer(await token(K2))), 'jwks_unavailable')
      await accept(a, await token(K1))
      await expectHealthy()
    })
  })

  it('SEC-110 redirect to another host → jwks_unavailable; the target sees 0 requests', async () => {
    const other = await MockJwksServer.start({ keys: [K1] })
    try {
      server.injectFault({ type: 'redirect', location: other.jwksUri, status: 302 })
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      expect(other.requestCount).toBe(0)
      expect(String(events.find((e) => e.type === 'jwks.fetch_failed')?.reason)).toContain(
        'redirect',
      )
      await expectHealthy()
    } finally {
      await other.close()
    }
  })
  it('SEC-110 redirect to the cloud metadata address → jwks_unavailable, not followed', async () => {
    server.injectFault({ type: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    await expectHealthy()
  })

  describe('SEC-111 TLS faults', () => {
    let tls: MockJwksServer
    const fx = createTlsFixtures()
    beforeAll(async () => {
      tls = await MockJwksServer.start({ keys: [K1], tls: { key: fx.key, cert: fx.cert } })
    })
    afterAll(async () => {
      await tls.close()
    })
    it('SEC-111 TLS with an unknown CA → jwks_unavailable (verification never switched off)', async () => {
      const a = auth({ jwksUri: tls.jwksUri, ...fast })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      await expectHealthy()
    })
    it('SEC-111 TLS with another CA configured → jwks_unavailable', async () => {
      const a = auth({ jwksUri: tls.jwksUri, jwksTls: { ca: fx.otherCa }, ...fast })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      await expectHealthy()
    })
    it('SEC-111 TLS with the right CA configured → accepted', async () => {
      const a = auth({ jwksUri: tls.jwksUri, jwksTls: { ca: fx.ca }, ...fast })
      await accept(a, await token(K1))
      await expectHealthy()
    })
  })

  it.each([
    ['before the body', {}],
    ['after 100 bytes', { afterBytes: 100 }],
  ])('SEC-112 connection reset %s → jwks_unavailable, no crash', async (_n, opts) => {
    server.injectFault({ type: 'reset', ...opts })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    await expectHealthy()
  })

  it.each([
    ['http:// on a non-loopback host', 'http://idp.example/jwks.json'],
    ['file://', 'file:///etc/passwd'],
    ['data:', 'data:application/json,{"keys":[]}'],
    ['ftp://', 'ftp://idp.example/jwks.json'],
  ])('SEC-113 jwksUri %s → ConfigError', (_n, uri) => {
    expect(() => auth({ jwksUri: uri })).toThrow(/jwksUri/)
  })
})

describe('10. JWKS content', () => {
  it('SEC-121 keys for the wrong curve or invalid points are skipped; the good key keeps working', async () => {
    const jwk = F.EK.publicJwk as Record<string, string>
    const yBytes = Buffer.from(jwk.y ?? '', 'base64url')
    yBytes[5] = (yBytes[5] ?? 0) ^ 0x01
    const bad = [
      { ...jwk, kid: 'off-curve', y: yBytes.toString('base64url') },
      {
        ...jwk,
        kid: 'short-x',
        x: Buffer.from(jwk.x ?? '', 'base64url')
          .subarray(1)
          .toString('base64url'),
      },
      { ...jwk, kid: 'p384-label', crv: 'P-384', alg: 'ES384' },
      { ...jwk, kid: 'secp256k1', crv: 'secp256k1' },
      { ...jwk, kid: 'p192', crv: 'P-192' },
      { ...jwk, kid: 'x25519', kty: 'OKP', crv: 'X25519' },
      {
        ...jwk,
        kid: 'zeros',
        x: Buffer.alloc(32).toString('base64url'),
        y: Buffer.alloc(32).toString('base64url'),
      },
    ]
    server.setJwksBody({ keys: [...bad, K1.publicJwk, F.EK.publicJwk] })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(a, await token(K1))
    await accept(a, await token(F.EK))
    const skipped = events.filter((e) => e.type === 'jwks.key_skipped').map((e) => e.kid)
    expect(skipped.sort()).toEqual(bad.map((b) => b.kid).sort())
    for (const b of bad) {
      const t = await sign({ alg: 'ES256', kid: b.kid }, baseClaims(), signerFor(F.EK))
      await expectCode(a.authenticate(bearer(t)), 'key_not_found')
    }
    await expectHealthy()
  })

  it('SEC-121 a set holding only invalid points → failed refresh, jwks_unavailable', async () => {
    const jwk = F.EK.publicJwk as Record<string, string>
    server.setJwksBody({
      keys: [
        {
          ...jwk,
          x: Buffer.alloc(32).toString('base64url'),
          y: Buffer.alloc(32).toString('base64url'),
        },
      ],
    })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await expectCode(a.authenticate(bearer(await token(F.EK))), 'jwks_unavailable')
    await expectHealthy()
  })

  it('SEC-123 published private material (d) → key refused, token key_not_found', async () => {
    const { exportJWK } = await import('jose')
    const priv = { ...(await exportJWK(F.EK.privateKey)), kid: 'ec-priv' }
    server.setJwksBody({ keys: [priv, K1.publicJwk] })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(a, await token(K1))
    const t = await sign({ alg: 'ES256', kid: 'ec-priv' }, baseClaims(), signerFor(F.EK))
    await expectCode(a.authenticate(bearer(t)), 'key_not_found')
    expect(events.some((e) => e.type === 'jwks.key_skipped' && e.kid === 'ec-priv')).toBe(true)
    await expectHealthy()
  })

  it('SEC-124 junk entries are skipped; the valid key works', async () => {
    server.setJwksBody({ keys: [null, 1, 'x', [], {}, { kty: 'XYZ', kid: 'k' }, K1.publicJwk] })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(a, await token(K1))
    await expectHealthy()
  })

  describe('SEC-125 duplicate kids', () => {
    it('SEC-125 two P-256 keys with the same kid, token signed by the second → accepted', async () => {
      const second = await generateTestKey('ES256', { kid: 'dup' })
      server.setJwksBody({ keys: [{ ...F.EK.publicJwk, kid: 'dup' }, second.publicJwk] })
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await accept(a, await token(second))
      await expectHealthy()
    })
    it('SEC-125 an RSA and an EC key sharing a kid, ES256 token → accepted; RS256 → accepted', async () => {
      server.setJwksBody({
        keys: [
          { ...K1.publicJwk, kid: 'shared' },
          { ...F.EK.publicJwk, kid: 'shared' },
        ],
      })
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await accept(a, await sign({ alg: 'ES256', kid: 'shared' }, baseClaims(), signerFor(F.EK)))
      await accept(a, await sign({ alg: 'RS256', kid: 'shared' }, baseClaims(), signerFor(K1)))
      await expectCode(
        a.authenticate(
          bearer(await sign({ alg: 'RS256', kid: 'shared' }, baseClaims(), signerFor(F.AK))),
        ),
        'signature_invalid',
      )
      await expectHealthy()
    })
  })

  describe('SEC-127 key count and volume', () => {
    const many = () => ({
      keys: Array.from({ length: 10_000 }, (_, i) => ({ ...K1.publicJwk, kid: `k-${i}` })),
    })
    it('SEC-127 10 000 keys with maxJwksKeys -1 → works; the last kid verifies', async () => {
      const body = many()
      server.setJwksBody(body)
      expect(JSON.stringify(body).length).toBeGreaterThan(1_048_576)
      const a = auth({
        jwksUri: server.jwksUri,
        maxJwksResponseSizeBytes: 16_000_000,
        jwksRequestTimeoutMs: 10_000,
        jwksQueuedThreadTimeoutMs: 10_000,
      })
      const t0 = Date.now()
      await accept(a, await sign({ alg: 'RS256', kid: 'k-9999' }, baseClaims(), signerFor(K1)))
      const firstMs = Date.now() - t0
      expect(firstMs).toBeLessThan(5000)
      await accept(a, await sign({ alg: 'RS256', kid: 'k-0' }, baseClaims(), signerFor(K1)))
      await expectHealthy()
    })
    it('SEC-127 10 000 keys with the default 1 MiB size limit → jwks_unavailable (too large)', async () => {
      server.setJwksBody(many())
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      await expectHealthy()
    })
    it('SEC-127 10 000 keys with maxJwksKeys 100 → set rejected, jwks_unavailable', async () => {
      server.setJwksBody(many())
      const a = auth({
        jwksUri: server.jwksUri,
        maxJwksKeys: 100,
        maxJwksResponseSizeBytes: 16_000_000,
        jwksRequestTimeoutMs: 10_000,
      })
      await expectCode(
        a.authenticate(
          bearer(await sign({ alg: 'RS256', kid: 'k-1' }, baseClaims(), signerFor(K1))),
        ),
        'jwks_unavailable',
      )
      await expectHealthy()
    })
    it('SEC-127 a key with a 1 MB kid is skipped; the other key works', async () => {
      server.setJwksBody({
        keys: [{ ...K1.publicJwk, kid: 'k'.repeat(1_000_000) }, F.EK.publicJwk],
      })
      const a = auth({ jwksUri: server.jwksUri, maxJwksResponseSizeBytes: 4_000_000, ...fast })
      await accept(a, await token(F.EK))
      await expectHealthy()
    })
  })

  it('SEC-128 empty set at start-up → jwks_unavailable; on refresh → a failed refresh, old keys kept', async () => {
    server.setJwksBody({ keys: [] })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    await expectHealthy()
    server.setJwksBody(null)
    const b = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(b, await token(K1))
    server.setJwksBody({ keys: [] })
    const K2 = await generateTestKey('RS256', { kid: 'k2-empty' })
    // the refresh forced by K2 fails (empty set): K2 cannot be judged → 503, K1 still verifies
    await expectCode(b.authenticate(bearer(await token(K2))), 'jwks_unavailable')
    await accept(b, await token(K1))
    expect(b.keySet?.stats().kids).toEqual([K1.kid])
    await expectHealthy()
  })
})

describe('11. refresh, rate limits and rotation', () => {
  it('SEC-130 1 000 concurrent requests with a newly published kid → exactly 1 refresh, all accepted', async () => {
    const a = auth({ jwksUri: server.jwksUri, ...fast, jwksQueuedThreadTimeoutMs: 5000 })
    await accept(a, await token(K1))
    server.resetCounts()
    const K2 = await server.rotate({ alg: 'ES256', kid: 'herd' })
    const t = await token(K2)
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, () => a.authenticate(bearer(t))),
    )
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(0)
    expect(server.requestCount).toBe(1)
    await expectHealthy()
  })

  it('SEC-131 unknown-kid flood: at most refreshRateLimitCount fetches, then key_not_found fast', async () => {
    const a = auth({
      jwksUri: server.jwksUri,
      ...fast,
      refreshRateLimitCount: 5,
      refreshRateLimitTimeWindowMs: 60_000,
    })
    await accept(a, await token(K1))
    server.resetCounts()
    for (let i = 0; i < 50; i++) {
      const t = await sign({ alg: 'RS256', kid: `flood-${i}` }, baseClaims(), signerFor(F.AK))
      const t0 = performance.now()
      await expectCode(a.authenticate(bearer(t)), 'key_not_found')
      if (i >= 5) expect(performance.now() - t0).toBeLessThan(20)
    }
    expect(server.requestCount).toBe(5)
    expect(events.filter((e) => e.type === 'jwks.rate_limited').length).toBe(45)
    await accept(a, await token(K1))
    await expectHealthy()
  })

  describe('SEC-133 / SEC-136 endpoint down during rotation (stale-while-error)', () => {
    it.each([
      ['HTTP 500', { type: 'status', status: 500 }],
      ['timeout', { type: 'hang' }],
      ['invalid JSON', { type: 'invalid-json' }],
      ['connection reset', { type: 'reset' }],
    ] as [string, MockJwksFault][])(
      'SEC-136 %s: K1 (cached) keeps working, K2 → 503, then K2 accepted after recovery',
      async (_n, fault) => {
        const a = auth({ jwksUri: server.jwksUri, ...fast })
        const t1 = await token(K1)
        await accept(a, t1)
        server.injectFault(fault)
        const K2 = await server.rotate({ alg: 'ES256', kid: `rot-${fault.type}` })
        const t2 = await token(K2)
        await expectCode(a.authenticate(bearer(t2)), 'jwks_unavailable')
        for (let i = 0; i < 5; i++) await accept(a, t1)
        expect(events.some((e) => e.type === 'jwks.stale')).toBe(true)
        server.clearFaults()
        // the backoff after one failure is 1 s; the scheduled retry then picks K2 up
        await until(() => (a.keySet?.stats().kids ?? []).includes(K2.kid), 4000)
        await accept(a, t2)
        await accept(a, t1)
        await expectHealthy()
      },
    )
  })

  it('SEC-135 queue timeout: waiters give up at jwksQueuedThreadTimeoutMs with 503', async () => {
    const a = auth({
      jwksUri: server.jwksUri,
      jwksRequestTimeoutMs: 3000,
      jwksQueuedThreadTimeoutMs: 300,
    })
    await accept(a, await token(K1))
    server.injectFault({ type: 'delay', ms: 1500 })
    const K2 = await server.rotate({ alg: 'ES256', kid: 'queue' })
    const t0 = Date.now()
    await expectCode(a.authenticate(bearer(await token(K2))), 'jwks_unavailable')
    const waited = Date.now() - t0
    expect(waited).toBeGreaterThanOrEqual(250)
    expect(waited).toBeLessThan(1200)
    // the fetch goes on and later requests benefit
    await until(() => (a.keySet?.stats().kids ?? []).includes('queue'), 4000)
    await accept(a, await token(K2))
    await expectHealthy()
  })

  it('SEC-139 rotation happy path: K2 picked up through one refresh; K1 retired → key_not_found', async () => {
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    const t1 = await token(K1)
    await accept(a, t1)
    const K2 = await server.rotate({ alg: 'RS256', kid: 'next', retire: true })
    server.resetCounts()
    await accept(a, await token(K2))
    expect(server.requestCount).toBe(1)
    await expectCode(a.authenticate(bearer(t1)), 'key_not_found')
    server.publish(K1)
    await expectHealthy()
  })

  it('SEC-097 a cached token whose key was removed → key_not_found after the refresh', async () => {
    const a = auth({ jwksUri: server.jwksUri, ...fast, tokenCache: { max: 100, ttlMs: 60_000 } })
    const t1 = await token(K1)
    await accept(a, t1)
    await accept(a, t1)
    const K2 = await server.rotate({ alg: 'RS256', kid: 'flush', retire: true })
    await accept(a, await token(K2))
    await expectCode(a.authenticate(bearer(t1)), 'key_not_found')
    server.publish(K1)
    await expectHealthy()
  })
})

describe('9–11. more key-set cases', () => {
  it.each([
    ['issuer ≠ the required issuer', { issuer: 'https://evil.example/' }, 'discovery_issuer'],
    ['no jwks_uri', { jwks_uri: undefined }, 'discovery_invalid'],
    [
      'jwks_uri on http:// (non-loopback)',
      { jwks_uri: 'http://idp.example/jwks.json' },
      'discovery_insecure',
    ],
  ])('SEC-114 OIDC discovery with %s → jwks_unavailable', async (_n, partial, reason) => {
    server.setDiscovery({ issuer: server.issuer, jwks_uri: server.jwksUri, ...partial })
    try {
      const a = auth({
        openidConnectUrl: server.discoveryUrl,
        requiredIssuer: server.issuer,
        ...fast,
      })
      await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
      expect(String(events.find((e) => e.type === 'jwks.fetch_failed')?.reason)).toContain(reason)
      await expectHealthy()
    } finally {
      server.setDiscovery(null)
    }
  })
  it('SEC-114 OIDC discovery answering 500 → jwks_unavailable; a good document → accepted', async () => {
    server.injectFault({ type: 'status', status: 500 }, { path: 'discovery', times: 1 })
    const a = auth({
      openidConnectUrl: server.discoveryUrl,
      requiredIssuer: server.issuer,
      ...fast,
    })
    const t = await sign(
      { alg: 'RS256', kid: K1.kid },
      baseClaims({ iss: server.issuer }),
      signerFor(K1),
    )
    await expectCode(a.authenticate(bearer(t)), 'jwks_unavailable')
    await until(() => (a.keySet?.stats().fetches ?? 0) > 0, 4000)
    await accept(a, t)
    await expectHealthy()
  })

  describe('SEC-118 use / key_ops / alg filters', () => {
    const variants: [string, Record<string, unknown>, boolean][] = [
      ['use "enc"', { use: 'enc' }, false],
      ['key_ops ["sign"]', { use: undefined, key_ops: ['sign'] }, false],
      ['key_ops ["encrypt"]', { use: undefined, key_ops: ['encrypt'] }, false],
      ['key_ops []', { use: undefined, key_ops: [] }, false],
      ['key_ops "verify" (a string)', { use: undefined, key_ops: 'verify' }, false],
      ['key_ops ["verify","verify"]', { use: undefined, key_ops: ['verify', 'verify'] }, false],
      ['use "sig" + key_ops ["encrypt"]', { use: 'sig', key_ops: ['encrypt'] }, false],
      ['alg "PS256" on an RS256 token', { alg: 'PS256' }, false],
      ['alg "HS256" on an RSA key', { alg: 'HS256' }, false],
      ['alg "none"', { alg: 'none' }, false],
      ['use 0', { use: 0 }, false],
      ['alg 0', { alg: 0 }, false],
      ['use "sig" + key_ops ["verify"]', { use: 'sig', key_ops: ['verify'] }, true],
    ]
    it.each(variants)('SEC-118 %s', async (_n, members, accepted) => {
      const jwk: Record<string, unknown> = { ...K1.publicJwk, kid: 'filtered', ...members }
      for (const k of Object.keys(jwk)) if (jwk[k] === undefined) Reflect.deleteProperty(jwk, k)
      server.setJwksBody({ keys: [jwk, F.EK.publicJwk] })
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      const t = await sign({ alg: 'RS256', kid: 'filtered' }, baseClaims(), signerFor(K1))
      if (accepted) await accept(a, t)
      else await expectCode(a.authenticate(bearer(t)), 'key_not_found')
      await expectHealthy()
    })
  })

  it('SEC-119 an RSA-1024 key in the set is skipped; the other keys keep working', async () => {
    const small = await generateTestKey('RS256', { kid: 'r1', modulusLength: 1024 })
    server.setJwksBody({ keys: [small.publicJwk, K1.publicJwk] })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(a, await token(K1))
    await expectCode(a.authenticate(bearer(await token(small))), 'key_not_found')
    expect(events.some((e) => e.type === 'jwks.key_skipped' && e.kid === 'r1')).toBe(true)
    await expectHealthy()
  })

  it('SEC-120 RSA e = 1, even e and a 16 385-bit modulus are skipped', async () => {
    const big = Buffer.alloc(2049, 0xab)
    big[0] = 0x01
    server.setJwksBody({
      keys: [
        { ...K1.publicJwk, kid: 'e1', e: 'AQ' },
        { ...K1.publicJwk, kid: 'e-even', e: 'AQAA' },
        { ...K1.publicJwk, kid: 'huge', n: big.toString('base64url') },
        K1.publicJwk,
      ],
    })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(a, await token(K1))
    for (const kid of ['e1', 'e-even', 'huge']) {
      const t = await sign({ alg: 'RS256', kid }, baseClaims(), signerFor(K1))
      await expectCode(a.authenticate(bearer(t)), 'key_not_found')
    }
    const skipped = events.filter((e) => e.type === 'jwks.key_skipped').map((e) => e.kid)
    expect(skipped.sort()).toEqual(['e-even', 'e1', 'huge'])
    await expectHealthy()
  })

  it('SEC-122 OKP oddities (Ed448, X25519, 31-byte x) are skipped', async () => {
    const jwk = F.OK.publicJwk as Record<string, string>
    const bad = [
      { ...jwk, kid: 'ed448', crv: 'Ed448' },
      { ...jwk, kid: 'x25519', crv: 'X25519' },
      {
        ...jwk,
        kid: 'short',
        x: Buffer.from(jwk.x ?? '', 'base64url')
          .subarray(1)
          .toString('base64url'),
      },
    ]
    server.setJwksBody({ keys: [...bad, F.OK.publicJwk] })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(a, await token(F.OK))
    for (const b of bad) {
      const t = await sign({ alg: 'EdDSA', kid: b.kid }, baseClaims(), signerFor(F.OK))
      await expectCode(a.authenticate(bearer(t)), 'key_not_found')
    }
    await expectHealthy()
  })

  describe('SEC-126 tokens without kid never trigger a refresh', () => {
    it('SEC-126 set of one key → that key is used', async () => {
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await accept(a, await sign({ alg: 'RS256' }, baseClaims(), signerFor(K1)))
      await expectHealthy()
    })
    it('SEC-126 two P-256 keys → key_not_found, no refresh', async () => {
      const other = await generateTestKey('ES256', { kid: 'ec-2' })
      server.setJwksBody({ keys: [F.EK.publicJwk, other.publicJwk] })
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await accept(a, await token(F.EK))
      server.resetCounts()
      await expectCode(
        a.authenticate(bearer(await sign({ alg: 'ES256' }, baseClaims(), signerFor(F.EK)))),
        'key_not_found',
      )
      expect(server.requestCount).toBe(0)
      await expectHealthy()
    })
    it('SEC-126 RSA + EC with an ES256 token → the EC key is used', async () => {
      server.setJwksBody({ keys: [K1.publicJwk, F.EK.publicJwk] })
      const a = auth({ jwksUri: server.jwksUri, ...fast })
      await accept(a, await sign({ alg: 'ES256' }, baseClaims(), signerFor(F.EK)))
      await expectHealthy()
    })
  })

  it('SEC-129 every key unusable (RSA-1024, use "enc") → failed refresh, jwks_unavailable', async () => {
    const small = await generateTestKey('RS256', { kid: 'small', modulusLength: 1024 })
    server.setJwksBody({ keys: [small.publicJwk, { ...K1.publicJwk, use: 'enc' }] })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    await expectHealthy()
  })

  it('SEC-134 overlapping refreshes cannot happen: concurrent unknown kids share one fetch', async () => {
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    await accept(a, await token(K1))
    server.resetCounts()
    server.injectFault({ type: 'delay', ms: 200 }, { times: 1 })
    const tokens = await Promise.all(
      ['x1', 'x2', 'x3'].map((kid) => sign({ alg: 'RS256', kid }, baseClaims(), signerFor(K1))),
    )
    await Promise.all(tokens.map((t) => expectCode(a.authenticate(bearer(t)), 'key_not_found')))
    expect(server.requestCount).toBe(1)
    await expectHealthy()
  })

  it('SEC-137 endpoint down: attempts are spaced by back-off, not one per request; recovery restores', async () => {
    server.injectFault({ type: 'status', status: 500 })
    const a = auth({ jwksUri: server.jwksUri, ...fast })
    const t = await token(K1)
    for (let i = 0; i < 30; i++) await expectCode(a.authenticate(bearer(t)), 'jwks_unavailable')
    expect(server.requestCount).toBeLessThanOrEqual(2)
    server.clearFaults()
    await until(() => (a.keySet?.stats().fetches ?? 0) > 0, 4000)
    await accept(a, t)
    await expectHealthy()
  })

  it('SEC-138 Cache-Control max-age=0 does not turn requests into fetches; ETag → 304 keeps keys', async () => {
    const srv = await MockJwksServer.start({ keys: [K1], cacheControl: 'max-age=0' })
    try {
      const a = auth({ jwksUri: srv.jwksUri, ...fast })
      const t = await token(K1)
      for (let i = 0; i < 50; i++) await accept(a, t)
      expect(srv.requestCount).toBe(1)
      await a.keySet?.refresh()
      expect(srv.requestCount).toBe(2)
      expect(a.keySet?.stats().notModified).toBe(1)
      await accept(a, t)
      await expectHealthy()
    } finally {
      await srv.close()
    }
  })

  it('SEC-140 three replicas under the same unknown-kid flood → IdP sees ≤ 3 × (1 + budget) fetches', async () => {
    const replicas = [0, 1, 2].map(() =>
      auth({
        jwksUri: server.jwksUri,
        ...fast,
        refreshRateLimitCount: 3,
        refreshRateLimitTimeWindowMs: 60_000,
      }),
    )
    for (const r of replicas) await accept(r, await token(K1))
    for (let i = 0; i < 20; i++) {
      const t = await sign({ alg: 'RS256', kid: `flood-${i}` }, baseClaims(), signerFor(F.AK))
      await Promise.all(replicas.map((r) => expectCode(r.authenticate(bearer(t)), 'key_not_found')))
    }
    expect(server.requestCount).toBeLessThanOrEqual(3 * (1 + 3))
    await expectHealthy()
  })

  it('SEC-098 a kid rejected before the IdP publishes it is accepted once published (no sticky negative)', async () => {
    const a = auth({ jwksUri: server.jwksUri, ...fast, tokenCache: { max: 100, ttlMs: 60_000 } })
    await accept(a, await token(K1))
    const K2 = await generateTestKey('ES256', { kid: 'late' })
    const t2 = await token(K2)
    await expectCode(a.authenticate(bearer(t2)), 'key_not_found')
    server.publish(K2)
    await accept(a, t2)
    await expectHealthy()
  })

  it('SEC-093 one prebuilt authenticator shared by two Fastify apps: one key set, one fetch', async () => {
    const { default: Fastify } = await import('fastify')
    const { jwtAuth } = await import('@jwtgate/fastify')
    const apps = [Fastify(), Fastify()]
    try {
      // Loading Fastify can block the event loop for longer than the 300 ms fetch deadline on a
      // loaded machine: the key set is built once Fastify is loaded, and its first fetch awaited.
      const shared = auth({ jwksUri: server.jwksUri, ...fast })
      expect(await shared.keySet?.refresh()).toBe(true)
      for (const app of apps) {
        await app.register(jwtAuth, { authenticator: shared })
        app.get('/me', (request) => ({ sub: request.auth?.subject }))
      }
      const t = await token(K1)
      for (const app of apps) {
        const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${t}` } })
        expect(res.statusCode).toBe(200)
      }
      expect(server.requestCount).toBe(1)
    } finally {
      await Promise.all(apps.map((app) => app.close()))
    }
    await expectHealthy()
  })
})

describe('12. lifecycle', () => {
  it('SEC-141 close() while a refresh is in flight: aborted, resources back to baseline, later calls fail fast', async () => {
    server.injectFault({ type: 'hang' })
    const a = auth({
      jwksUri: server.jwksUri,
      jwksRequestTimeoutMs: 10_000,
      jwksQueuedThreadTimeoutMs: 10_000,
    })
    const pending = a.authenticate(bearer(await token(K1)))
    await sleep(50)
    await a.close()
    await expectCode(pending, 'jwks_unavailable')
    const t0 = Date.now()
    await expectCode(a.authenticate(bearer(await token(K1))), 'jwks_unavailable')
    expect(Date.now() - t0).toBeLessThan(100)
    await expectHealthy()
  })

  it('SEC-142 a background refresh failing with nobody waiting → no unhandled rejection', async () => {
    server.injectFault({ type: 'status', status: 500 })
    auth({ jwksUri: server.jwksUri, ...fast })
    await until(() => events.some((e) => e.type === 'jwks.fetch_failed'), 3000)
    await sleep(50)
    await expectHealthy()
  })

  it('SEC-144 kid with CR/LF and ANSI escapes never reaches an event raw', async () => {
    const a = auth({ jwksUri: server.jwksUri, ...fast, refreshRateLimitCount: 0 })
    await accept(a, await token(K1))
    const kid = 'evil\r\n\u001b[31m${jndi:ldap://x}'
    const t = await sign({ alg: 'RS256', kid }, baseClaims(), signerFor(F.AK))
    await expectCode(a.authenticate(bearer(t)), 'key_not_found')
    for (const e of events) expect(JSON.stringify(e)).not.toContain('\\r\\n\\u001b')
    await expectHealthy()
  })
})
