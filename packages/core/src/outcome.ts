// authenticateNow with its outcome reported: one `auth.success` / `auth.failure` event per request
// when a listener is set, and errors rendered for a `challenge` or `realm` other than the default.
// Shared by the single-issuer pipeline and the issuers router.
import { AuthError, isAuthError, REALM, withChallenge } from './errors.js'
import type { Seen } from './explain.js'
import type { Emit } from './lib/events.js'
import { isPromiseLike } from './lib/thenable.js'
import type { AuthRequest, Principal } from './types.js'

/** What {@link withOutcomes} needs besides the pipeline. Internal. */
export interface OutcomeSettings<S extends Seen> {
  readonly emit: Emit
  /** A listener is set: events are reported. */
  readonly listening: boolean
  readonly challenge: boolean
  readonly realm: string
  /** The `iss` a failure event names (the unverified one that routed the token, or the claim). */
  readonly issuerOf: (seen: S) => unknown
}

/**
 * Wraps `run` (whose `seen` argument collects what the events report) into `authenticateNow`.
 * Without a listener and with the default challenge, `run` is called as it is: the hot path pays
 * nothing. Internal.
 *
 * @param run - the pipeline; `seen` is undefined when nothing is reported
 * @param settings - emitter, listener flag, challenge and realm, where a failure's `iss` is read
 */
export function withOutcomes<S extends Seen>(
  run: (request: AuthRequest, seen: S | undefined) => Principal | Promise<Principal>,
  settings: OutcomeSettings<S>,
): (request: AuthRequest) => Principal | Promise<Principal> {
  const { emit, listening, challenge, realm, issuerOf } = settings
  const rerender = !challenge || realm !== REALM
  if (!listening && !rerender) return (request) => run(request, undefined)

  function fail(e: unknown, seen: S | undefined): unknown {
    if (!isAuthError(e)) return e
    if (seen !== undefined) {
      const header = seen.header
      const iss = issuerOf(seen)
      emit({
        type: 'auth.failure',
        code: e.code,
        ...(typeof header?.alg === 'string' ? { alg: header.alg } : {}),
        ...(typeof header?.kid === 'string' ? { kid: header.kid } : {}),
        ...(typeof iss === 'string' ? { iss } : {}),
        detail: e.message,
      })
    }
    return rerender && e instanceof AuthError ? withChallenge(e, challenge, realm) : e
  }
  function succeed(principal: Principal, seen: S | undefined): Principal {
    if (seen !== undefined) {
      // Two literal shapes, no spread: this runs on every cache hit while a listener is set.
      const iss = principal.claims.iss
      const cached = seen.cached === true
      const alg = String(principal.header.alg)
      emit(
        typeof iss === 'string'
          ? { type: 'auth.success', cached, alg, iss }
          : { type: 'auth.success', cached, alg },
      )
    }
    return principal
  }
  return (request) => {
    const seen = listening ? ({} as S) : undefined
    let result: Principal | Promise<Principal>
    try {
      result = run(request, seen)
    } catch (e) {
      throw fail(e, seen)
    }
    if (isPromiseLike(result)) {
      return result.then(
        (principal) => succeed(principal, seen),
        (e: unknown) => {
          throw fail(e, seen)
        },
      )
    }
    return succeed(result, seen)
  }
}
