// What routing by `iss` costs (`issuers`, issue 17): the same HS256 token through one issuer
// configured the classic way (`signingKey` + `requiredIssuer`) and through `issuers` lists of 2
// and 50 entries, token cache off (every call verifies) and on (every call is a hit). HS256 is
// the cheapest verification, so the routing overhead is the largest share of it here.
import { createHmac, randomBytes } from 'node:crypto'
import { createStaticAuthenticator, type AuthRequest, type Authenticator } from '@jwtgate/core'
import { cpuNsPerCall, pairedDifferenceNs } from './measure.js'

/** Per-call cost in nanoseconds, and the routing overhead over one classic issuer. */
export interface IssuersResult {
  /** Uncached verification: ns per call. */
  readonly uncachedNs: { readonly single: number; readonly two: number; readonly fifty: number }
  /** Token-cache hits: ns per call. */
  readonly hitNs: { readonly single: number; readonly two: number; readonly fifty: number }
  /**
   * Uncached: what `issuers` costs over one classic issuer, ns per token (2 and 50 issuers),
   * measured directly in alternating pairs of short batches (the median of the differences), not
   * as the difference of the two figures above, which are each ~6 µs and move by more than the
   * 0.2 µs being measured from one slice to the next.
   */
  readonly routingNs: { readonly two: number; readonly fifty: number }
}

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/**
 * Runs the measurement.
 *
 * @param options - interleaved rounds, milliseconds per slice, log sink
 */
export function runIssuers(options: {
  rounds: number
  ms: number
  log: (line: string) => void
}): IssuersResult {
  const secret = randomBytes(32)
  const issuer = (i: number): string => `https://tenant-${i}.idp.example/`
  const target = issuer(1) // in every list
  const now = Math.floor(Date.now() / 1000)
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: target, sub: 'bench', aud: 'api', iat: now, exp: now + 3600 })}`
  const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  const request: AuthRequest = { headers: { authorization: `Bearer ${token}` } }
  const key = secret.toString('base64')

  const build = (count: number, cached: boolean): Authenticator => {
    const base = { requiredAudience: 'api', tokenCache: cached ? {} : (false as const) }
    if (count === 0)
      return createStaticAuthenticator({ ...base, signingKey: key, requiredIssuer: target })
    return createStaticAuthenticator({
      ...base,
      issuers: Array.from({ length: count }, (_, i) => ({ issuer: issuer(i), signingKey: key })),
    })
  }
  const sizes = [
    ['single', 0],
    ['two', 2],
    ['fifty', 50],
  ] as const
  const measure = (cached: boolean): Record<'single' | 'two' | 'fifty', number> => {
    const auths = sizes.map(([name, n]) => [name, build(n, cached)] as const)
    const samples: Record<string, number[]> = { single: [], two: [], fifty: [] }
    // Warm-up, not recorded: each variant reaches its optimised code before the first timed slice
    // (without it, a first slice still being compiled can be the "fastest" of a noisy variant).
    for (const [, auth] of auths)
      cpuNsPerCall(() => auth.authenticateNow?.(request), options.ms * 3)
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order each round so no contender always runs first (or right after GC).
      for (let j = 0; j < auths.length; j++) {
        const [name, auth] = auths[(round + j) % auths.length] as (typeof auths)[number]
        if (auth.authenticateNow === undefined) throw new Error('authenticateNow is missing')
        globalThis.gc?.()
        samples[name]?.push(cpuNsPerCall(() => auth.authenticateNow?.(request), options.ms))
      }
    }
    for (const [, auth] of auths) void auth.close()
    // The fastest round of each: on a shared machine it is the one least disturbed by others.
    const best = (v: number[] | undefined): number => Math.min(...(v ?? []))
    return { single: best(samples.single), two: best(samples.two), fifty: best(samples.fifty) }
  }
  const uncachedNs = measure(false)
  const hitNs = measure(true)
  // The routing cost itself: the classic issuer and an issuers list alternate in batches of ~2 ms.
  const routing = (count: number): number => {
    const single = build(0, false)
    const many = build(count, false)
    const op = (auth: Authenticator) => () => auth.authenticateNow?.(request)
    pairedDifferenceNs(op(single), op(many), options.ms * 2) // warm-up
    globalThis.gc?.()
    const ns = pairedDifferenceNs(op(single), op(many), options.ms * options.rounds)
    void single.close()
    void many.close()
    return ns
  }
  const result: IssuersResult = {
    uncachedNs,
    hitNs,
    routingNs: { two: routing(2), fifty: routing(50) },
  }
  const f = (ns: number): string => `${ns.toFixed(0)} ns`
  options.log(
    `  uncached HS256: one issuer ${f(uncachedNs.single)}, issuers ×2 ${f(uncachedNs.two)}, ×50 ${f(uncachedNs.fifty)}; routing, paired: ${f(result.routingNs.two)} / ${f(result.routingNs.fifty)} per token (target ≤ 200 ns)`,
  )
  options.log(
    `  cache hit: one issuer ${f(hitNs.single)}, issuers ×2 ${f(hitNs.two)}, ×50 ${f(hitNs.fifty)}`,
  )
  return result
}
