// Issue 19: the failure backoff is jittered, so replicas that failed together do not retry
// together (docs/scale-out.md). Deterministic: the random source is injected.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { resolveOptions } from '@jwtgate/core'
import { MockJwksServer } from '@jwtgate/testing'
import { retryDelayMs, SelfRefreshingKeySet } from '../src/index.js'

describe('retryDelayMs', () => {
  it('spreads the exponential backoff over [½, 1] × itself', () => {
    const expected = [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]
    for (const [i, backoff] of expected.entries()) {
      const failures = i + 1
      expect(retryDelayMs(failures, 0, 0)).toBe(backoff / 2)
      expect(retryDelayMs(failures, 0, 0.5)).toBe(Math.round(backoff * 0.75))
      expect(retryDelayMs(failures, 0, 0.999_999)).toBe(Math.round(backoff * (0.5 + 0.4999995)))
    }
  })

  it('never retries before the server’s Retry-After, and spreads it over [1, 1.5] × itself', () => {
    expect(retryDelayMs(1, 30_000, 0)).toBe(30_000)
    expect(retryDelayMs(1, 30_000, 0.5)).toBe(37_500)
    expect(retryDelayMs(1, 30_000, 0.999_999)).toBe(Math.round(30_000 * (1 + 0.4999995)))
    // A short Retry-After under a long backoff: the backoff wins.
    expect(retryDelayMs(7, 2000, 0)).toBe(30_000)
  })

  it('clamps a random source outside [0, 1)', () => {
    expect(retryDelayMs(2, 0, -1)).toBe(1000)
    expect(retryDelayMs(2, 0, 7)).toBe(2000)
  })

  it('a fleet that failed at the same moment spreads its retries over the whole interval', () => {
    const waits = new Set<number>()
    for (let i = 0; i < 1000; i++) waits.add(retryDelayMs(4, 0, Math.random()))
    for (const w of waits) {
      expect(w).toBeGreaterThanOrEqual(4000)
      expect(w).toBeLessThanOrEqual(8000)
    }
    // Not lock-step: many distinct retry times (a constant would give one).
    expect(waits.size).toBeGreaterThan(500)
  })
})

describe('SelfRefreshingKeySet schedules the retry with the jitter', () => {
  let server: MockJwksServer
  const open: SelfRefreshingKeySet[] = []
  beforeAll(async () => {
    server = await MockJwksServer.start({ keys: ['ES256'] })
  })
  afterAll(async () => {
    await server.close()
  })
  afterEach(async () => {
    await Promise.all(open.splice(0).map((k) => k.close()))
    server.clearFaults()
  })

  async function failedOnce(random: () => number, fault: Record<string, unknown>) {
    server.injectFault(fault as never)
    const keySet = new SelfRefreshingKeySet(
      resolveOptions({ jwksUri: server.jwksUri, jwksRequestTimeoutMs: 10_000 }),
      { random },
    )
    open.push(keySet)
    // The constructor's first fetch is in flight: refresh() joins it.
    expect(await keySet.refresh()).toBe(false)
    const { lastFailureAt, nextRefreshAt } = keySet.stats()
    if (lastFailureAt === undefined || nextRefreshAt === undefined) throw new Error('no schedule')
    return nextRefreshAt - lastFailureAt
  }

  it.each([
    [0, 500],
    [0.5, 750],
    [0.999, 999],
  ])('random %s: the first retry after %i ms', async (r, ms) => {
    const wait = await failedOnce(() => r, { type: 'status', status: 500 })
    // Two clock readings a few ms apart bracket the scheduled wait.
    expect(wait).toBeGreaterThanOrEqual(ms)
    expect(wait).toBeLessThanOrEqual(ms + 50)
  })

  it('a 429 with Retry-After: 2 waits 2 s to 3 s', async () => {
    const fault = { type: 'status', status: 429, headers: { 'retry-after': '2' } }
    const low = await failedOnce(() => 0, fault)
    expect(low).toBeGreaterThanOrEqual(2000)
    expect(low).toBeLessThanOrEqual(2050)
    await Promise.all(open.splice(0).map((k) => k.close()))
    const high = await failedOnce(() => 0.999, fault)
    expect(high).toBeGreaterThanOrEqual(2997)
    expect(high).toBeLessThanOrEqual(3050)
  })
})
