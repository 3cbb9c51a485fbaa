import { resolveOptions, type VerificationKey } from '@jwtgate/core'
import { importJwk, SelfRefreshingKeySet, type RetrievalResult } from '@jwtgate/jwks'
import { generateTestKey } from '@jwtgate/testing'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  DEFAULT_SETTINGS,
  lifetimeMs,
  meanPerSecond,
  simulate,
  type KeySetSettings,
  type Scenario,
} from '../src/fleet.js'

const NO_LIMIT_IDP = { cacheControl: 'none', latencyMs: 50 } as const

let key: VerificationKey
beforeAll(async () => {
  const imported = importJwk((await generateTestKey('ES256', { kid: 'k1' })).publicJwk)
  if (typeof imported === 'string') throw new Error(imported)
  key = imported
})
afterEach(() => {
  vi.useRealTimers()
})

/**
 * The real SelfRefreshingKeySet, driven on fake timers by a forged token every `periodMs`, with a
 * retriever that answers after `latencyMs` with a set of lifetime `lifetime`: how many fetches?
 */
async function realFetches(
  settings: KeySetSettings,
  run: { durationMs: number; periodMs: number; latencyMs: number; lifetime: number },
): Promise<number> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
  let fetches = 0
  const result: RetrievalResult = {
    notModified: false,
    keys: [key],
    skipped: [],
    fingerprint: 'same',
    etag: undefined,
    lifetimeMs: run.lifetime,
    bytes: 100,
    url: 'https://idp.example/jwks',
    status: 200,
  }
  const retriever = {
    retrieve: async () => {
      fetches++
      await new Promise((resolve) => setTimeout(resolve, run.latencyMs))
      return result
    },
  }
  const options = resolveOptions({
    jwksUri: 'https://idp.example/jwks',
    refreshRateLimitCount: settings.refreshRateLimitCount,
    refreshRateLimitTimeWindowMs: settings.refreshRateLimitTimeWindowMs,
  })
  const keySet = new SelfRefreshingKeySet(options, { retriever })
  for (let t = run.periodMs, k = 0; t < run.durationMs; t += run.periodMs, k++) {
    await vi.advanceTimersByTimeAsync(run.periodMs)
    try {
      const selected = keySet.select({ alg: 'ES256', kid: `forged-${String(k)}` })
      if (selected instanceof Promise) selected.catch(() => undefined)
    } catch {
      // key_not_found / jwks_unavailable: refused without a fetch
    }
  }
  await vi.advanceTimersByTimeAsync(run.periodMs)
  await keySet.close()
  return fetches
}

describe('the model makes the decisions the real key set makes', () => {
  const cases: [string, KeySetSettings, { periodMs: number; latencyMs: number }][] = [
    ['defaults, a forged token every 130 ms', DEFAULT_SETTINGS, { periodMs: 130, latencyMs: 37 }],
    [
      '3 refreshes per 2 s, a forged token every 70 ms',
      { ...DEFAULT_SETTINGS, refreshRateLimitCount: 3, refreshRateLimitTimeWindowMs: 2000 },
      { periodMs: 70, latencyMs: 37 },
    ],
    [
      '1 refresh per 5 s, a forged token every 20 ms (most join the fetch in flight)',
      { ...DEFAULT_SETTINGS, refreshRateLimitCount: 1, refreshRateLimitTimeWindowMs: 5000 },
      { periodMs: 20, latencyMs: 45 },
    ],
  ]
  it.each(cases)('%s', async (_name, settings, { periodMs, latencyMs }) => {
    const durationMs = 75_000 // two scheduled refreshes (30 s lifetime) on top of the flood
    const lifetime = 30_000
    const real = await realFetches(settings, { durationMs, periodMs, latencyMs, lifetime })
    const model = simulate({
      replicas: 1,
      durationMs,
      startSpreadMs: 0,
      settings,
      idp: { cacheControl: 'no-cache', latencyMs },
      flood: { startMs: 0, endMs: durationMs, perSecond: 1000 / periodMs, regular: true },
    })
    expect(model.idpRequests).toBeGreaterThan(10)
    expect(model.idpRequests).toBe(real)
  })
})

describe('simulate', () => {
  const base: Scenario = {
    replicas: 100,
    durationMs: 3_600_000,
    startSpreadMs: 60_000,
    settings: DEFAULT_SETTINGS,
    idp: NO_LIMIT_IDP,
  }

  it('lifetime follows cache-control.ts: 10 min by default, max-age clamped to [30 s, 24 h]', () => {
    const s = DEFAULT_SETTINGS
    expect(lifetimeMs(s, NO_LIMIT_IDP)).toBe(600_000)
    expect(lifetimeMs(s, { ...NO_LIMIT_IDP, cacheControl: 'no-cache' })).toBe(30_000)
    expect(lifetimeMs(s, { ...NO_LIMIT_IDP, cacheControl: 5 })).toBe(30_000)
    expect(lifetimeMs(s, { ...NO_LIMIT_IDP, cacheControl: 3600 })).toBe(3_600_000)
    expect(lifetimeMs(s, { ...NO_LIMIT_IDP, cacheControl: 10 ** 7 })).toBe(86_400_000)
    expect(
      lifetimeMs({ ...s, cacheJwksEndpoint: false }, { ...NO_LIMIT_IDP, cacheControl: 5 }),
    ).toBe(600_000)
  })

  it('steady state: N replicas fetch N / lifetime times a second; discovery adds one request per replica', () => {
    const r = simulate(base)
    expect(meanPerSecond(r, 600_000, 3_600_000)).toBeCloseTo(100 / 600, 2)
    const d = simulate({ ...base, settings: { ...DEFAULT_SETTINGS, discovery: true } })
    expect(d.discoveryRequests).toBe(100)
    expect(d.idpRequests).toBe(r.idpRequests + 100)
  })

  it('a flood costs each replica at most refreshRateLimitCount per window, whatever its size', () => {
    const flood = { startMs: 120_000, endMs: 180_000, perSecond: 20_000 }
    const r = simulate({ ...base, durationMs: 200_000, flood })
    expect(meanPerSecond(r, 125_000, 175_000)).toBeLessThanOrEqual(100 * 1.01)
    expect(meanPerSecond(r, 125_000, 175_000)).toBeGreaterThan(90)
    const hardened = simulate({
      ...base,
      durationMs: 200_000,
      flood,
      settings: {
        ...DEFAULT_SETTINGS,
        refreshRateLimitCount: 1,
        refreshRateLimitTimeWindowMs: 60_000,
      },
    })
    expect(hardened.forcedRefreshes).toBeLessThanOrEqual(100)
  })

  it('a rotation used at once costs one fetch per replica; a shared cache turns it into a handful', () => {
    const rotation = { publishAtMs: 300_000, useAtMs: 300_000, legitPerReplicaPerSecond: 20 }
    const scenario = { ...base, durationMs: 400_000, rotation }
    const r = simulate(scenario)
    expect(r.forcedRefreshes).toBe(100)
    expect(r.legitFailures).toBe(0)
    expect(r.convergedAfterMs).toBeLessThan(2000)
    const shared = simulate({ ...scenario, sharedCache: { ttlMs: 5_000 } })
    expect(shared.replicaRequests).toBeGreaterThanOrEqual(r.replicaRequests)
    expect(shared.idpRequests).toBeLessThan(r.idpRequests / 5)
    expect(shared.convergedAfterMs).toBeLessThan(10_000)
  })

  it('a rate-limited identity provider answers 429 and the replicas back off', () => {
    const rotation = { publishAtMs: 300_000, useAtMs: 300_000, legitPerReplicaPerSecond: 20 }
    const limit = { burst: 20, perSecond: 20, retryAfter: false }
    const r = simulate({
      ...base,
      durationMs: 400_000,
      rotation,
      idp: { ...NO_LIMIT_IDP, limit },
    })
    expect(r.throttled).toBeGreaterThan(0)
    expect(r.legitFailures).toBeGreaterThan(0)
    expect(r.convergedAfterMs).toBeGreaterThan(2000)
  })

  it('is repeatable: the same seed gives the same run', () => {
    const flood = { startMs: 120_000, endMs: 180_000, perSecond: 500 }
    const a = simulate({ ...base, durationMs: 200_000, flood, seed: 7 })
    const b = simulate({ ...base, durationMs: 200_000, flood, seed: 7 })
    expect(a).toEqual(b)
  })
})
