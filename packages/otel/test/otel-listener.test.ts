import { createStaticAuthenticator, type AuthEvent } from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import { generateTestKey, MockJwksServer, mintToken, type TestKey } from '@jwtgate/testing'
import type { Attributes } from '@opentelemetry/api'
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOtelListener, type OtelListener } from '../src/index.js'

/** The SDK's pull reader: `collect()` returns what an exporter would receive. */
class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

interface Setup {
  reader: TestReader
  listener: OtelListener
  points: (name: string) => Promise<DataPoint<unknown>[]>
  value: (name: string, attributes: Attributes) => Promise<unknown>
}

function setup(attributes?: Attributes): Setup {
  const reader = new TestReader()
  const provider = new MeterProvider({ readers: [reader] })
  const listener = createOtelListener(
    provider.getMeter('jwtgate-test'),
    attributes ? { attributes } : {},
  )
  const points = async (name: string) => {
    const { resourceMetrics, errors } = await reader.collect()
    expect(errors).toEqual([])
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name)
    return (metric?.dataPoints ?? []) as DataPoint<unknown>[]
  }
  const value = async (name: string, wanted: Attributes) =>
    (await points(name)).find((p) => matches(p.attributes, wanted))?.value
  return { reader, listener, points, value }
}

function matches(attributes: Attributes, wanted: Attributes): boolean {
  return Object.entries(wanted).every(([k, v]) => attributes[k] === v)
}

/** An event as a future or foreign jwtgate might send it: not necessarily of today's types. */
const raw = (event: Record<string, unknown>) => event as unknown as AuthEvent

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('per-request metrics (auth.success / auth.failure events)', () => {
  it('counts requests by outcome, error code, cache use and algorithm', async () => {
    const { listener, value, points } = setup()
    for (let i = 0; i < 3; i++) listener({ type: 'auth.success', cached: false, alg: 'ES256' })
    listener({ type: 'auth.success', cached: true, alg: 'ES256' })
    listener({ type: 'auth.failure', code: 'token_expired', alg: 'RS256', detail: 'Token expired' })
    listener({ type: 'auth.failure', code: 'token_expired', alg: 'RS256', detail: 'Token expired' })
    listener({ type: 'auth.failure', code: 'token_missing', detail: 'No bearer token' })
    const name = 'jwtgate.auth.requests'
    expect(
      await value(name, { 'jwtgate.auth.outcome': 'success', 'jwtgate.auth.cached': false }),
    ).toBe(3)
    expect(
      await value(name, { 'jwtgate.auth.outcome': 'success', 'jwtgate.auth.cached': true }),
    ).toBe(1)
    expect(await value(name, { 'error.type': 'token_expired', 'jwtgate.auth.alg': 'RS256' })).toBe(
      2,
    )
    expect(await value(name, { 'error.type': 'token_missing', 'jwtgate.auth.alg': '_OTHER' })).toBe(
      1,
    )
    expect(await points(name)).toHaveLength(4)
  })

  it('keeps cardinality bounded: attacker-chosen alg, kid and iss never become attribute values', async () => {
    const { listener, points } = setup()
    for (let i = 0; i < 2000; i++) {
      listener(
        raw({
          type: 'auth.failure',
          code: i % 2 === 0 ? 'key_not_found' : `made_up_${String(i)}`,
          alg: `X${String(i)}`,
          kid: `kid-${String(i)}`,
          iss: `https://evil-${String(i)}.example`,
          detail: 'x',
        }),
      )
    }
    const data = await points('jwtgate.auth.requests')
    expect(data.map((p) => p.attributes)).toEqual(
      expect.arrayContaining([
        {
          'jwtgate.auth.outcome': 'failure',
          'error.type': 'key_not_found',
          'jwtgate.auth.alg': '_OTHER',
        },
        { 'jwtgate.auth.outcome': 'failure', 'error.type': '_OTHER', 'jwtgate.auth.alg': '_OTHER' },
      ]),
    )
    expect(data).toHaveLength(2)
    expect(data.reduce((sum, p) => sum + (p.value as number), 0)).toBe(2000)
    expect(JSON.stringify(data)).not.toMatch(/kid-|evil|X1/)
  })

  it('adds suppressed auth.failure events to the request total, and counts every suppressed event', async () => {
    const { listener, value } = setup()
    listener({ type: 'auth.failure', code: 'signature_invalid', alg: 'RS256', detail: 'x' })
    listener({ type: 'events.suppressed', eventType: 'auth.failure', count: 250 })
    listener({ type: 'events.suppressed', eventType: 'jwks.rate_limited', count: 40 })
    listener(raw({ type: 'events.suppressed', eventType: 'Evil\u202etype', count: 1 }))
    expect(await value('jwtgate.auth.requests', { 'error.type': '_OTHER' })).toBe(250)
    expect(await value('jwtgate.events.suppressed', { 'jwtgate.event.type': 'auth.failure' })).toBe(
      250,
    )
    expect(
      await value('jwtgate.events.suppressed', { 'jwtgate.event.type': 'jwks.rate_limited' }),
    ).toBe(40)
    expect(await value('jwtgate.events.suppressed', { 'jwtgate.event.type': '_OTHER' })).toBe(1)
  })

  it('adds the configured attributes to every data point', async () => {
    const { listener, points } = setup({ 'jwtgate.authenticator': 'partners' })
    listener({ type: 'auth.success', cached: false, alg: 'EdDSA' })
    listener({ type: 'jwks.rate_limited', kid: 'x' })
    for (const name of ['jwtgate.auth.requests', 'jwtgate.jwks.rate_limited']) {
      const data = await points(name)
      expect(data).toHaveLength(1)
      expect(data[0]?.attributes['jwtgate.authenticator']).toBe('partners')
    }
  })

  it('ignores events it does not know, and events with missing fields', async () => {
    const { listener, points } = setup()
    listener({ type: 'config.warning', message: 'x' })
    listener(raw({ type: 'something.new' }))
    listener(raw({ type: 'jwks.fetch' }))
    listener(raw({ type: 'jwks.stale' }))
    listener({ type: 'events.suppressed', eventType: 'auth.failure', count: -5 })
    expect(await points('jwtgate.auth.requests')).toEqual([])
    expect(await points('jwtgate.jwks.stale.age')).toEqual([])
    const fetches = await points('jwtgate.jwks.fetches')
    expect(fetches.map((p) => p.attributes)).toEqual([
      { 'jwtgate.jwks.outcome': 'success', 'server.address': '_OTHER' },
    ])
  })
})

describe('with a real static authenticator', () => {
  let key: TestKey
  beforeAll(async () => {
    key = await generateTestKey('ES256')
  })

  it('records what the authenticator reports, and the authenticator still answers', async () => {
    const { listener, points } = setup()
    const events: string[] = []
    const auth = createStaticAuthenticator({
      signingKey: key.publicKeyPem,
      requiredIssuer: 'https://idp.example',
      onEvent: (e) => {
        events.push(e.type)
        listener(e)
      },
    })
    const token = await mintToken({ key, claims: { sub: 'alice', iss: 'https://idp.example' } })
    expect((await auth.authenticate(bearer(token))).subject).toBe('alice')
    expect((await auth.authenticate(bearer(token))).subject).toBe('alice')
    await expect(auth.authenticate(bearer(`${token}x`))).rejects.toMatchObject({
      code: 'token_malformed',
      status: 401,
    })
    await auth.close()
    const data = await points('jwtgate.auth.requests')
    // Every per-request event the authenticator emitted was counted, none invented.
    const perRequest = events.filter((t) => t === 'auth.success' || t === 'auth.failure').length
    expect(data.reduce((sum, p) => sum + (p.value as number), 0)).toBe(perRequest)
  })
})

describe('with a real JWKS authenticator and MockJwksServer', () => {
  let idp: MockJwksServer
  beforeAll(async () => {
    idp = await MockJwksServer.start({ keys: ['RS256', 'ES256'], cacheControl: 'max-age=300' })
  })
  afterAll(() => idp.close())

  it('fetches by status with a duration histogram, keys held, stale age and rate-limited refreshes', async () => {
    const { listener, value, points } = setup()
    const auth = createAuthenticator({
      jwksUri: idp.jwksUri,
      requiredIssuer: idp.issuer,
      refreshRateLimitCount: 1,
      refreshRateLimitTimeWindowMs: 60_000,
      onEvent: listener,
    })
    const host = new URL(idp.jwksUri).host
    const token = await idp.sign({ sub: 'alice' })
    expect((await auth.authenticate(bearer(token))).subject).toBe('alice')

    const ok = { 'jwtgate.jwks.outcome': 'success', 'http.response.status_code': 200 }
    expect(await value('jwtgate.jwks.fetches', { ...ok, 'server.address': host })).toBe(1)
    const histogram = (await points('jwtgate.jwks.fetch.duration')).find((p) =>
      matches(p.attributes, ok),
    )?.value as Histogram | undefined
    expect(histogram?.count).toBe(1)
    expect(histogram?.sum).toBeGreaterThanOrEqual(0)
    expect(histogram?.sum).toBeLessThan(5)
    expect(await value('jwtgate.jwks.keys', { 'server.address': host })).toBe(2)

    // The endpoint fails: a failed fetch by status and reason, and the age of the keys in use.
    idp.injectFault({ type: 'status', status: 503 }, { times: 1 })
    expect(await auth.keySet?.refresh()).toBe(false)
    expect(
      await value('jwtgate.jwks.fetches', {
        'jwtgate.jwks.outcome': 'failure',
        'http.response.status_code': 503,
        'error.type': 'http_503',
      }),
    ).toBe(1)
    const age = (await points('jwtgate.jwks.stale.age'))[0]?.value
    expect(typeof age).toBe('number')
    expect(age).toBeGreaterThanOrEqual(0)

    // Recovered: the stale age is 0 again, the 304 is a success with its own status.
    expect(await auth.keySet?.refresh()).toBe(true)
    expect((await points('jwtgate.jwks.stale.age'))[0]?.value).toBe(0)
    expect(
      await value('jwtgate.jwks.fetches', {
        'jwtgate.jwks.outcome': 'success',
        'http.response.status_code': 304,
      }),
    ).toBe(1)

    // Unknown kids: the one refresh the budget allows, then rate-limited without a fetch.
    const fetchesBefore = idp.requestCount
    for (let i = 0; i < 3; i++) {
      const forged = await idp.sign({ sub: 'mallory' }, { kid: `forged-${String(i)}` })
      await expect(auth.authenticate(bearer(forged))).rejects.toMatchObject({
        code: 'key_not_found',
        status: 401,
      })
    }
    expect(idp.requestCount - fetchesBefore).toBe(1)
    expect(await value('jwtgate.jwks.rate_limited', {})).toBe(2)
    expect(JSON.stringify(await points('jwtgate.jwks.rate_limited'))).not.toContain('forged')
    await auth.close()
  })
})
