// Memory: a million distinct valid tokens through an authenticator with the default token cache
// (10,000 entries). The heap after the run must stay at the level reached once the cache is full.
import { createStaticAuthenticator, DEFAULTS, type Authenticator } from '@jwtgate/core'
import { AUD, ISS, makeKey, mint } from './tokens.js'

/** Result of the memory run. */
export interface MemoryResult {
  tokens: number
  cacheMax: number
  /** Heap growth (bytes) once the cache holds cacheMax entries. */
  heapAtFullBytes: number
  /** Heap growth (bytes) after all tokens. */
  heapAfterAllBytes: number
  bytesPerEntry: number
  /** heapAfterAll ≤ 1.25 × heapAtFull + 1 MiB. */
  bounded: boolean
  elapsedMs: number
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('the memory benchmark needs node --expose-gc')
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** Sends `tokens` distinct valid HS256 tokens through one cached authenticator. */
export async function runMemory(tokens: number): Promise<MemoryResult> {
  const key = makeKey('HS256')
  const options = { signingKey: key.signingKey, requiredAudience: AUD, requiredIssuer: ISS }
  const auth = createStaticAuthenticator(options)
  const cacheMax = DEFAULTS.tokenCache.max
  const started = Date.now()
  const pass = async (a: Authenticator, from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      await a.authenticate({
        headers: { authorization: `Bearer ${mint(key, { sub: `user-${i}`, jti: `m-${i}` })}` },
      })
    }
  }
  // Warm the code paths on a throw-away authenticator, outside the measurement.
  await pass(createStaticAuthenticator(options), 0, 2000)
  const base = heapUsed()
  await pass(auth, 0, cacheMax)
  const atFull = heapUsed() - base
  await pass(auth, cacheMax, tokens)
  const afterAll = heapUsed() - base
  // keep `auth` (and its cache) reachable until the last measurement
  await auth.authenticate({ headers: { authorization: `Bearer ${mint(key, { sub: 'last' })}` } })
  return {
    tokens,
    cacheMax,
    heapAtFullBytes: atFull,
    heapAfterAllBytes: afterAll,
    bytesPerEntry: atFull / cacheMax,
    bounded: afterAll <= 1.25 * atFull + 1024 * 1024,
    elapsedMs: Date.now() - started,
  }
}
