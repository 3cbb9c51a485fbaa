// How long a fetched key set is kept (DESIGN.md, JWKS): without Cache-Control 10 minutes;
// max-age clamped to [30 s, 24 h], so `max-age=0` or `no-store` cannot turn every request into a
// fetch and a year-long max-age cannot pin a compromised key (SEC-138). `Age` (from a CDN or
// another cache on the way) is subtracted from max-age before the clamp.
import type { IncomingHttpHeaders } from 'node:http'

/** Lifetime of a key set when the response says nothing. */
export const DEFAULT_KEY_SET_LIFETIME_MS = 10 * 60_000
/** Shortest lifetime, whatever the response says. */
export const MIN_KEY_SET_LIFETIME_MS = 30_000
/** Longest lifetime, whatever the response says. */
export const MAX_KEY_SET_LIFETIME_MS = 24 * 3_600_000

/**
 * Lifetime of a key set from its response headers: max-age minus Age, clamped to
 * [{@link MIN_KEY_SET_LIFETIME_MS}, {@link MAX_KEY_SET_LIFETIME_MS}]; the default without max-age.
 *
 * @param headers - response headers
 * @param honour - `cacheJwksEndpoint`: when false the default lifetime is used
 */
export function keySetLifetimeMs(headers: IncomingHttpHeaders, honour: boolean): number {
  if (!honour) return DEFAULT_KEY_SET_LIFETIME_MS
  const value = headers['cache-control']
  if (value === undefined) return DEFAULT_KEY_SET_LIFETIME_MS
  const directives = value
    .toLowerCase()
    .split(',')
    .map((d) => d.trim())
  if (directives.includes('no-store') || directives.includes('no-cache'))
    return MIN_KEY_SET_LIFETIME_MS
  const maxAges = directives.filter((d) => d.startsWith('max-age='))
  if (maxAges.length !== 1) return DEFAULT_KEY_SET_LIFETIME_MS
  const raw = maxAges[0]?.slice('max-age='.length) ?? ''
  if (!/^\d+$/.test(raw)) return DEFAULT_KEY_SET_LIFETIME_MS
  // Behind a cache (a CDN) the response is already `Age` seconds old: what is left of its
  // freshness is max-age − Age (RFC 9111 §4.2.3), clamped like max-age itself.
  const ms = (Number(raw) - ageSeconds(headers.age)) * 1000
  return Math.min(MAX_KEY_SET_LIFETIME_MS, Math.max(MIN_KEY_SET_LIFETIME_MS, ms))
}

/** The `Age` header in seconds (RFC 9111 §5.1: delta-seconds); 0 when absent or invalid. */
function ageSeconds(value: string | undefined): number {
  if (value === undefined) return 0
  const v = value.trim()
  return /^\d+$/.test(v) ? Number(v) : 0
}

/**
 * Seconds from a Retry-After header (delta-seconds or HTTP date), capped at 5 minutes.
 *
 * @param value - the header value
 * @param nowMs - wall clock
 */
export function retryAfterSeconds(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const seconds = /^\d+$/.test(value.trim())
    ? Number(value.trim())
    : (Date.parse(value) - nowMs) / 1000
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined
  return Math.min(300, Math.ceil(seconds))
}
