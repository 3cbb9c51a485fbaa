import {
  ASYMMETRIC_ALGORITHMS,
  AuthError,
  ConfigError,
  createEmitter,
  describeKey,
  MIN_MAX_STALE_MS,
  type AuthenticatorHealth,
  type Emit,
  type JwsAlgorithm,
  type KeyResolver,
  type KeySelector,
  type ResolvedOptions,
  type VerificationKey,
  type KeyDescription,
} from '@jwtgate/core'
import { DEFAULT_KEY_SET_LIFETIME_MS, MIN_KEY_SET_LIFETIME_MS } from './cache-control.js'
import { FetchError } from './fetch-limited.js'
import { KeySetRetriever, reasonOf, type RetrieverOptions } from './key-set-retriever.js'
import { parseJwkList } from './parse-jwks.js'

/** Default of `maxStaleMs`: 24 hours. */
export const DEFAULT_MAX_STALE_MS = 86_400_000

/** A key set saved with the time it was fetched: what {@link SelfRefreshingKeySet.exportKeys} returns. */
export interface ExportedKeySet {
  /** The public JWKs of the last good set. */
  readonly jwks: { readonly keys: readonly Readonly<Record<string, unknown>>[] }
  /** When they were fetched (or last confirmed unchanged), in ms since the epoch. */
  readonly fetchedAt: number
}

/** `initialJwks`: a plain JWK Set, or what {@link SelfRefreshingKeySet.exportKeys} returned. */
export type InitialKeySet =
  | { readonly keys: readonly unknown[] }
  | { readonly jwks: { readonly keys: readonly unknown[] }; readonly fetchedAt: number }

/** The operations options a key set reads besides the transport ones. */
export interface KeySetOperationsOptions {
  /** How long known keys keep verifying without a successful refresh. @defaultValue 86400000 */
  readonly maxStaleMs?: number | undefined
  /** Keys usable before the first fetch (serverless cold starts). */
  readonly initialJwks?: InitialKeySet | undefined
  /** Tolerance for an `initialJwks.fetchedAt` slightly in the future (another host's clock). */
  readonly clockSkewToleranceSeconds?: number | undefined
}

const CLOSED_HEALTH: AuthenticatorHealth = Object.freeze({
  status: 'unavailable',
  keys: 0,
  lastError: 'closed',
})
const STARTING_HEALTH: AuthenticatorHealth = Object.freeze({ status: 'starting', keys: 0 })
const MAX_TIMER_MS = 2_147_483_647

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
  /**
   * Random numbers in [0, 1) for the retry jitter; defaults to `Math.random`. Tests pass a fixed
   * source to make the backoff deterministic.
   */
  random?: () => number
}

type WaitOutcome = 'ok' | 'failed' | 'timeout'

const MAX_BACKOFF_MS = 60_000

/**
 * How long to wait before retrying after the `failures`-th consecutive failed refresh, with jitter
 * so that a fleet of replicas that failed together does not retry together (docs/scale-out.md):
 * the exponential backoff (1 s, 2 s, 4 s … 60 s) spread over [½, 1] × itself, and the server's
 * `Retry-After`, when it sent one, spread over [1, 1.5] × itself (never earlier than it asked).
 * The larger of the two wins.
 *
 * @param failures - consecutive failures, at least 1
 * @param retryAfterMs - the server's `Retry-After` in ms, 0 when it sent none
 * @param random - a number in [0, 1)
 * @returns the wait in ms
 */
export function retryDelayMs(failures: number, retryAfterMs: number, random: number): number {
  const r = Math.min(Math.max(random, 0), 1)
  const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1))
  return Math.round(Math.max(backoff * (0.5 + 0.5 * r), retryAfterMs * (1 + 0.5 * r)))
}

/**
 * Keys from a JWKS endpoint, kept fresh. The OpenSearch 3.3 `SelfRefreshingKeySet` model, made
 * sturdier:
 * - an unknown `kid` triggers one refresh, shared by every concurrent request (single flight);
 *   a request waits at most `jwksQueuedThreadTimeoutMs` for it;
 * - unknown-kid refreshes are limited to `refreshRateLimitCount` per
 *   `refreshRateLimitTimeWindowMs`; past the limit an unknown kid fails fast with key_not_found;
 * - a failed refresh keeps the last good keys (stale-while-error, up to `maxStaleMs`) and retries
 *   with a jittered exponential backoff ({@link retryDelayMs});
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
  readonly #random: () => number
  readonly #queueTimeoutMs: number
  readonly #rateWindowMs: number
  readonly #rateCount: number

  #byKid = new Map<string, VerificationKey[]>()
  #keys: readonly VerificationKey[] = []
  #kidlessByAlg = new Map<JwsAlgorithm, VerificationKey[]>()
  #loaded = false
  /** Keys are installed and younger than maxStaleMs: select() answers from them. */
  #usable = false
  readonly #maxStaleMs: number
  /** Wall time the keys in hand were fetched (or confirmed by a 304), or initialJwks.fetchedAt. */
  #fetchedAt: number | undefined
  /** The public JWKs of the keys in hand, for exportKeys(). */
  #jwks: readonly Readonly<Record<string, unknown>>[] = []
  #keyCount = 0
  #expiryTimer: NodeJS.Timeout | undefined
  /** Short reason of the last failure (or `initial_jwks_expired`), for health(); cleared by a success. */
  #lastReason: string | undefined
  #waiters: { resolve: () => void; reject: (e: AuthError) => void }[] = []
  #fingerprint: string | undefined
  #etag: string | undefined
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
   * Starts the first fetch at once (in the background; failures are retried with backoff), or,
   * with a usable `initialJwks`, uses those keys at once and fetches when they are due.
   *
   * @param options - resolved options with `jwksUri` or `openidConnectUrl`
   * @param deps - optional retriever and event sink
   * @throws `ConfigError` for `maxStaleMs` below 60 s (twice the shortest key-set refresh interval),
   *   and for an `initialJwks` that is not a JWK Set, holds no usable key, has too many keys or a
   *   `fetchedAt` in the future
   */
  constructor(
    options: RetrieverOptions &
      Pick<
        ResolvedOptions,
        | 'jwksQueuedThreadTimeoutMs'
        | 'refreshRateLimitTimeWindowMs'
        | 'refreshRateLimitCount'
        | 'onEvent'
      > &
      KeySetOperationsOptions,
    deps: SelfRefreshingKeySetDeps = {},
  ) {
    this.#maxStaleMs = options.maxStaleMs ?? DEFAULT_MAX_STALE_MS
    if (this.#maxStaleMs < MIN_MAX_STALE_MS) {
      throw new ConfigError(
        'maxStaleMs',
        `must be at least ${MIN_MAX_STALE_MS} (twice the shortest key-set refresh interval, ${MIN_KEY_SET_LIFETIME_MS / 1000} s): keys refresh every maxStaleMs / 2 and would otherwise be fetched more often than every ${MIN_KEY_SET_LIFETIME_MS / 1000} s`,
      )
    }
    this.#emit = deps.emit ?? createEmitter(options.onEvent)
    this.#random = deps.random ?? Math.random
    this.#retriever = deps.retriever ?? new KeySetRetriever(options, this.#emit)
    this.#queueTimeoutMs = options.jwksQueuedThreadTimeoutMs
    this.#rateWindowMs = options.refreshRateLimitTimeWindowMs
    this.#rateCount = options.refreshRateLimitCount
    this.#issuerFromDiscovery =
      options.openidConnectUrl !== undefined && options.requiredIssuer === undefined
    if (this.#issuerFromDiscovery) this.#trustedIssuers = new Set()
    const dueInMs =
      options.initialJwks === undefined ? 0 : this.#loadInitial(options.initialJwks, options)
    if (dueInMs > 0) this.#schedule(dueInMs)
    else void this.refresh()
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
    if (!this.#usable) return this.#selectWhenLoaded(selector)
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
        this.#fetchedAt = Date.now()
        this.#stats.lastRefreshAt = this.#fetchedAt
        this.#lastReason = undefined
        if (result.notModified) {
          this.#stats.notModified++
          // The keys in hand are confirmed: usable again even if they had passed maxStaleMs.
          if (this.#loaded) this.#usable = true
        } else {
          this.#etag = result.etag
          this.#stats.skippedKeys = result.skipped.length
          if (result.fingerprint !== this.#fingerprint)
            this.#install(result.keys, result.fingerprint, result.jwks ?? [])
          else this.#usable = true
        }
        this.#armExpiry()
        // Refreshed at least every maxStaleMs / 2, so a healthy IdP never lets keys go stale.
        this.#schedule(Math.min(result.lifetimeMs, this.#maxStaleMs / 2))
        return true
      } catch (e) {
        if (this.#closed) return false
        this.#consecutiveFailures++
        this.#lastError = e
        this.#stats.failures++
        this.#stats.lastFailureAt = Date.now()
        this.#stats.lastFailureReason = reasonOf(e)
        this.#lastReason = this.#stats.lastFailureReason
        const serverWait =
          e instanceof FetchError && e.retryAfterSeconds !== undefined
            ? e.retryAfterSeconds * 1000
            : 0
        const wait = retryDelayMs(this.#consecutiveFailures, serverWait, this.#random())
        this.#nextAttemptMono = performance.now() + wait
        if (this.#usable && this.#fetchedAt !== undefined) {
          this.#emit({
            type: 'jwks.stale',
            ageMs: Date.now() - this.#fetchedAt,
            maxStaleMs: this.#maxStaleMs,
          })
        }
        this.#schedule(wait)
        return false
      } finally {
        this.#inflight = undefined
        this.#abort = undefined
        this.#settleWaiters()
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

  /**
   * Resolves once keys are usable: at once when they are; otherwise after the next successful
   * fetch. Rejects with `AuthError` jwks_unavailable (its `cause` is the fetch error, whose
   * `reason` says why) when that attempt fails; a later call waits for the attempt after it.
   */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#unavailable())
    if (this.#usable) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject })
    })
  }

  /**
   * The state of the keys, for readiness and liveness probes: synchronous, no I/O, and no
   * allocation beyond the returned object.
   */
  health(): AuthenticatorHealth {
    if (this.#closed) return CLOSED_HEALTH
    const fetchedAt = this.#fetchedAt
    if (this.#usable) {
      if (this.#consecutiveFailures === 0)
        return { status: 'ok', keys: this.#keyCount, lastRefreshAt: fetchedAt }
      return {
        status: 'stale',
        keys: this.#keyCount,
        lastRefreshAt: fetchedAt,
        staleForMs: fetchedAt === undefined ? undefined : Date.now() - fetchedAt,
        lastError: this.#lastReason,
      }
    }
    if (fetchedAt === undefined && this.#consecutiveFailures === 0) return STARTING_HEALTH
    return {
      status: this.#consecutiveFailures === 0 ? 'starting' : 'unavailable',
      keys: 0,
      lastRefreshAt: fetchedAt,
      staleForMs: fetchedAt === undefined ? undefined : Date.now() - fetchedAt,
      lastError: this.#lastReason,
    }
  }

  /**
   * The last good key set as public JWKs with the time it was fetched, to save and hand to
   * `initialJwks` at the next cold start; undefined before any key was loaded.
   */
  exportKeys(): ExportedKeySet | undefined {
    if (!this.#loaded || this.#fetchedAt === undefined || this.#jwks.length === 0) return undefined
    return Object.freeze({ jwks: Object.freeze({ keys: this.#jwks }), fetchedAt: this.#fetchedAt })
  }

  /** Stops the refresh timer and aborts a fetch in flight; later selects fail with jwks_unavailable. */
  close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    clearTimeout(this.#expiryTimer)
    this.#timer = undefined
    this.#stats.nextRefreshAt = undefined
    this.#abort?.abort()
    this.#settleWaiters()
    return Promise.resolve()
  }

  /** Validates and installs `initialJwks`; returns in how many ms the first fetch is due. */
  #loadInitial(
    initial: InitialKeySet,
    options: Pick<ResolvedOptions, 'maxJwksKeys'> & KeySetOperationsOptions,
  ): number {
    const saved = 'jwks' in initial ? initial : undefined
    const list: unknown = saved
      ? (saved.jwks as { keys?: unknown } | undefined)?.keys
      : (initial as { keys?: unknown }).keys
    const listName = saved ? 'initialJwks.jwks.keys' : 'initialJwks.keys'
    if (!Array.isArray(list)) throw new ConfigError(listName, 'must be a list of JWKs')
    const now = Date.now()
    let fetchedAt = now
    if (saved) {
      const skewMs = (options.clockSkewToleranceSeconds ?? 30) * 1000
      if (typeof saved.fetchedAt !== 'number' || !Number.isFinite(saved.fetchedAt))
        throw new ConfigError('initialJwks.fetchedAt', 'must be a time in milliseconds')
      if (saved.fetchedAt > now + skewMs) {
        throw new ConfigError(
          'initialJwks.fetchedAt',
          `is in the future (${new Date(saved.fetchedAt).toISOString()}): keys cannot have been fetched then`,
        )
      }
      fetchedAt = Math.min(saved.fetchedAt, now)
    }
    let parsed
    try {
      parsed = parseJwkList(list, options.maxJwksKeys)
    } catch (e) {
      throw new ConfigError(listName, e instanceof Error ? e.message : 'is not a JWK Set')
    }
    for (const k of parsed.skipped)
      this.#emit({ type: 'jwks.key_skipped', kid: k.kid, reason: k.reason })
    if (parsed.keys.length === 0) {
      const reasons = [...new Set(parsed.skipped.map((k) => k.reason))].join('; ')
      throw new ConfigError(listName, `holds no usable key${reasons ? ` (${reasons})` : ''}`)
    }
    this.#install(parsed.keys, 'initialJwks', parsed.jwks)
    this.#fetchedAt = fetchedAt
    this.#stats.skippedKeys = parsed.skipped.length
    const age = now - fetchedAt
    if (age >= this.#maxStaleMs) {
      // Accepted, but not used: too old to trust until a fetch confirms or replaces them.
      this.#usable = false
      this.#lastReason = 'initial_jwks_expired'
      return 0
    }
    this.#armExpiry()
    return Math.min(DEFAULT_KEY_SET_LIFETIME_MS, this.#maxStaleMs / 2) - age
  }

  /** Withdraws the keys once they are maxStaleMs old (re-armed by every successful fetch). */
  #armExpiry(): void {
    clearTimeout(this.#expiryTimer)
    this.#expiryTimer = undefined
    if (this.#closed || this.#fetchedAt === undefined) return
    const left = this.#fetchedAt + this.#maxStaleMs - Date.now()
    if (left <= 0) {
      this.#expire()
      return
    }
    this.#expiryTimer = setTimeout(
      () => {
        this.#armExpiry()
      },
      Math.min(left, MAX_TIMER_MS),
    )
    this.#expiryTimer.unref()
  }

  #expire(): void {
    if (!this.#usable) return
    this.#usable = false
    // A new generation drops the verified-token cache: no cached token outlives its key.
    this.#generation++
    this.#stats.generation = this.#generation
    this.#emit({
      type: 'jwks.stale',
      ageMs: this.#fetchedAt === undefined ? 0 : Date.now() - this.#fetchedAt,
      maxStaleMs: this.#maxStaleMs,
      expired: true,
    })
  }

  /** Settles ready() callers after an attempt (or close). */
  #settleWaiters(): void {
    if (this.#waiters.length === 0) return
    if (this.#usable && !this.#closed) {
      for (const w of this.#waiters.splice(0)) w.resolve()
      return
    }
    if (this.#inflight !== undefined && !this.#closed) return
    const error = this.#unavailable()
    for (const w of this.#waiters.splice(0)) w.reject(error)
  }

  #install(
    keys: readonly VerificationKey[],
    fingerprint: string,
    jwks: readonly Readonly<Record<string, unknown>>[],
  ): void {
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
    this.#usable = true
    this.#jwks = jwks
    this.#keyCount = keys.length
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
    if (outcome !== 'ok' || !this.#usable) throw this.#unavailable()
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
