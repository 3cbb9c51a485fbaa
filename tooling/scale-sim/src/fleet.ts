// A discrete-event model of N replicas, each holding its own jwtgate key set, in front of one
// identity provider. Every decision a replica makes mirrors packages/jwks/src/self-refreshing-key-set.ts
// (and its tests compare the two on the same inputs):
// - the first fetch starts at once and does not count toward the refresh rate limit;
// - after a successful fetch the next one is scheduled after the key set's lifetime: max-age clamped
//   to [30 s, 24 h], `no-cache` / `no-store` → 30 s, no Cache-Control (or cacheJwksEndpoint: false)
//   → 10 min;
// - an unknown kid joins the refresh in flight (single flight); otherwise, while a failing endpoint
//   is in its backoff, it is jwks_unavailable; otherwise it spends one unit of the sliding-window
//   budget (refreshRateLimitCount per refreshRateLimitTimeWindowMs) or, with none left, is
//   key_not_found without any request;
// - a failed fetch keeps the old keys and is retried after max(backoff, Retry-After): backoff is
//   1 s, 2 s, 4 s … capped at 60 s, Retry-After is capped at 300 s;
// - with OIDC discovery the document is fetched before the first JWKS request, and again after a
//   failed JWKS request.
// Time is virtual (milliseconds); randomness comes from a seeded generator, so a run is repeatable.

/** jwtgate's key-set options that shape the traffic at the identity provider. */
export interface KeySetSettings {
  /** Unknown-kid refreshes allowed per window (jwtgate default 10). */
  refreshRateLimitCount: number
  /** The window, in ms (jwtgate default 10000). */
  refreshRateLimitTimeWindowMs: number
  /** Honour Cache-Control (jwtgate default true); false: always 10 minutes. */
  cacheJwksEndpoint: boolean
  /** `openidConnectUrl` instead of `jwksUri`: a discovery request before the first JWKS request. */
  discovery: boolean
}

/** jwtgate's defaults. */
export const DEFAULT_SETTINGS: KeySetSettings = {
  refreshRateLimitCount: 10,
  refreshRateLimitTimeWindowMs: 10_000,
  cacheJwksEndpoint: true,
  discovery: false,
}

/** The identity provider (or whatever answers the JWKS URL). */
export interface IdpSettings {
  /** What its JWKS responses say: `max-age` seconds, `no-cache`, or nothing. */
  cacheControl: number | 'no-cache' | 'none'
  /** Round trip of one request, ms. */
  latencyMs: number
  /**
   * A token-bucket rate limit on the requests it counts (the vendors publish burst + sustained
   * figures): over it, 429. `retryAfter`: the 429 carries Retry-After (seconds until a token).
   */
  limit?: { burst: number; perSecond: number; retryAfter: boolean }
}

/**
 * A shared HTTP cache between the fleet and the identity provider (an nginx `proxy_cache` with
 * `proxy_cache_lock`, a CDN): it answers every replica from one copy for `ttlMs` and sends at most
 * one request upstream at a time.
 */
export interface SharedCache {
  ttlMs: number
}

/** One run. */
export interface Scenario {
  replicas: number
  durationMs: number
  /** Replicas start at uniformly random times in [0, startSpreadMs] (0: all at once). */
  startSpreadMs: number
  settings: KeySetSettings
  idp: IdpSettings
  sharedCache?: SharedCache
  /**
   * A key rotation: the new key is published at `publishAtMs`, and every token is signed with it
   * from `useAtMs` on. Each replica sees `legitPerReplicaPerSecond` such tokens (Poisson).
   */
  rotation?: { publishAtMs: number; useAtMs: number; legitPerReplicaPerSecond: number }
  /**
   * Forged tokens with random kids, `perSecond` across the fleet (spread evenly by the load
   * balancer): Poisson arrivals, or `regular` ones (every replica at startMs + k / rate, k ≥ 1;
   * used to compare the model with the real key set step by step).
   */
  flood?: { startMs: number; endMs: number; perSecond: number; regular?: boolean }
  /**
   * Not jwtgate's behaviour today, a proposal to measure: spread each retry delay uniformly over
   * [½, 1] × (backoff or Retry-After) and each scheduled refresh over [0.9, 1] × lifetime, so that
   * replicas that failed together do not retry together.
   */
  jitter?: boolean
  seed?: number
}

/** What the identity provider saw, and what the users saw. */
export interface Result {
  /** Requests that reached the identity provider (JWKS + discovery), 429s included. */
  idpRequests: number
  /** Of those, discovery requests. */
  discoveryRequests: number
  /** Of those, answered 429. */
  throttled: number
  /** 429s per second of the run. */
  throttledPerSecond: number[]
  /** Requests per second at the identity provider, one entry per second of the run. */
  perSecond: number[]
  /** Highest one-second count. */
  peakPerSecond: number
  /** Requests the replicas sent (to the shared cache, when there is one). */
  replicaRequests: number
  /** Unknown-kid refreshes the replicas started (budget spent). */
  forcedRefreshes: number
  /** Rotation: legitimate requests refused (≈, key_not_found or jwks_unavailable). */
  legitFailures: number
  /** Rotation: ms from `useAtMs` until every replica holds the new key (0 if all had it before). */
  convergedAfterMs: number | undefined
}

/** Mean requests per second at the identity provider between two instants of the run. */
export function meanPerSecond(result: Result, fromMs: number, toMs: number): number {
  const from = Math.floor(fromMs / 1000)
  const to = Math.min(result.perSecond.length, Math.ceil(toMs / 1000))
  let sum = 0
  for (let s = from; s < to; s++) sum += result.perSecond[s] ?? 0
  return to > from ? sum / (to - from) : 0
}

const MIN_LIFETIME_MS = 30_000
const DEFAULT_LIFETIME_MS = 600_000
const MAX_LIFETIME_MS = 86_400_000
const MAX_BACKOFF_MS = 60_000
const MAX_RETRY_AFTER_S = 300

/** The key set's lifetime as jwtgate computes it from the response (cache-control.ts). */
export function lifetimeMs(settings: KeySetSettings, idp: IdpSettings): number {
  if (!settings.cacheJwksEndpoint || idp.cacheControl === 'none') return DEFAULT_LIFETIME_MS
  if (idp.cacheControl === 'no-cache') return MIN_LIFETIME_MS
  return Math.min(MAX_LIFETIME_MS, Math.max(MIN_LIFETIME_MS, idp.cacheControl * 1000))
}

/** mulberry32: small, fast, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type EventKind =
  | 'start'
  | 'timer'
  | 'discovery-response'
  | 'jwks-response'
  | 'flood'
  | 'legit'
  | 'publish'
  | 'cache-response'

interface SimEvent {
  at: number
  seq: number
  kind: EventKind
  replica: number
  /** timer generation, or the response's outcome */
  token: number
  ok: boolean
  version: number
  retryAfterS: number
}

/** A binary min-heap on (at, seq). */
class Queue {
  readonly #items: SimEvent[] = []
  #seq = 0
  get size(): number {
    return this.#items.length
  }
  push(e: Omit<SimEvent, 'seq'>): void {
    const item = e as SimEvent
    item.seq = this.#seq++
    const a = this.#items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = a[p] as SimEvent
      if (before(parent, item)) break
      a[i] = parent
      i = p
    }
    a[i] = item
  }
  pop(): SimEvent | undefined {
    const a = this.#items
    const top = a[0]
    const last = a.pop()
    if (top === undefined || last === undefined || a.length === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= a.length) break
      const r = l + 1
      const c = r < a.length && before(a[r] as SimEvent, a[l] as SimEvent) ? r : l
      if (before(last, a[c] as SimEvent)) break
      a[i] = a[c] as SimEvent
      i = c
    }
    a[i] = last
    return top
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq)
}

interface Replica {
  loaded: boolean
  inflight: boolean
  discovered: boolean
  version: number
  failures: number
  nextAttemptAt: number
  timerGeneration: number
  /** when the key set's (single) timer is due */
  timerAt: number
  /** the earliest live timer event in the queue (Infinity: none) */
  timerEventAt: number
  refreshTimes: number[]
  /** a legitimate token joined the refresh in flight at this instant (undefined: none) */
  legitJoinedAt: number | undefined
  /** a forged token joined the refresh in flight: the next one is drawn when it ends */
  floodParked: boolean
  knewAt: number | undefined
}

/**
 * Runs one scenario.
 *
 * @param scenario - the fleet, its settings, the identity provider and the events
 * @returns what the identity provider saw
 */
export function simulate(scenario: Scenario): Result {
  const { settings, idp, replicas: n } = scenario
  const random = rng(scenario.seed ?? 1)
  const exp = (ratePerMs: number) => -Math.log(1 - random()) / ratePerMs
  const queue = new Queue()
  const push = (at: number, kind: EventKind, replica: number, token = 0): void => {
    queue.push({ at, kind, replica, token, ok: true, version: 0, retryAfterS: 0 })
  }
  const lifetime = lifetimeMs(settings, idp)
  const seconds = Math.ceil(scenario.durationMs / 1000)
  const perSecond = Array.from({ length: seconds }, () => 0)
  const result: Result = {
    idpRequests: 0,
    discoveryRequests: 0,
    throttled: 0,
    throttledPerSecond: Array.from({ length: seconds }, () => 0),
    perSecond,
    peakPerSecond: 0,
    replicaRequests: 0,
    forcedRefreshes: 0,
    legitFailures: 0,
    convergedAfterMs: undefined,
  }
  let idpVersion = 0
  const bucket = { tokens: idp.limit?.burst ?? 0, at: 0 }

  /** One request reaching the identity provider at `at`: counted, then admitted or 429. */
  const idpRequest = (at: number, discovery: boolean): { ok: boolean; retryAfterS: number } => {
    result.idpRequests++
    if (discovery) result.discoveryRequests++
    const s = Math.floor(at / 1000)
    if (s < seconds) perSecond[s] = (perSecond[s] ?? 0) + 1
    const limit = idp.limit
    if (limit === undefined) return { ok: true, retryAfterS: 0 }
    bucket.tokens = Math.min(
      limit.burst,
      bucket.tokens + ((at - bucket.at) / 1000) * limit.perSecond,
    )
    bucket.at = at
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { ok: true, retryAfterS: 0 }
    }
    result.throttled++
    if (s < seconds) result.throttledPerSecond[s] = (result.throttledPerSecond[s] ?? 0) + 1
    const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond))
    return { ok: false, retryAfterS: limit.retryAfter ? Math.min(MAX_RETRY_AFTER_S, wait) : 0 }
  }

  // The shared cache: one copy for ttlMs, one upstream request at a time; replicas asking while it
  // is being fetched wait for it (proxy_cache_lock).
  const cache = {
    version: -1,
    freshUntil: -Infinity,
    fetching: false,
    waiters: [] as { replica: number; discovery: boolean }[],
  }

  /** A replica's request (JWKS or discovery): answered by the cache or the identity provider. */
  const send = (replica: number, at: number, discovery: boolean): void => {
    result.replicaRequests++
    const kind: EventKind = discovery ? 'discovery-response' : 'jwks-response'
    if (scenario.sharedCache === undefined) {
      const { ok, retryAfterS } = idpRequest(at, discovery)
      queue.push({
        at: at + idp.latencyMs,
        kind,
        replica,
        token: 0,
        ok,
        version: idpVersion,
        retryAfterS,
      })
      return
    }
    // Inside the data centre: answered in ~1 ms when fresh.
    if (at < cache.freshUntil) {
      queue.push({
        at: at + 1,
        kind,
        replica,
        token: 0,
        ok: true,
        version: cache.version,
        retryAfterS: 0,
      })
      return
    }
    cache.waiters.push({ replica, discovery })
    if (!cache.fetching) {
      cache.fetching = true
      const { ok, retryAfterS } = idpRequest(at, false)
      queue.push({
        at: at + idp.latencyMs,
        kind: 'cache-response',
        replica: -1,
        token: 0,
        ok,
        version: idpVersion,
        retryAfterS,
      })
    }
  }

  const state: Replica[] = Array.from({ length: n }, () => ({
    loaded: false,
    inflight: false,
    discovered: false,
    version: -1,
    failures: 0,
    nextAttemptAt: 0,
    timerGeneration: 0,
    timerAt: Infinity,
    timerEventAt: Infinity,
    refreshTimes: [],
    legitJoinedAt: undefined,
    floodParked: false,
    knewAt: undefined,
  }))

  // The key set has one timer, reset by every fetch. Most resets move it later, so instead of one
  // queue event per reset, the event already queued re-queues itself when it fires early.
  const schedule = (i: number, r: Replica, at: number): void => {
    r.timerAt = at
    if (r.timerEventAt > at) {
      r.timerEventAt = at
      push(at, 'timer', i, ++r.timerGeneration)
    }
  }

  const refresh = (i: number, r: Replica, at: number): void => {
    if (r.inflight) return
    r.inflight = true
    send(i, at, settings.discovery && !r.discovered)
  }

  const succeed = (i: number, r: Replica, at: number, version: number): void => {
    r.inflight = false
    r.failures = 0
    r.nextAttemptAt = 0
    r.loaded = true
    r.version = Math.max(r.version, version)
    if (r.knewAt === undefined && r.version >= 1) r.knewAt = at
    // Legitimate tokens that joined needed the new key: found now, or key_not_found.
    settle(i, r, at, r.version >= 1)
    schedule(i, r, at + (scenario.jitter === true ? lifetime * (0.9 + 0.1 * random()) : lifetime))
  }

  const fail = (i: number, r: Replica, at: number, retryAfterS: number): void => {
    r.inflight = false
    r.discovered = false
    r.failures++
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (r.failures - 1))
    let wait = Math.max(backoff, retryAfterS * 1000)
    if (scenario.jitter === true) wait *= 0.5 + 0.5 * random()
    r.nextAttemptAt = at + wait
    settle(i, r, at, false)
    schedule(i, r, at + wait)
  }

  /**
   * A refresh ended. Every token that arrived while it was in flight joined it (Poisson arrivals
   * are memoryless, so they are counted in expectation and the next arrival is drawn from now on).
   */
  const settle = (i: number, r: Replica, at: number, found: boolean): void => {
    if (r.legitJoinedAt !== undefined && rotation !== undefined) {
      const joined = 1 + rotation.legitPerReplicaPerSecond * ((at - r.legitJoinedAt) / 1000)
      if (!found) result.legitFailures += joined
      r.legitJoinedAt = undefined
      if (!found) push(at + exp(rotation.legitPerReplicaPerSecond / 1000), 'legit', i)
    }
    if (r.floodParked) {
      r.floodParked = false
      push(nextForged(at), 'flood', i)
    }
  }

  const takeBudget = (r: Replica, at: number): boolean => {
    const since = at - settings.refreshRateLimitTimeWindowMs
    while (r.refreshTimes.length > 0 && (r.refreshTimes[0] ?? 0) <= since) r.refreshTimes.shift()
    if (r.refreshTimes.length >= settings.refreshRateLimitCount) return false
    r.refreshTimes.push(at)
    return true
  }

  /**
   * A token whose kid the replica does not hold. Returns 'joined' (waits for a refresh), or the
   * instant until which every such token will be refused the same way (for the Poisson skip).
   */
  const unknownKid = (i: number, r: Replica, at: number): 'joined' | number => {
    if (!r.loaded) {
      if (r.inflight) return 'joined'
      if (at >= r.nextAttemptAt) {
        refresh(i, r, at)
        return 'joined'
      }
      return r.nextAttemptAt
    }
    if (r.inflight) return 'joined'
    if (r.failures > 0 && at < r.nextAttemptAt) return r.nextAttemptAt
    if (!takeBudget(r, at)) return (r.refreshTimes[0] ?? at) + settings.refreshRateLimitTimeWindowMs
    result.forcedRefreshes++
    refresh(i, r, at)
    return 'joined'
  }

  // Seed the queue.
  for (let i = 0; i < n; i++) {
    const at = scenario.startSpreadMs > 0 ? random() * scenario.startSpreadMs : 0
    push(at, 'start', i)
  }
  const { rotation, flood } = scenario
  if (rotation !== undefined) {
    push(rotation.publishAtMs, 'publish', -1)
    const rate = rotation.legitPerReplicaPerSecond / 1000
    for (let i = 0; i < n; i++) push(rotation.useAtMs + exp(rate), 'legit', i)
  }
  const floodRate = flood === undefined ? 0 : flood.perSecond / n / 1000
  /** The next forged token at a replica strictly after `from`. */
  const nextForged = (from: number): number => {
    if (flood?.regular !== true) return from + exp(floodRate)
    const period = 1 / floodRate
    return flood.startMs + (Math.floor((from - flood.startMs) / period) + 1) * period
  }
  if (flood !== undefined) {
    for (let i = 0; i < n; i++) push(nextForged(flood.startMs), 'flood', i)
  }

  for (let e = queue.pop(); e !== undefined && e.at < scenario.durationMs; e = queue.pop()) {
    const at = e.at
    if (e.kind === 'publish') {
      idpVersion = 1
      continue
    }
    if (e.kind === 'cache-response') {
      cache.fetching = false
      const waiters = cache.waiters.splice(0)
      if (e.ok) {
        cache.version = e.version
        cache.freshUntil = at + (scenario.sharedCache?.ttlMs ?? 0)
      }
      for (const w of waiters) {
        queue.push({
          at: at + 1,
          kind: w.discovery ? 'discovery-response' : 'jwks-response',
          replica: w.replica,
          token: 0,
          ok: e.ok,
          version: cache.version,
          retryAfterS: e.retryAfterS,
        })
      }
      continue
    }
    const i = e.replica
    const r = state[i] as Replica
    switch (e.kind) {
      case 'start':
        refresh(i, r, at)
        break
      case 'timer':
        if (e.token !== r.timerGeneration) break
        r.timerEventAt = Infinity
        if (at < r.timerAt) schedule(i, r, r.timerAt)
        else refresh(i, r, at)
        break
      case 'discovery-response':
        if (e.ok) {
          r.discovered = true
          send(i, at, false)
        } else fail(i, r, at, e.retryAfterS)
        break
      case 'jwks-response':
        if (e.ok) succeed(i, r, at, e.version)
        else fail(i, r, at, e.retryAfterS)
        break
      case 'flood': {
        if (flood === undefined || at >= flood.endMs) break
        const outcome = unknownKid(i, r, at)
        if (outcome === 'joined') r.floodParked = true
        // Refused without a request: so is every forged token until `outcome`; draw the next
        // one that matters from there (Poisson arrivals are memoryless).
        else push(nextForged(Math.max(at, outcome - 1e-9)), 'flood', i)
        break
      }
      case 'legit': {
        if (rotation === undefined || r.version >= 1) break
        const outcome = unknownKid(i, r, at)
        if (outcome === 'joined') r.legitJoinedAt = at
        else {
          // This one and (in expectation) every legitimate token until `outcome` are refused.
          result.legitFailures += 1 + rotation.legitPerReplicaPerSecond * ((outcome - at) / 1000)
          push(Math.max(at, outcome) + exp(rotation.legitPerReplicaPerSecond / 1000), 'legit', i)
        }
        break
      }
    }
  }

  result.peakPerSecond = perSecond.reduce((a, b) => Math.max(a, b), 0)
  result.legitFailures = Math.round(result.legitFailures)
  if (rotation !== undefined) {
    let worst = 0
    for (const r of state) {
      if (r.knewAt === undefined) {
        worst = Infinity
        break
      }
      worst = Math.max(worst, r.knewAt - rotation.useAtMs)
    }
    result.convergedAfterMs = worst === Infinity ? undefined : Math.max(0, worst)
  }
  return result
}
