import { AUTH_ERRORS, ALL_ALGORITHMS, type AuthEvent } from '@jwtgate/core'
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api'

/** Options of {@link createOtelListener}. */
export interface OtelListenerOptions {
  /**
   * Attributes added to every data point, e.g. `{ 'jwtgate.authenticator': 'partners' }` when
   * several authenticators share one meter. Keep them few and fixed.
   * @defaultValue `{}`
   */
  attributes?: Attributes
}

/** A listener for jwtgate's `onEvent` option. */
export type OtelListener = (event: AuthEvent) => void

/** Histogram buckets for JWKS fetch durations, in seconds (the HTTP client semantic conventions'). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

/** Attribute value for anything outside the known, bounded set of values. */
const OTHER = '_OTHER'

/**
 * Builds an `onEvent` listener that turns jwtgate's events into OpenTelemetry metrics. The
 * instruments are created once, here; the per-request work is a couple of array increments, and
 * the counts are handed to the SDK when it collects.
 *
 * Metrics (every attribute value comes from a fixed set: never a kid, an issuer, a subject or any
 * other attacker-chosen string):
 * - `jwtgate.auth.requests` (counter, `{request}`): `jwtgate.auth.outcome` (`success` |
 *   `failure`), `error.type` (the error code, on failures), `jwtgate.auth.cached` (on successes),
 *   `jwtgate.auth.alg` (a JWS algorithm name, or `_OTHER`). From `auth.success` / `auth.failure`.
 * - `jwtgate.jwks.fetches` (counter, `{fetch}`) and `jwtgate.jwks.fetch.duration` (histogram, `s`):
 *   `jwtgate.jwks.outcome` (`success` | `failure`), `http.response.status_code` (200, 304, or
 *   the failing status), `error.type` (the failure reason: `timeout`, `http_503`, `invalid_jwks`…),
 *   `server.address` (the JWKS or discovery host). From `jwks.fetch` / `jwks.fetch_failed`.
 * - `jwtgate.jwks.keys` (gauge, `{key}`): keys held after the last fetch, by `server.address`.
 * - `jwtgate.jwks.stale.age` (gauge, `s`): how old the keys in use are while refreshes fail
 *   (`jwks.stale`); 0 again after a successful fetch.
 * - `jwtgate.jwks.rate_limited` (counter, `{request}`): unknown-kid refreshes refused by the
 *   refresh rate limit; `jwtgate.jwks.keys_skipped` (counter, `{key}`) by `jwtgate.jwks.skip_reason`.
 * - `jwtgate.events.suppressed` (counter, `{event}`): events dropped by jwtgate's event bound,
 *   by `jwtgate.event.type`.
 *
 * @param meter - an OpenTelemetry `Meter` (`metrics.getMeter('my-service')`)
 * @param options - extra attributes
 * @returns the listener to pass as `onEvent`
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api'
 * import { createOtelListener } from '@jwtgate/otel'
 * import { jwtAuth } from '@jwtgate/express'
 *
 * app.use(jwtAuth({ jwksUri, requiredIssuer, requiredAudience, onEvent: createOtelListener(metrics.getMeter('api')) }))
 * ```
 * @see https://opentelemetry.io/docs/specs/semconv/general/metrics/ (naming)
 */
export function createOtelListener(meter: Meter, options: OtelListenerOptions = {}): OtelListener {
  const base: Attributes = { ...options.attributes }
  const algs = [...ALL_ALGORITHMS, OTHER]
  const algIndex = new Map<unknown, number>(ALL_ALGORITHMS.map((a, i) => [a, i]))
  const codes = [...Object.keys(AUTH_ERRORS), OTHER]
  const codeIndex = new Map<unknown, number>(codes.slice(0, -1).map((c, i) => [c, i]))
  // Nearly all traffic carries one algorithm: remember the last lookup.
  let lastAlg: unknown = undefined
  let lastAlgIndex = algs.length - 1
  const alg = (value: unknown) => {
    if (value !== lastAlg) {
      lastAlg = value
      lastAlgIndex = algIndex.get(value) ?? algs.length - 1
    }
    return lastAlgIndex
  }
  const code = (value: unknown) => codeIndex.get(value) ?? codes.length - 1

  // Per-request counts live in plain arrays (no attribute hashing on the request path); the SDK
  // reads them as cumulative sums when it collects. Cells: [cached][alg] and [code][alg].
  const successes = new Float64Array(2 * algs.length)
  const failures = new Float64Array(codes.length * algs.length)
  const successAttributes = new Map<number, Attributes>()
  const failureAttributes = new Map<number, Attributes>()

  meter
    .createObservableCounter('jwtgate.auth.requests', {
      description: 'Requests authenticated by jwtgate, by outcome and error code',
      unit: '{request}',
    })
    .addCallback((result: ObservableResult) => {
      successes.forEach((value, cell) => {
        if (value === 0) return
        let attributes = successAttributes.get(cell)
        if (attributes === undefined) {
          attributes = {
            ...base,
            'jwtgate.auth.outcome': 'success',
            'jwtgate.auth.cached': cell >= algs.length,
            'jwtgate.auth.alg': algs[cell % algs.length],
          }
          successAttributes.set(cell, attributes)
        }
        result.observe(value, attributes)
      })
      failures.forEach((value, cell) => {
        if (value === 0) return
        let attributes = failureAttributes.get(cell)
        if (attributes === undefined) {
          attributes = {
            ...base,
            'jwtgate.auth.outcome': 'failure',
            'error.type': codes[Math.floor(cell / algs.length)],
            'jwtgate.auth.alg': algs[cell % algs.length],
          }
          failureAttributes.set(cell, attributes)
        }
        result.observe(value, attributes)
      })
    })

  const fetches = meter.createCounter('jwtgate.jwks.fetches', {
    description: 'JWKS and OIDC discovery requests made by jwtgate key sets',
    unit: '{fetch}',
  })
  const duration = meter.createHistogram('jwtgate.jwks.fetch.duration', {
    description: 'Duration of JWKS and OIDC discovery requests',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  })
  const rateLimited = meter.createCounter('jwtgate.jwks.rate_limited', {
    description: 'Unknown-kid refreshes refused by the refresh rate limit',
    unit: '{request}',
  })
  const skipped = meter.createCounter('jwtgate.jwks.keys_skipped', {
    description: 'Keys of a fetched key set that jwtgate could not use',
    unit: '{key}',
  })
  const suppressed = meter.createCounter('jwtgate.events.suppressed', {
    description: 'Events dropped by the per-type event bound',
    unit: '{event}',
  })

  const keysByServer = new Map<string, number>()
  meter
    .createObservableGauge('jwtgate.jwks.keys', {
      description: 'Keys held by the key set after its last successful fetch',
      unit: '{key}',
    })
    .addCallback((result) => {
      for (const [server, keys] of keysByServer)
        result.observe(keys, { ...base, 'server.address': server })
    })
  let staleAgeSeconds: number | undefined
  meter
    .createObservableGauge('jwtgate.jwks.stale.age', {
      description: 'Age of the keys in use while refreshes fail (0 once a refresh succeeds)',
      unit: 's',
    })
    .addCallback((result) => {
      if (staleAgeSeconds !== undefined) result.observe(staleAgeSeconds, base)
    })

  const attributesOfFetch = (event: AuthEvent, ok: boolean): Attributes => {
    const attributes: Attributes = {
      ...base,
      'jwtgate.jwks.outcome': ok ? 'success' : 'failure',
      'server.address': hostOf(field(event, 'url')),
    }
    const status = ok ? field(event, 'status') : statusOfReason(field(event, 'reason'))
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status < 600)
      attributes['http.response.status_code'] = status
    if (!ok) attributes['error.type'] = boundedReason(field(event, 'reason'))
    return attributes
  }
  const recordFetch = (event: AuthEvent, ok: boolean): void => {
    const attributes = attributesOfFetch(event, ok)
    fetches.add(1, attributes)
    const ms = field(event, 'durationMs')
    if (typeof ms === 'number' && ms >= 0) duration.record(ms / 1000, attributes)
  }
  const unknownCode = codes.length - 1
  const otherAlg = algs.length - 1

  return (event) => {
    switch (event.type) {
      case 'auth.success':
        bump(
          successes,
          (field(event, 'cached') === true ? algs.length : 0) + alg(field(event, 'alg')),
          1,
        )
        return
      case 'auth.failure':
        bump(failures, code(field(event, 'code')) * algs.length + alg(field(event, 'alg')), 1)
        return
      case 'jwks.fetch': {
        recordFetch(event, true)
        const keys = field(event, 'keys')
        if (typeof keys === 'number') keysByServer.set(hostOf(field(event, 'url')), keys)
        if (staleAgeSeconds !== undefined) staleAgeSeconds = 0
        return
      }
      case 'jwks.fetch_failed':
        recordFetch(event, false)
        return
      case 'jwks.stale': {
        const ageMs = field(event, 'ageMs')
        if (typeof ageMs === 'number') staleAgeSeconds = ageMs / 1000
        return
      }
      case 'jwks.rate_limited':
        rateLimited.add(1, base)
        return
      case 'jwks.key_skipped':
        skipped.add(1, {
          ...base,
          'jwtgate.jwks.skip_reason': boundedReason(field(event, 'reason')),
        })
        return
      case 'events.suppressed': {
        const count = field(event, 'count')
        if (typeof count !== 'number' || !(count > 0)) return
        const type = boundedType(field(event, 'eventType'))
        suppressed.add(count, { ...base, 'jwtgate.event.type': type })
        // jwtgate reports at most 100 auth.failure events a second; the rest arrive as this count.
        // Their codes are unknown, but the request total stays exact.
        if (type === 'auth.failure') bump(failures, unknownCode * algs.length + otherAlg, count)
        return
      }
      case 'config.warning':
        return
      default:
        return
    }
  }
}

function bump(cells: Float64Array, cell: number, by: number): void {
  cells[cell] = (cells[cell] ?? 0) + by
}

/** One field of an event, whatever its type (every field is optional to rely on: DESIGN.md). */
function field(event: AuthEvent, name: string): unknown {
  return (event as unknown as Record<string, unknown>)[name]
}

/** The host of a configured URL (a handful per process), or `_OTHER`. */
function hostOf(url: unknown): string {
  if (typeof url !== 'string') return OTHER
  try {
    return new URL(url).host
  } catch {
    return OTHER
  }
}

/** `http_503` → 503. */
function statusOfReason(reason: unknown): number | undefined {
  if (typeof reason !== 'string') return undefined
  const match = /^http_(\d{3})$/.exec(reason)
  return match ? Number(match[1]) : undefined
}

/**
 * jwtgate's failure and skip reasons are short snake_case words, sometimes followed by a detail
 * (`invalid_jwks: …`): keep the word, and only if it looks like one.
 */
function boundedReason(reason: unknown): string {
  if (typeof reason !== 'string') return OTHER
  const word = reason.split(':', 1)[0]?.trim() ?? ''
  return /^[a-z][a-z0-9_]{0,39}$/.test(word) ? word : OTHER
}

/** The type of suppressed events: one of jwtgate's own dotted names, or `_OTHER`. */
function boundedType(type: unknown): string {
  return typeof type === 'string' && /^[a-z]+(\.[a-z_]+){1,3}$/.test(type) && type.length <= 40
    ? type
    : OTHER
}
