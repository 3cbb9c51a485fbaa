// The verified-token cache: keyed by the whole token string, filled only after full
// verification, bounded (LRU), entries live at most ttlMs (monotonic clock) and time claims are
// re-checked on every hit by the caller. Dropped whenever the key set changes (SEC-094..101).
//
// Speed (issue 7): hashing a whole 300–900 character token costs more than the rest of a hit, so
// the Map is indexed by the token's last KEY_CHARS characters (signature bytes) and a hit is
// confirmed by comparing the whole token; a tail shared by two tokens only costs a miss. Recency
// is refreshed lazily: a hit moves its entry to the young end only once a quarter of the
// capacity has been inserted after it, so an entry hit at least once per max/2 insertions is
// never evicted, and most hits do no Map writes.
import type { Principal } from './types.js'

/** Tokens longer than this are verified every time rather than held in memory. */
export const MAX_CACHED_TOKEN_LENGTH = 4096
/** Characters of the token's tail that index the cache. */
const KEY_CHARS = 48

interface Entry {
  readonly principal: Principal
  readonly expiresAt: number
  /** Insertion tick: the Map's order is ascending `seq`. */
  seq: number
}

const keyOf = (token: string): string =>
  token.length > KEY_CHARS ? token.slice(token.length - KEY_CHARS) : token

/** A small LRU map from token to principal. */
export class TokenCache {
  readonly #max: number
  readonly #promoteAge: number
  readonly #ttlMs: number
  #map = new Map<string, Entry>()
  #generation: number
  #tick = 0

  constructor(max: number, ttlMs: number, generation: number) {
    this.#max = max
    this.#promoteAge = max >> 2
    this.#ttlMs = ttlMs
    this.#generation = generation
  }

  /** The cached principal, or undefined; drops everything when the key-set generation moved. */
  get(token: string, generation: number, now: number): Principal | undefined {
    if (generation !== this.#generation) {
      this.#map = new Map()
      this.#generation = generation
      return undefined
    }
    const key = keyOf(token)
    const entry = this.#map.get(key)
    if (entry === undefined || entry.principal.token !== token) return undefined
    if (entry.expiresAt <= now) {
      this.#map.delete(key)
      return undefined
    }
    if (this.#tick - entry.seq > this.#promoteAge) {
      // Older than a quarter of the capacity: refresh recency by re-inserting at the young end.
      this.#map.delete(key)
      entry.seq = ++this.#tick
      this.#map.set(key, entry)
    }
    return entry.principal
  }

  /** Stores a verified principal; `msUntilExp` (from the token's exp) bounds the entry's life too. */
  set(principal: Principal, generation: number, now: number, msUntilExp: number | undefined): void {
    if (principal.token.length > MAX_CACHED_TOKEN_LENGTH || generation < this.#generation) return
    if (generation > this.#generation) {
      this.#map = new Map()
      this.#generation = generation
    }
    const life = msUntilExp === undefined ? this.#ttlMs : Math.min(this.#ttlMs, msUntilExp)
    if (life <= 0) return
    const key = keyOf(principal.token)
    this.#map.delete(key) // a re-set or a shared tail moves to the young end
    this.#map.set(key, { principal, expiresAt: now + life, seq: ++this.#tick })
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
  }

  /** Drops every entry (the authenticator was closed). */
  clear(): void {
    this.#map = new Map()
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#map.size
  }
}
