import type { AuthEvent } from '../types.js'

/** Emits an event; a listener that throws is ignored (DESIGN.md, Events). */
export type Emit = (event: AuthEvent) => void

/**
 * Wraps `onEvent` so that a throwing listener cannot break authentication.
 *
 * @param onEvent - the user's listener, if any
 * @returns a safe emitter (a no-op without a listener)
 */
export function createEmitter(onEvent: ((event: AuthEvent) => void) | undefined): Emit {
  if (onEvent === undefined) return () => undefined
  return (event) => {
    try {
      onEvent(event)
    } catch {
      // ignored by contract
    }
  }
}
