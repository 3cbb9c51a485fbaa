import type { AuthEvent } from '@jwtgate/core'
import type { Level, Logger } from 'pino'

// Routine events at debug; what an operator should see at info or warn. Events never hold a
// token, a secret or key material, and jwtgate bounds the per-request ones (100 a second per
// type, then one `events.suppressed`), so a flood of forged tokens cannot flood the logs.
const LEVELS: Partial<Record<string, Level>> = {
  'auth.failure': 'info',
  'jwks.fetch_failed': 'warn',
  'jwks.stale': 'warn',
  'jwks.rate_limited': 'warn',
  'jwks.key_skipped': 'warn',
  'events.suppressed': 'warn',
  'config.warning': 'warn',
}

export function logEvents(log: Logger): (event: AuthEvent) => void {
  return (event) => {
    log[LEVELS[event.type] ?? 'debug']({ event }, event.type)
  }
}
