// Issue 18: ready(), health(), exportKeys(), maxStaleMs, initialJwks, jwksAgent, jwksHeaders.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { createProxy } from 'proxy'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthError,
  ConfigError,
  createStaticAuthenticator,
  normalizeConfig,
  type AuthEvent,
} from '@jwtgate/core'
import { createTlsFixtures, MockJwksServer } from '@jwtgate/testing'
import { createAuthenticator, type ExportedKeySet } from '../src/index.js'
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
  const saved = a.exportKeys() as ExportedKeySet | undefined
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
})

describe('maxStaleMs', () => {
  it('known keys verify while refreshes fail, up to the bound; then jwks_unavailable (503, Retry-After)', async () => {
    const saved = await exportedSet()
    server.injectFault({ type: 'status', status: 500 })
    const events: AuthEvent[] = []
    const maxStaleMs = 60_000
    // Keys fetched 58.5 s ago: 1.5 s left before they pass maxStaleMs.
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

describe('bad input: a ConfigError naming the option, from createAuthenticator and normalizeConfig', () => {
  let saved: ExportedKeySet
  beforeAll(async () => {
    saved = await exportedSet()
  })
  const agent = new HttpsProxyAgent('http://127.0.0.1:9')
  afterAll(() => {
    agent.destroy()
  })
  const cases: [string, () => Record<string, unknown>, string, RegExp][] = [
    [
      'maxStaleMs below twice the shortest refresh interval (60 s)',
      () => ({ jwksUri: server.jwksUri, maxStaleMs: 59_999 }),
      'maxStaleMs',
      /at least 60000/,
    ],
    [
      'initialJwks that is not a JWK Set',
      () => ({ jwksUri: server.jwksUri, initialJwks: ['a'] }),
      'initialJwks',
      /JWK Set/,
    ],
    [
      'initialJwks without keys',
      () => ({ jwksUri: server.jwksUri, initialJwks: { kids: [] } }),
      'initialJwks',
      /JWK Set/,
    ],
    [
      'initialJwks.keys not a list',
      () => ({ jwksUri: server.jwksUri, initialJwks: { keys: 'nope' } }),
      'initialJwks.keys',
      /list of JWKs/,
    ],
    [
      'initialJwks with an empty key list',
      () => ({ jwksUri: server.jwksUri, initialJwks: { keys: [] } }),
      'initialJwks.keys',
      /holds no key/,
    ],
    [
      'initialJwks whose keys are all invalid (symmetric, private, 512-bit RSA, garbage)',
      () => ({
        jwksUri: server.jwksUri,
        initialJwks: {
          keys: [
            { kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
            { ...saved.jwks.keys[0], d: 'AAAA' },
            {
              kty: 'RSA',
              n: 'wB2Xv2yhnBd2sxvrZB8GdVg8rqxD1gqUOGE8HSK6e-9ZtvLzWbKf5Rd6nXycFaQs6wO5hdzSzhsv4HxcKEKxvw',
              e: 'AQAB',
            },
            { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' },
          ],
        },
      }),
      'initialJwks.keys',
      /holds no usable key/,
    ],
    [
      'an exported initialJwks fetched in the future',
      () => ({
        jwksUri: server.jwksUri,
        initialJwks: { jwks: saved.jwks, fetchedAt: Date.now() + 3_600_000 },
      }),
      'initialJwks.fetchedAt',
      /in the future/,
    ],
    [
      'initialJwks beside a static key only',
      () => ({ signingKey: server.signingKey.publicKeyPem, initialJwks: saved }),
      'initialJwks',
      /needs jwksUri or openidConnectUrl/,
    ],
    [
      'initialJwks on a static-key issuer',
      () => ({
        issuers: [
          {
            issuer: 'https://a.example',
            signingKey: server.signingKey.publicKeyPem,
            initialJwks: saved,
          },
        ],
      }),
      'issuers[0].initialJwks',
      /needs jwksUri or openidConnectUrl/,
    ],
    [
      'a top-level initialJwks beside issuers',
      () => ({
        initialJwks: saved,
        issuers: [{ issuer: server.issuer, jwksUri: server.jwksUri }],
      }),
      'initialJwks',
      /each entry its own/,
    ],
    [
      'a jwksAgent that is not an http.Agent',
      () => ({ jwksUri: server.jwksUri, jwksAgent: { keepAlive: true } }),
      'jwksAgent',
      /http\.Agent/,
    ],
    [
      'a jwksHeaders value that is not a string',
      () => ({ jwksUri: server.jwksUri, jwksHeaders: { 'x-api-key': 42 } }),
      'jwksHeaders.x-api-key',
      /single-line string/,
    ],
    [
      'a jwksHeaders value over two lines',
      () => ({ jwksUri: server.jwksUri, jwksHeaders: { 'x-api-key': 'a\r\nx-evil: 1' } }),
      'jwksHeaders.x-api-key',
      /single-line string/,
    ],
    ...['Host', 'accept-encoding', 'If-None-Match', 'content-length', 'Connection', 'range'].map(
      (h): [string, () => Record<string, unknown>, string, RegExp] => [
        `jwksHeaders setting ${h}, which jwtgate manages`,
        () => ({ jwksUri: server.jwksUri, jwksHeaders: { [h]: 'x' } }),
        `jwksHeaders.${h}`,
        /manages this request header/,
      ],
    ),
  ]
  it.each(cases)('%s', (_name, options, key, message) => {
    const viaNormalize = configError(() => normalizeConfig(options()), key)
    expect(viaNormalize.message).toMatch(message)
    const viaCreate = configError(
      () => createAuthenticator({ tokenCache: false, ...options() }),
      key,
    )
    expect(viaCreate.message).toMatch(message)
    expect(server.requestCount).toBe(0)
  })

  it('the bounds themselves are accepted: maxStaleMs 60000, an http(s) proxy agent, other headers', async () => {
    const a = jwksAuth({
      jwksUri: server.jwksUri,
      ...patient,
      maxStaleMs: 60_000,
      jwksHeaders: { Accept: 'application/jwk-set+json', authorization: 'Basic eA==' },
    })
    await a.ready()
    expect(server.requests[0]?.headers.accept).toBe('application/jwk-set+json')
    expect(server.requests[0]?.headers.authorization).toBe('Basic eA==')
    expect(normalizeConfig({ jwksUri: server.jwksUri, jwksAgent: agent })).toMatchObject({
      jwksAgent: agent,
    })
  })
})
