import { performance } from 'node:perf_hooks'
import type { AuthEvent, BoundedEventType } from '../types.js'
import { escapeForLog } from './control.js'

/** Emits an event; a listener that throws is ignored (DESIGN.md, Events). */
export type Emit = (event: AuthEvent) => void

/** At most this many events of one bounded type are delivered per second. */
export const MAX_EVENTS_PER_SECOND = 100
const WINDOW_MS = 1000

/** Options for {@link createEmitter}. */
export interface EmitterOptions {
  /** Monotonic clock in milliseconds, for tests. @defaultValue performance.now */
  now?: () => number
}

interface Window {
  start: number
  delivered: number
  suppressed: number
  timer: ReturnType<typeof setTimeout> | undefined
}

const BOUNDED: ReadonlySet<string> = new Set<BoundedEventType>([
  'auth.failure',
  'jwks.rate_limited',
])

/**
 * Wraps `onEvent` so that events are safe to log and cannot flood:
 * - a listener that throws is ignored;
 * - `kid` and `iss` fields (attacker-chosen strings) are escaped (C0, DEL, C1 and bidi controls
 *   become `\uXXXX`) and cut to 64 characters;
 * - per-request events (`auth.failure`, `jwks.rate_limited`) are bounded: at most 100 per second
 *   per type, then one `events.suppressed { eventType, count }` per second for the rest.
 *
 * Without a listener it returns a no-op, so emitting costs nothing.
 *
 * @param onEvent - the user's listener, if any
 * @param options - a clock for tests
 * @returns a safe emitter
 * @example
 * ```ts
 * const emit = createEmitter(options.onEvent)
 * emit({ type: 'jwks.rate_limited', kid })
 * ```
 */
export function createEmitter(
  onEvent: ((event: AuthEvent) => void) | undefined,
  options: EmitterOptions = {},
): Emit {
  if (onEvent === undefined) return () => undefined
  const now = options.now ?? (() => performance.now())
  const windows = new Map<string, Window>()

  const deliver = (event: AuthEvent): void => {
    try {
      onEvent(sanitize(event))
    } catch {
      // ignored by contract
    }
  }

  const flush = (type: BoundedEventType, w: Window): void => {
    clearTimeout(w.timer)
    w.timer = undefined
    if (w.suppressed === 0) return
    const count = w.suppressed
    w.suppressed = 0
    deliver({ type: 'events.suppressed', eventType: type, count })
  }

  return (event) => {
    if (!BOUNDED.has(event.type)) {
      deliver(event)
      return
    }
    const type = event.type as BoundedEventType
    const t = now()
    let w = windows.get(type)
    if (w === undefined) {
      w = { start: t, delivered: 0, suppressed: 0, timer: undefined }
      windows.set(type, w)
    } else if (t - w.start >= WINDOW_MS) {
      flush(type, w)
      w.start = t
      w.delivered = 0
    }
    if (w.delivered < MAX_EVENTS_PER_SECOND) {
      w.delivered++
      deliver(event)
      return
    }
    w.suppressed++
    if (w.timer === undefined) {
      const window = w
      w.timer = setTimeout(
        () => {
          flush(type, window)
        },
        Math.max(0, w.start + WINDOW_MS - t),
      )
      w.timer.unref()
    }
  }
}

/** Escapes and cuts the attacker-chosen string fields of an event (a copy only when needed). */
function sanitize(event: AuthEvent): AuthEvent {
  const e = event as { readonly kid?: unknown; readonly iss?: unknown; readonly alg?: unknown }
  const kid = typeof e.kid === 'string' ? escapeForLog(e.kid) : e.kid
  const iss = typeof e.iss === 'string' ? escapeForLog(e.iss) : e.iss
  const alg = typeof e.alg === 'string' ? escapeForLog(e.alg) : e.alg
  if (kid === e.kid && iss === e.iss && alg === e.alg) return event
  const copy: Record<string, unknown> = { ...event }
  if (kid !== undefined) copy.kid = kid
  if (iss !== undefined) copy.iss = iss
  if (alg !== undefined) copy.alg = alg
  return copy as unknown as AuthEvent
}
