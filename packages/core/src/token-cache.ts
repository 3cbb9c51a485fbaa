// The verified-token cache: keyed by the whole token string, filled only after full
// verification, bounded (LRU), entries live at most ttlMs (monotonic clock) and time claims are
// re-checked on every hit by the caller. Dropped whenever the key set changes (SEC-094..101).
import type { Principal } from './types.js'

/** Tokens longer than this are verified every time rather than held in memory. */
export const MAX_CACHED_TOKEN_LENGTH = 4096

interface Entry {
  readonly principal: Principal
  readonly expiresAt: number
}

/** A small LRU map from token to principal. */
export class TokenCache {
  readonly #max: number
  readonly #ttlMs: number
  #map = new Map<string, Entry>()
  #generation: number

  constructor(max: number, ttlMs: number, generation: number) {
    this.#max = max
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
    const entry = this.#map.get(token)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.#map.delete(token)
      return undefined
    }
    // Refresh recency: re-insert at the end.
    this.#map.delete(token)
    this.#map.set(token, entry)
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
    this.#map.set(principal.token, { principal, expiresAt: now + life })
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#map.size
  }
}
