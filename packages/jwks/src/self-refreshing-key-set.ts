import {
  ASYMMETRIC_ALGORITHMS,
  AuthError,
  createEmitter,
  describeKey,
  type Emit,
  type JwsAlgorithm,
  type KeyResolver,
  type KeySelector,
  type ResolvedOptions,
  type VerificationKey,
  type KeyDescription,
} from '@jwtgate/core'
import { FetchError } from './fetch-limited.js'
import { KeySetRetriever, reasonOf, type RetrieverOptions } from './key-set-retriever.js'

/** Counters and state of a key set, for metrics and the demo's `/api/keys`. */
export interface KeySetStats {
  /** HTTP fetches that completed with 200 or 304. */
  fetches: number
  /** Of those, 304 Not Modified answers. */
  notModified: number
  /** Fetches that failed (network, status, size, invalid document). */
  failures: number
  /** Unknown-kid refreshes refused by the rate limit. */
  rateLimited: number
  /** Requests that waited for a refresh in flight. */
  waits: number
  /** Of those, waits that passed `jwksQueuedThreadTimeoutMs`. */
  waitTimeouts: number
  /** Key ids currently held (a kid-less key counts as `""`). */
  kids: string[]
  /** Number of keys currently held. */
  keys: number
  /** Keys skipped in the last successful fetch. */
  skippedKeys: number
  /** Wall-clock time (ms) of the last successful fetch, if any. */
  lastRefreshAt: number | undefined
  /** Wall-clock time (ms) of the last failed fetch, if any, and its reason. */
  lastFailureAt: number | undefined
  lastFailureReason: string | undefined
  /** Wall-clock time (ms) of the next scheduled refresh. */
  nextRefreshAt: number | undefined
  /** Increments whenever the set of keys changes. */
  generation: number
}

/** Optional collaborators, for tests and custom transports. */
export interface SelfRefreshingKeySetDeps {
  /** Fetches key sets; defaults to a {@link KeySetRetriever} over the options. */
  retriever?: Pick<KeySetRetriever, 'retrieve'>
  /** Event sink; defaults to the `onEvent` option. */
  emit?: Emit
}

type WaitOutcome = 'ok' | 'failed' | 'timeout'

const MAX_BACKOFF_MS = 60_000

/**
 * Keys from a JWKS endpoint, kept fresh. The OpenSearch 3.3 `SelfRefreshingKeySet` model, made
 * sturdier:
 * - an unknown `kid` triggers one refresh, shared by every concurrent request (single flight);
 *   a request waits at most `jwksQueuedThreadTimeoutMs` for it;
 * - unknown-kid refreshes are limited to `refreshRateLimitCount` per
 *   `refreshRateLimitTimeWindowMs`; past the limit an unknown kid fails fast with key_not_found;
 * - a failed refresh keeps the last good keys (stale-while-error) and retries with backoff;
 * - the set is refreshed when its cache lifetime ends, so rotation is seen without a failure.
 *
 * @example
 * ```ts
 * const keySet = new SelfRefreshingKeySet(resolveOptions({ jwksUri: 'https://idp.example/jwks' }))
 * const auth = createKeyResolverAuthenticator(options, keySet)
 * console.log(keySet.stats().kids)
 * await keySet.close()
 * ```
 */
export class SelfRefreshingKeySet implements KeyResolver {
  /** A remote key set verifies asymmetric algorithms only (never HS*). */
  readonly algorithms: ReadonlySet<JwsAlgorithm> = new Set(ASYMMETRIC_ALGORITHMS)
  #generation = 0

  readonly #retriever: Pick<KeySetRetriever, 'retrieve'>
  readonly #emit: Emit
  readonly #queueTimeoutMs: number
  readonly #rateWindowMs: number
  readonly #rateCount: number

  #byKid = new Map<string, VerificationKey[]>()
  #keys: readonly VerificationKey[] = []
  #kidlessByAlg = new Map<JwsAlgorithm, VerificationKey[]>()
  #loaded = false
  #fingerprint: string | undefined
  #etag: string | undefined
  #loadedAtMono = 0
  #inflight: Promise<boolean> | undefined
  #abort: AbortController | undefined
  #timer: NodeJS.Timeout | undefined
  #refreshTimes: number[] = []
  #consecutiveFailures = 0
  /** Why the last refresh failed (cleared by a success); the 503's `cause`. */
  #lastError: unknown
  /** Tokens must name the discovered issuer: openidConnectUrl without requiredIssuer. */
  readonly #issuerFromDiscovery: boolean
  #trustedIssuers: ReadonlySet<string> | undefined
  #nextAttemptMono = 0
  #closed = false
  readonly #stats: KeySetStats = {
    fetches: 0,
    notModified: 0,
    failures: 0,
    rateLimited: 0,
    waits: 0,
    waitTimeouts: 0,
    kids: [],
    keys: 0,
    skippedKeys: 0,
    lastRefreshAt: undefined,
    lastFailureAt: undefined,
    lastFailureReason: undefined,
    nextRefreshAt: undefined,
    generation: 0,
  }

  /**
   * Starts the first fetch at once (in the background; failures are retried with backoff).
   *
   * @param options - resolved options with `jwksUri` or `openidConnectUrl`
   * @param deps - optional retriever and event sink
   */
  constructor(
    options: RetrieverOptions &
      Pick<
        ResolvedOptions,
        | 'jwksQueuedThreadTimeoutMs'
        | 'refreshRateLimitTimeWindowMs'
        | 'refreshRateLimitCount'
        | 'onEvent'
      >,
    deps: SelfRefreshingKeySetDeps = {},
  ) {
    this.#emit = deps.emit ?? createEmitter(options.onEvent)
    this.#retriever = deps.retriever ?? new KeySetRetriever(options, this.#emit)
    this.#queueTimeoutMs = options.jwksQueuedThreadTimeoutMs
    this.#rateWindowMs = options.refreshRateLimitTimeWindowMs
    this.#rateCount = options.refreshRateLimitCount
    this.#issuerFromDiscovery =
      options.openidConnectUrl !== undefined && options.requiredIssuer === undefined
    if (this.#issuerFromDiscovery) this.#trustedIssuers = new Set()
    void this.refresh()
  }

  /** Changes whenever the set of keys changes (the token cache is dropped then). */
  get generation(): number {
    return this.#generation
  }

  /**
   * With `openidConnectUrl` and no `requiredIssuer`: the issuer the discovery document named
   * (empty until discovery succeeded, so no token is accepted before), which tokens must carry.
   * Otherwise undefined: the `requiredIssuer` option, if any, decides.
   */
  get trustedIssuers(): ReadonlySet<string> | undefined {
    return this.#trustedIssuers
  }

  /**
   * Keys to try for a token: by `kid`; without `kid`, the single key compatible with `alg`.
   * Synchronous when the answer is known; a promise when it needs a refresh.
   *
   * @throws `AuthError` key_not_found, jwks_unavailable
   */
  select(selector: KeySelector): readonly VerificationKey[] | Promise<readonly VerificationKey[]> {
    if (this.#closed) throw this.#unavailable()
    if (!this.#loaded) return this.#selectWhenLoaded(selector)
    const { alg, kid } = selector
    if (kid === undefined) {
      // Kid-less tokens never trigger a refresh (SEC-126).
      const candidates = this.#kidlessByAlg.get(alg)
      if (candidates?.length !== 1) throw new AuthError('key_not_found')
      return candidates
    }
    const list = this.#byKid.get(kid)
    if (list === undefined) return this.#selectUnknownKid(alg, kid)
    if (list.length === 1) {
      if (list[0]?.algorithms.has(alg)) return list
      throw new AuthError('key_not_found')
    }
    const compatible = list.filter((k) => k.algorithms.has(alg))
    if (compatible.length === 0) throw new AuthError('key_not_found')
    return compatible
  }

  /**
   * Fetches the key set now, or joins the fetch already in flight.
   *
   * @returns true when the fetch succeeded (keys replaced or confirmed unchanged)
   */
  refresh(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false)
    if (this.#inflight) return this.#inflight
    const controller = new AbortController()
    this.#abort = controller
    const run = async (): Promise<boolean> => {
      try {
        const result = await this.#retriever.retrieve(this.#etag, controller.signal)
        if (this.#closed) return false
        this.#consecutiveFailures = 0
        this.#nextAttemptMono = 0
        this.#lastError = undefined
        if (
          this.#issuerFromDiscovery &&
          result.issuer !== undefined &&
          !this.#trustedIssuers?.has(result.issuer)
        ) {
          this.#trustedIssuers = new Set([result.issuer])
        }
        this.#stats.fetches++
        this.#stats.lastRefreshAt = Date.now()
        this.#loadedAtMono = performance.now()
        if (result.notModified) {
          this.#stats.notModified++
        } else {
          this.#etag = result.etag
          this.#stats.skippedKeys = result.skipped.length
          if (result.fingerprint !== this.#fingerprint)
            this.#install(result.keys, result.fingerprint)
        }
        this.#schedule(result.lifetimeMs)
        return true
      } catch (e) {
        if (this.#closed) return false
        this.#consecutiveFailures++
        this.#lastError = e
        this.#stats.failures++
        this.#stats.lastFailureAt = Date.now()
        this.#stats.lastFailureReason = reasonOf(e)
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.#consecutiveFailures - 1))
        const serverWait =
          e instanceof FetchError && e.retryAfterSeconds !== undefined
            ? e.retryAfterSeconds * 1000
            : 0
        const wait = Math.max(backoff, serverWait)
        this.#nextAttemptMono = performance.now() + wait
        if (this.#loaded)
          this.#emit({
            type: 'jwks.stale',
            ageMs: Math.round(performance.now() - this.#loadedAtMono),
          })
        this.#schedule(wait)
        return false
      } finally {
        this.#inflight = undefined
        this.#abort = undefined
      }
    }
    const promise = run()
    this.#inflight = promise
    return promise
  }

  /** The keys on offer (kid, type, algorithms; never key material), for `explain()`. */
  describeKeys(): readonly KeyDescription[] {
    return this.#keys.map(describeKey)
  }

  /** A snapshot of the counters and the current kids. */
  stats(): KeySetStats {
    return { ...this.#stats, kids: [...this.#stats.kids] }
  }

  /** Stops the refresh timer and aborts a fetch in flight; later selects fail with jwks_unavailable. */
  close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#stats.nextRefreshAt = undefined
    this.#abort?.abort()
    return Promise.resolve()
  }

  #install(keys: readonly VerificationKey[], fingerprint: string): void {
    const byKid = new Map<string, VerificationKey[]>()
    const byAlg = new Map<JwsAlgorithm, VerificationKey[]>()
    for (const key of keys) {
      if (key.kid !== undefined) {
        const list = byKid.get(key.kid) ?? []
        list.push(key)
        byKid.set(key.kid, list)
      }
      for (const alg of key.algorithms) {
        const list = byAlg.get(alg) ?? []
        list.push(key)
        byAlg.set(alg, list)
      }
    }
    // Swapped at once: there is never an empty window (SEC-133).
    this.#byKid = byKid
    this.#keys = keys
    this.#kidlessByAlg = byAlg
    this.#fingerprint = fingerprint
    this.#loaded = true
    this.#generation++
    this.#stats.generation = this.#generation
    this.#stats.keys = keys.length
    this.#stats.kids = keys.map((k) => k.kid ?? '')
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer)
    if (this.#closed) return
    this.#stats.nextRefreshAt = Date.now() + ms
    this.#timer = setTimeout(() => {
      void this.refresh()
    }, ms)
    this.#timer.unref()
  }

  async #selectWhenLoaded(selector: KeySelector): Promise<readonly VerificationKey[]> {
    // Before the first successful fetch: wait for one in flight, or start one when the
    // backoff allows; never one fetch per request.
    let pending = this.#inflight
    if (pending === undefined && performance.now() >= this.#nextAttemptMono)
      pending = this.refresh()
    if (pending === undefined) throw this.#unavailable()
    const outcome = await this.#wait(pending)
    if (outcome !== 'ok' || !this.#loaded) throw this.#unavailable()
    return this.select(selector)
  }

  async #selectUnknownKid(alg: JwsAlgorithm, kid: string): Promise<readonly VerificationKey[]> {
    let pending = this.#inflight
    if (pending === undefined) {
      const now = performance.now()
      if (now < this.#nextAttemptMono && this.#consecutiveFailures > 0) {
        // The endpoint is failing: we cannot tell whether this kid is real (SEC-136).
        throw this.#unavailable()
      }
      if (!this.#takeRefreshBudget(now)) {
        this.#stats.rateLimited++
        this.#emit({ type: 'jwks.rate_limited', kid })
        throw new AuthError('key_not_found')
      }
      pending = this.refresh()
    }
    const outcome = await this.#wait(pending)
    if (outcome !== 'ok') throw this.#unavailable()
    const list = this.#byKid.get(kid)?.filter((k) => k.algorithms.has(alg))
    if (list === undefined || list.length === 0) throw new AuthError('key_not_found')
    return list
  }

  /** Sliding-window budget for unknown-kid refreshes; the first fetch never counts. */
  #takeRefreshBudget(now: number): boolean {
    const since = now - this.#rateWindowMs
    while (this.#refreshTimes.length > 0 && (this.#refreshTimes[0] ?? 0) <= since)
      this.#refreshTimes.shift()
    if (this.#refreshTimes.length >= this.#rateCount) return false
    this.#refreshTimes.push(now)
    return true
  }

  #wait(pending: Promise<boolean>): Promise<WaitOutcome> {
    this.#stats.waits++
    return new Promise<WaitOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.#stats.waitTimeouts++
        resolve('timeout')
      }, this.#queueTimeoutMs)
      void pending.then((ok) => {
        clearTimeout(timer)
        resolve(ok ? 'ok' : 'failed')
      })
    })
  }

  /** jwks_unavailable with Retry-After: seconds until the next refresh may run (at least 1). */
  #unavailable(): AuthError {
    const now = performance.now()
    let waitMs = Math.max(0, this.#nextAttemptMono - now)
    if (this.#refreshTimes.length >= this.#rateCount && this.#refreshTimes[0] !== undefined) {
      waitMs = Math.max(waitMs, this.#refreshTimes[0] + this.#rateWindowMs - now)
    }
    return new AuthError('jwks_unavailable', {
      retryAfter: Math.max(1, Math.ceil(waitMs / 1000)),
      ...(this.#lastError === undefined ? {} : { cause: this.#lastError }),
    })
  }
}
