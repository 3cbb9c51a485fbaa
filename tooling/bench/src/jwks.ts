// JWKS under pressure, in-process against a real MockJwksServer over loopback HTTP:
// - herd: N concurrent requests carrying a kid nobody has seen → exactly one fetch;
// - flood: requests with random unknown kids mixed with valid ones → fetches within the refresh
//   rate limit, every flood request refused, every valid request accepted, and their p99.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { isAuthError, type AuthRequest } from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import { MockJwksServer } from '@jwtgate/testing'
import { percentile } from './measure.js'
import { AUD, ISS } from './tokens.js'

const bearer = (token: string): AuthRequest => ({ headers: { authorization: `Bearer ${token}` } })

/** Result of the herd run. */
export interface HerdResult {
  requests: number
  fetches: number
  accepted: number
  elapsedMs: number
}

/** Result of the flood run. */
export interface FloodResult {
  floodRequests: number
  validRequests: number
  fetches: number
  /** Most fetches the rate limit allows over the run. */
  fetchBound: number
  rateLimitCount: number
  rateLimitWindowMs: number
  rateLimited: number
  floodAccepted: number
  floodCodes: Record<string, number>
  validAccepted: number
  validP50Ms: number
  validP99Ms: number
  elapsedMs: number
}

/** N simultaneous requests whose kid was just published: one fetch serves them all. */
export async function runHerd(requests: number): Promise<HerdResult> {
  const idp = await MockJwksServer.start({
    keys: ['ES256'],
    issuer: ISS,
    cacheControl: 'max-age=300',
  })
  const auth = createAuthenticator({
    jwksUri: idp.jwksUri,
    requiredAudience: AUD,
    requiredIssuer: ISS,
    tokenCache: false,
  })
  try {
    await auth.authenticate(bearer(await idp.sign({ sub: 'warm-up', aud: AUD })))
    await idp.rotate() // a new key, now the signing key; the authenticator has not seen its kid
    const request = bearer(await idp.sign({ sub: 'herd', aud: AUD }))
    const before = idp.requestCount
    const started = performance.now()
    const settled = await Promise.allSettled(
      Array.from({ length: requests }, () => auth.authenticate(request)),
    )
    return {
      requests,
      fetches: idp.requestCount - before,
      accepted: settled.filter((s) => s.status === 'fulfilled').length,
      elapsedMs: performance.now() - started,
    }
  } finally {
    await auth.close()
    await idp.close()
  }
}

/** A flood of random unknown kids with one valid request in every `validEvery`. */
export async function runFlood(
  floodRequests: number,
  validEvery = 10,
  concurrency = 64,
): Promise<FloodResult> {
  const idp = await MockJwksServer.start({
    keys: ['ES256'],
    issuer: ISS,
    cacheControl: 'max-age=300',
  })
  const rateLimitCount = 10
  const rateLimitWindowMs = 10_000
  const auth = createAuthenticator({
    jwksUri: idp.jwksUri,
    requiredAudience: AUD,
    requiredIssuer: ISS,
    refreshRateLimitCount: rateLimitCount,
    refreshRateLimitTimeWindowMs: rateLimitWindowMs,
  })
  const valid = bearer(await idp.sign({ sub: 'alice', aud: AUD }, { expiresIn: 3600 }))
  const payload = Buffer.from(
    JSON.stringify({ sub: 'admin', aud: AUD, iss: ISS, exp: 9_999_999_999 }),
  ).toString('base64url')
  const signature = randomBytes(64).toString('base64url')
  const forged = (): AuthRequest => {
    const header = Buffer.from(
      JSON.stringify({ alg: 'ES256', kid: randomBytes(8).toString('hex') }),
    ).toString('base64url')
    return bearer(`${header}.${payload}.${signature}`)
  }
  try {
    await auth.authenticate(valid) // start-up fetch, not counted
    const before = idp.requestCount
    const total = floodRequests + Math.floor(floodRequests / validEvery)
    const latencies: number[] = []
    const floodCodes: Record<string, number> = {}
    let floodAccepted = 0
    let validAccepted = 0
    let next = 0
    const started = performance.now()
    const worker = async (): Promise<void> => {
      for (let i = next++; i < total; i = next++) {
        if (i % (validEvery + 1) === validEvery) {
          const t = performance.now()
          try {
            await auth.authenticate(valid)
            validAccepted++
          } catch {
            // counted as not accepted
          }
          latencies.push(performance.now() - t)
        } else {
          try {
            await auth.authenticate(forged())
            floodAccepted++
          } catch (err) {
            const code = isAuthError(err) ? err.code : 'crash'
            floodCodes[code] = (floodCodes[code] ?? 0) + 1
          }
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    const elapsedMs = performance.now() - started
    const fetches = idp.requestCount - before
    return {
      floodRequests: total - latencies.length,
      validRequests: latencies.length,
      fetches,
      fetchBound: rateLimitCount * Math.max(1, Math.ceil(elapsedMs / rateLimitWindowMs)),
      rateLimitCount,
      rateLimitWindowMs,
      rateLimited: auth.keySet?.stats().rateLimited ?? 0,
      floodAccepted,
      floodCodes,
      validAccepted,
      validP50Ms: percentile(latencies, 50),
      validP99Ms: percentile(latencies, 99),
      elapsedMs,
    }
  } finally {
    await auth.close()
    await idp.close()
  }
}
