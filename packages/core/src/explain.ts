// explain(): the authenticate pipeline run with a step recorder (DESIGN.md, Public API second
// wave). The pipeline functions take an optional recorder that is `undefined` on the hot path; a
// call like `rec?.pass(detail)` evaluates nothing, not even its argument, when it is.
import { isAuthError, type AuthErrorCode } from './errors.js'
import type { Principal } from './types.js'

/**
 * The checks of the pipeline, in order. Not every check runs for every configuration (`typ` only
 * with the `typ` option, …); a check whose option is unset is reported as passing with a detail
 * saying so. `routing` runs only with `issuers`: which issuer the token's unverified `iss`
 * selected, or why none did.
 */
export type ExplainCheck =
  | 'authenticator'
  | 'extraction'
  | 'parse'
  | 'routing'
  | 'alg'
  | 'typ'
  | 'key'
  | 'signature'
  | 'payload'
  | 'exp'
  | 'nbf'
  | 'iat'
  | 'maxTokenAge'
  | 'issuer'
  | 'audience'
  | 'requiredClaims'
  | 'subject'
  | 'roles'
  | 'scopes'
  | 'rules'
  | 'revocation'

/** One check and its verdict. */
export interface ExplanationStep {
  /** Which check. */
  readonly check: ExplainCheck
  /** Whether it passed. */
  readonly ok: boolean
  /** What was compared with what, in words: values from the token and the configuration. */
  readonly detail: string
}

/** The key the token asked for, and what the key source offered. */
export interface ExplanationKey {
  /** The token's `alg`. */
  readonly alg?: string
  /** The token's `kid`, when it has one. */
  readonly kid?: string
  /** The kids the key source holds, when it can say (static keys have none). */
  readonly kidsOnOffer?: readonly string[]
  /** How many keys the key source holds, when it can say. */
  readonly keysOnOffer?: number
  /** How many candidate keys were selected for the token. */
  readonly candidates?: number
  /** How many were tried against the signature. */
  readonly tried?: number
}

/**
 * What {@link Authenticator.explain} returns: every check in pipeline order with its verdict, the
 * decoded header and claims, the key tried, the clock in effect, and the final code. Built by the
 * same code as `authenticate()`, so the two cannot disagree; the token cache is bypassed.
 *
 * It is a diagnostic for operators: `header` and `claims` are shown even when the signature does
 * not verify (then `claimsVerified` is false). Do not send it to clients.
 *
 * @example
 * ```ts
 * const why = await authenticator.explain({ headers: { authorization: `Bearer ${token}` } })
 * if (!why.ok) console.log(why.code, why.steps.find((s) => !s.ok)?.detail)
 * ```
 */
export interface Explanation {
  /** True when `authenticate()` would accept the request. */
  readonly ok: boolean
  /** The error code `authenticate()` would reject with; absent when `ok`. */
  readonly code?: AuthErrorCode
  /** The HTTP status of `code`. */
  readonly status?: 401 | 403 | 503
  /** The principal `authenticate()` would resolve; absent unless `ok`. */
  readonly principal?: Principal
  /** The checks that ran, in order; the last one failed when `ok` is false. */
  readonly steps: readonly ExplanationStep[]
  /** The decoded JOSE header, once the token could be split and decoded. */
  readonly header?: Readonly<Record<string, unknown>>
  /** The decoded claims (also when the signature did not verify; see `claimsVerified`). */
  readonly claims?: Readonly<Record<string, unknown>>
  /** Whether `claims` passed signature verification. */
  readonly claimsVerified: boolean
  /** The key asked for and offered. */
  readonly key?: ExplanationKey
  /** The clock in effect: now (seconds since the epoch) and the skew tolerance (seconds). */
  readonly clock: { readonly now: number; readonly skewSeconds: number }
}

/** What the pipeline tells an observer (auth events): the header and, once verified, the claims. */
export interface Seen {
  header?: Readonly<Record<string, unknown>> | undefined
  claims?: Readonly<Record<string, unknown>> | undefined
  cached?: boolean
}

/** Records each check's verdict for {@link Explanation}; internal to the pipeline. */
export class StepRecorder implements Seen {
  header?: Readonly<Record<string, unknown>> | undefined
  claims?: Readonly<Record<string, unknown>> | undefined
  cached?: boolean
  /** The undecoded payload, to show claims when the signature fails. */
  payloadBytes?: Buffer | undefined
  key: { -readonly [K in keyof ExplanationKey]: ExplanationKey[K] } = {}
  readonly steps: ExplanationStep[] = []
  #current: ExplainCheck = 'authenticator'
  /** Extra words for the failure of the current check (e.g. the kids on offer). */
  #hint: string | undefined

  readonly nowSeconds: number
  readonly skewSeconds: number

  constructor(nowSeconds: number, skewSeconds: number) {
    this.nowSeconds = nowSeconds
    this.skewSeconds = skewSeconds
  }

  /** The check about to run. */
  at(check: ExplainCheck): void {
    this.#current = check
    this.#hint = undefined
  }

  /** Words added to the failure detail of the current check, if it fails. */
  hint(text: string): void {
    this.#hint = text
  }

  /** The current check passed. */
  pass(detail: string): void {
    this.steps.push({ check: this.#current, ok: true, detail })
  }

  /** A check that does not apply to this configuration: passed, with the reason. */
  skip(check: ExplainCheck, detail: string): void {
    this.steps.push({ check, ok: true, detail })
  }

  /**
   * The verdict of a run that threw: the current check failed with the error's message.
   *
   * @param error - what the pipeline threw
   * @param decode - decodes the unverified payload, for display
   */
  failed(
    error: unknown,
    decode: (bytes: Buffer) => Record<string, unknown> | undefined,
  ): Explanation {
    const auth = isAuthError(error) ? error : undefined
    const message = auth
      ? auth.message
      : `unexpected error: ${error instanceof Error ? error.name : typeof error}`
    const detail = this.#hint === undefined ? message : `${message}: ${this.#hint}`
    this.steps.push({ check: this.#current, ok: false, detail })
    let claims = this.claims
    let claimsVerified = claims !== undefined
    if (claims === undefined && this.payloadBytes !== undefined) {
      claims = decode(this.payloadBytes)
      claimsVerified = false
    }
    return this.#result({
      ok: false,
      ...(auth ? { code: auth.code, status: auth.status } : {}),
      ...(claims === undefined ? {} : { claims }),
      claimsVerified,
    })
  }

  /** The verdict of a run that returned a principal. */
  succeeded(principal: Principal): Explanation {
    return this.#result({ ok: true, principal, claims: principal.claims, claimsVerified: true })
  }

  #result(
    partial: Pick<
      Explanation,
      'ok' | 'code' | 'status' | 'principal' | 'claims' | 'claimsVerified'
    >,
  ): Explanation {
    return {
      ...partial,
      steps: this.steps,
      ...(this.header === undefined ? {} : { header: this.header }),
      ...(Object.keys(this.key).length === 0 ? {} : { key: this.key }),
      clock: { now: this.nowSeconds, skewSeconds: this.skewSeconds },
    }
  }
}

/** A failure detail that is safe to show: JSON of a short value, cut. */
export function show(value: unknown): string {
  let text: string
  try {
    // JSON.stringify(undefined) is undefined, whatever its declared type says.
    const json = JSON.stringify(value) as string | undefined
    text = json ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 120 ? `${text.slice(0, 119)}…` : text
}

/** Seconds since the epoch as an ISO date, for time-claim details. */
export function isoSeconds(seconds: number): string {
  const d = new Date(seconds * 1000)
  return Number.isNaN(d.getTime()) ? 'invalid date' : d.toISOString()
}
