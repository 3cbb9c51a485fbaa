// Issue 18: ready(), health(), exportKeys(), maxStaleMs, initialJwks, jwksAgent, jwksHeaders.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { createProxy } from 'proxy'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthError,
  ConfigError,
  createKeyResolverAuthenticator,
  createStaticAuthenticator,
  resolveOptions,
  type AuthEvent,
} from '@jwtgate/core'
import { createTlsFixtures, MockJwksServer } from '@jwtgate/testing'
import {
  SelfRefreshingKeySet,
  type ExportedKeySet,
  type JwksAuthenticator,
  type KeySetOperationsOptions,
  type RetrieverOptions,
} from '../src/index.js'
import { bearer, expectAuthFailure, until } from './helpers.js'

/** The second-wave options, handed to the key set as `createAuthenticator` does. */
type Wave2 = KeySetOperationsOptions & Pick<RetrieverOptions, 'jwksAgent' | 'jwksHeaders'>
const WAVE2 = ['maxStaleMs', 'initialJwks', 'jwksAgent', 'jwksHeaders'] as const

const open: JwksAuthenticator[] = []
function jwksAuth(options: Record<string, unknown>, events?: AuthEvent[]): JwksAuthenticator {
  const rest: Record<string, unknown> = { tokenCache: false }
  const wave2: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(options)) {
    if ((WAVE2 as readonly string[]).includes(k)) wave2[k] = v
    else rest[k] = v
  }
  if (events) rest.onEvent = (e: AuthEvent) => events.push(e)
  const resolved = resolveOptions(rest)
  const keySet = new SelfRefreshingKeySet({ ...resolved, ...(wave2 as Wave2) })
  const a = Object.assign(createKeyResolverAuthenticator(resolved, keySet), {
    keySet,
    keySets: new Map<string, SelfRefreshingKeySet>(),
    exportKeys: () => keySet.exportKeys(),
  })
  open.push(a)
  return a
}
const createAuthenticator = (options: Record<string, unknown>) => jwksAuth(options)
async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((a) => a.close()))
}

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
  server.setJwksBody(null)
  server.resetCounts()
})

const patient = { jwksRequestTimeoutMs: 10_000, jwksQueuedThreadTimeoutMs: 10_000 }

function configError(build: () => unknown, key: string): ConfigError {
  let caught: unknown
  try {
    build()
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect((caught as ConfigError).key).toBe(key)
  return caught as ConfigError
}

async function exportedSet(): Promise<ExportedKeySet> {
  const a = jwksAuth({ jwksUri: server.jwksUri, ...patient })
  await a.ready()
  const saved = a.exportKeys()
  if (saved === undefined) throw new Error('nothing exported')
  await a.close()
  server.resetCounts()
  return saved
}

describe('ready() and health()', () => {
  it('a static key: ready at once, health ok with its key count', async () => {
    const { publicKeyPem } = server.signingKey
    const a = createStaticAuthenticator({ signingKey: publicKeyPem })
    await expect(a.ready()).resolves.toBeUndefined()
    expect(a.health()).toEqual({ status: 'ok', keys: 1 })
    await a.close()
    expect(a.health().status).toBe('unavailable')
    await expect(a.ready()).rejects.toMatchObject({ code: 'jwks_unavailable', status: 503 })
  })

  it('a key set: starting, then ok once the first fetch succeeded', async () => {
    server.injectFault({ type: 'delay', ms: 300 }, { times: 1 })
    const a = jwksAuth({ jwksUri: server.jwksUri, ...patient })
    expect(a.health()).toEqual({ status: 'starting', keys: 0 })
    const before = Date.now()
    await a.ready()
    const h = a.health()
    expect(h).toMatchObject({ status: 'ok', keys: server.keys.length })
    expect(h.lastRefreshAt).toBeGreaterThanOrEqual(before)
    expect(h.lastError).toBeUndefined()
    await expect(a.ready()).resolves.toBeUndefined()
  })

  it('the first fetch fails: ready() rejects with jwks_unavailable whose cause names the reason; a later call waits for the next attempt', async () => {
    server.injectFault({ type: 'status', status: 500 }, { times: 1 })
    const a = jwksAuth({ jwksUri: server.jwksUri, ...patient })
    const err: unknown = await a.ready().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(AuthError)
    expect(err).toMatchObject({ code: 'jwks_unavailable', status: 503 })
    expect((err as AuthError).cause).toMatchObject({ reason: 'http_500' })
    expect(a.health()).toMatchObject({ status: 'unavailable', keys: 0, lastError: 'http_500' })
    // The next attempt (after a 1 s backoff) succeeds: a new ready() waits for it.
    await expect(a.ready()).resolves.toBeUndefined()
    expect(a.health()).toMatchObject({ status: 'ok', keys: server.keys.length })
    expect(a.health().lastError).toBeUndefined()
  })

  it('keys kept after a failed refresh: stale, with their age and the reason', async () => {
    const a = jwksAuth({ jwksUri: server.jwksUri, ...patient })
    await a.ready()
    server.injectFault({ type: 'status', status: 503 })
    expect(await a.keySet?.refresh()).toBe(false)
    const h = a.health()
    expect(h).toMatchObject({ status: 'stale', keys: server.keys.length, lastError: 'http_503' })
    expect(h.staleForMs).toBeGreaterThanOrEqual(0)
    await expect(a.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
  })

  it('health() costs well under 1 µs of CPU and allocates only its result', async () => {
    const a = jwksAuth({ jwksUri: server.jwksUri, ...patient })
    await a.ready()
    const n = 200_000
    for (let i = 0; i < 10_000; i++) a.health() // warm up
    const cpu = process.cpuUsage()
    let keys = 0
    for (let i = 0; i < n; i++) keys += a.health().keys
    const used = process.cpuUsage(cpu)
    const perCallUs = (used.user + used.system) / n
    expect(keys).toBe(n * server.keys.length)
    expect(perCallUs).toBeLessThan(1)
  })
})

describe('maxStaleMs', () => {
  it('below the shortest refresh interval (30 s) is a ConfigError', () => {
    configError(
      () => createAuthenticator({ jwksUri: server.jwksUri, maxStaleMs: 10_000 }),
      'maxStaleMs',
    )
  })

  it('known keys verify while refreshes fail, up to the bound; then jwks_unavailable (503, Retry-After)', async () => {
    const saved = await exportedSet()
    server.injectFault({ type: 'status', status: 500 })
    const events: AuthEvent[] = []
    const maxStaleMs = 30_000
    // Keys fetched 28.5 s ago: 1.5 s left before they pass maxStaleMs.
    const a = jwksAuth(
      {
        jwksUri: server.jwksUri,
        ...patient,
        maxStaleMs,
        initialJwks: { jwks: saved.jwks, fetchedAt: Date.now() - maxStaleMs + 1500 },
      },
      events,
    )
    const token = await server.sign({ sub: 'a' })
    await expect(a.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'a' })
    await until(() => events.some((e) => e.type === 'jwks.stale'))
    expect(a.health().status).toBe('stale')
    await until(() => a.health().status === 'unavailable', 10_000)
    const err = await expectAuthFailure(a.authenticate(bearer(token)), 'jwks_unavailable')
    expect(err.headers['Retry-After']).toMatch(/^\d+$/)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'jwks.stale', expired: true, maxStaleMs }),
    )
    expect(a.health()).toMatchObject({ keys: 0, lastError: 'http_500' })
    expect(a.health().staleForMs).toBeGreaterThanOrEqual(maxStaleMs)
    // The endpoint is back: the next refresh restores the keys.
    server.clearFaults()
    await a.ready()
    await expect(a.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'a' })
  })
})

describe('initialJwks and exportKeys() (warm starts)', () => {
  it('a cold start with an exported set verifies with zero fetches', async () => {
    const saved = await exportedSet()
    expect(saved.fetchedAt).toBeLessThanOrEqual(Date.now())
    expect(saved.jwks.keys.map((k) => k.kid)).toEqual(server.keys.map((k) => k.kid))
    // What a function would store: JSON, in an environment variable, a file or a cache.
    const initialJwks = JSON.parse(JSON.stringify(saved)) as ExportedKeySet
    const a = jwksAuth({ jwksUri: server.jwksUri, ...patient, initialJwks })
    await a.ready()
    expect(a.health()).toMatchObject({ status: 'ok', keys: server.keys.length })
    await expect(a.authenticate(bearer(await server.sign({ sub: 'warm' })))).resolves.toMatchObject(
      { subject: 'warm' },
    )
    expect(server.requestCount).toBe(0)
    expect(a.exportKeys()).toEqual(saved)
  })

  it('a plain JWKS is accepted too, and the first successful fetch replaces it', async () => {
    const retired = (await exportedSet()).jwks.keys[0]
    await server.rotate()
    const a = jwksAuth({
      jwksUri: server.jwksUri,
      ...patient,
      initialJwks: { keys: [{ ...retired, kid: 'only-in-the-initial-set' }] },
    })
    expect(a.keySet?.stats().kids).toEqual(['only-in-the-initial-set'])
    expect(server.requestCount).toBe(0)
    expect(await a.keySet?.refresh()).toBe(true)
    expect(a.keySet?.stats().kids).toEqual(server.keys.map((k) => k.kid))
  })

  it('malformed: not a JWK Set, keys all invalid, fetchedAt in the future → ConfigError', async () => {
    const saved = await exportedSet()
    const build = (initialJwks: unknown) => () =>
      createAuthenticator({ jwksUri: server.jwksUri, initialJwks })
    configError(build({ keys: 'nope' }), 'initialJwks.keys')
    const err = configError(
      build({
        keys: [
          { kty: 'oct', k: 'AAAA' },
          { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
        ],
      }),
      'initialJwks.keys',
    )
    expect(err.message).toMatch(/holds no usable key/)
    configError(
      build({ jwks: saved.jwks, fetchedAt: Date.now() + 3_600_000 }),
      'initialJwks.fetchedAt',
    )
  })

  it('older than maxStaleMs: accepted but not used until a fetch succeeds, and health() says so', async () => {
    const saved = await exportedSet()
    server.injectFault({ type: 'delay', ms: 500 }, { times: 1 })
    const a = jwksAuth({
      jwksUri: server.jwksUri,
      ...patient,
      maxStaleMs: 60_000,
      initialJwks: { jwks: saved.jwks, fetchedAt: Date.now() - 120_000 },
    })
    const h = a.health()
    expect(h).toMatchObject({ status: 'starting', keys: 0, lastError: 'initial_jwks_expired' })
    expect(h.staleForMs).toBeGreaterThanOrEqual(120_000)
    await expect(a.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toBeDefined()
    expect(server.requestCount).toBe(1)
    expect(a.health()).toMatchObject({ status: 'ok' })
  })
})

describe('jwksHeaders and jwksAgent', () => {
  it('jwksHeaders are sent on discovery and JWKS requests', async () => {
    const a = jwksAuth({
      openidConnectUrl: server.discoveryUrl,
      requiredIssuer: server.issuer,
      ...patient,
      jwksHeaders: { 'x-api-key': 'k-123', 'user-agent': 'my-service/1.0' },
    })
    await a.ready()
    expect(server.requests.length).toBeGreaterThanOrEqual(2)
    for (const r of server.requests) {
      expect(r.headers['x-api-key']).toBe('k-123')
      expect(r.headers['user-agent']).toBe('my-service/1.0')
    }
  })

  describe('through a forward proxy on 127.0.0.1 (HTTP CONNECT)', () => {
    const tls = createTlsFixtures()
    let idp: MockJwksServer
    let proxy: Server
    let proxyUrl: string
    const connects: string[] = []
    beforeAll(async () => {
      idp = await MockJwksServer.start({ keys: ['ES256'], tls: { key: tls.key, cert: tls.cert } })
      proxy = createProxy(createServer())
      proxy.on('connect', (req: { url?: string }) => connects.push(req.url ?? ''))
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      await idp.close()
      await new Promise((resolve) => proxy.close(resolve))
    })

    it('discovery and the JWKS go through the proxy agent; TLS is still verified end to end', async () => {
      const agent = new HttpsProxyAgent(proxyUrl)
      const a = jwksAuth({
        openidConnectUrl: idp.discoveryUrl,
        requiredIssuer: idp.issuer,
        jwksTls: { ca: tls.ca },
        jwksAgent: agent,
        ...patient,
      })
      await expect(
        a.authenticate(bearer(await idp.sign({ sub: 'proxied' }))),
      ).resolves.toMatchObject({ subject: 'proxied' })
      const host = new URL(idp.url).host
      expect(connects.filter((c) => c === host).length).toBeGreaterThanOrEqual(1)
      expect(idp.discoveryRequestCount).toBe(1)
      expect(idp.requestCount).toBe(1)
      expect(a.health()).toMatchObject({ status: 'ok' })
      agent.destroy()
    })

    it('with the proxy but without the CA the certificate is refused', async () => {
      const agent = new HttpsProxyAgent(proxyUrl)
      const before = idp.requestCount
      const a = jwksAuth({
        jwksUri: idp.jwksUri,
        jwksAgent: agent,
        jwksRequestTimeoutMs: 5000,
        jwksQueuedThreadTimeoutMs: 5000,
      })
      const err: unknown = await a.ready().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'jwks_unavailable', status: 503 })
      expect((err as AuthError).cause).toMatchObject({ reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
      expect(idp.requestCount).toBe(before)
      agent.destroy()
    })
  })
})
