import { describe, expect, it } from 'vitest'
import { keySetLifetimeMs } from '../src/index.js'
import { retryAfterSeconds } from '../src/cache-control.js'

describe('keySetLifetimeMs (SEC-138)', () => {
  it.each([
    [undefined, 600_000],
    ['max-age=300', 300_000],
    ['public, max-age=120', 120_000],
    ['max-age=0', 30_000],
    ['no-store', 30_000],
    ['no-cache', 30_000],
    ['max-age=31536000', 86_400_000],
    ['max-age=abc', 600_000],
    ['max-age=-5', 600_000],
    ['max-age=10, max-age=20', 600_000],
  ])('Cache-Control %j → %d ms', (value, expected) => {
    expect(keySetLifetimeMs(value === undefined ? {} : { 'cache-control': value }, true)).toBe(
      expected,
    )
  })

  it.each([
    ['max-age=300', '100', 200_000],
    ['max-age=300', '280', 30_000],
    ['max-age=300', '999999', 30_000],
    ['max-age=300', ' 60 ', 240_000],
    ['max-age=300', 'abc', 300_000],
    ['max-age=300', '-20', 300_000],
    ['max-age=31536000', '3600', 86_400_000],
    [undefined, '100', 600_000],
  ])('Cache-Control %j with Age %j → %d ms (max-age − Age, then clamped)', (cc, age, expected) => {
    const headers = cc === undefined ? { age } : { 'cache-control': cc, age }
    expect(keySetLifetimeMs(headers, true)).toBe(expected)
  })

  it('uses the default lifetime when cacheJwksEndpoint is off', () => {
    expect(keySetLifetimeMs({ 'cache-control': 'max-age=60' }, false)).toBe(600_000)
  })
})

describe('retryAfterSeconds', () => {
  it('reads seconds and dates, caps at 5 minutes, ignores garbage', () => {
    expect(retryAfterSeconds('120', 0)).toBe(120)
    expect(retryAfterSeconds('9999', 0)).toBe(300)
    expect(retryAfterSeconds(new Date(60_000).toUTCString(), 0)).toBe(60)
    expect(retryAfterSeconds('soon', 0)).toBeUndefined()
    expect(retryAfterSeconds(undefined, 0)).toBeUndefined()
  })
})
