// Claims policy (RFC 7519 §4.1): time claims with leeway, then issuer, then audience.
// Boundaries follow jose: expired iff exp ≤ now − skew; not yet valid iff nbf > now + skew;
// issued in the future iff iat > now + skew.
import { AuthError } from '../errors.js'
import { isoSeconds, show, type StepRecorder } from '../explain.js'

/** The claim rules, resolved once from the options. */
export interface ClaimsPolicy {
  readonly skew: number
  readonly requireExp: boolean
  readonly issuers: ReadonlySet<string> | undefined
  readonly audiences: ReadonlySet<string> | undefined
}

const invalid = (claim: string, what: string): AuthError =>
  new AuthError('claim_invalid', { message: `The "${claim}" claim ${what}` })

function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(name, 'must be a finite number')
  return v
}

/**
 * Checks `exp`, `nbf` and `iat` against `nowSeconds`. Run on every request, cache hits included.
 * Types are checked first (all three), then the values, in that order.
 *
 * @param rec - explain()'s step recorder; undefined on the hot path
 * @throws {@link AuthError} token_expired, token_not_yet_valid, token_issued_in_future, claim_invalid
 */
export function checkTimeClaims(
  claims: Record<string, unknown>,
  policy: ClaimsPolicy,
  nowSeconds: number,
  rec?: StepRecorder,
): void {
  rec?.at('exp')
  const exp = numericDate(claims, 'exp')
  rec?.at('nbf')
  const nbf = numericDate(claims, 'nbf')
  rec?.at('iat')
  const iat = numericDate(claims, 'iat')
  rec?.at('exp')
  if (exp === undefined) {
    if (policy.requireExp) throw invalid('exp', 'is required')
    rec?.pass('absent (allowed: requireExp is off)')
  } else {
    rec?.hint(explainTime('exp', exp, '>', nowSeconds - policy.skew, nowSeconds, policy.skew))
    if (exp <= nowSeconds - policy.skew) throw new AuthError('token_expired')
    rec?.pass(explainTime('exp', exp, '>', nowSeconds - policy.skew, nowSeconds, policy.skew))
  }
  rec?.at('nbf')
  if (nbf === undefined) rec?.pass('absent')
  else {
    rec?.hint(explainTime('nbf', nbf, '≤', nowSeconds + policy.skew, nowSeconds, policy.skew))
    if (nbf > nowSeconds + policy.skew) throw new AuthError('token_not_yet_valid')
    rec?.pass(explainTime('nbf', nbf, '≤', nowSeconds + policy.skew, nowSeconds, policy.skew))
  }
  rec?.at('iat')
  if (iat === undefined) rec?.pass('absent')
  else {
    rec?.hint(explainTime('iat', iat, '≤', nowSeconds + policy.skew, nowSeconds, policy.skew))
    if (iat > nowSeconds + policy.skew) throw new AuthError('token_issued_in_future')
    rec?.pass(explainTime('iat', iat, '≤', nowSeconds + policy.skew, nowSeconds, policy.skew))
  }
}

/** `exp 1800000300 (2027-…) must be > 1799999970 (now 1800000000 − skew 30 s)`. */
function explainTime(
  name: string,
  value: number,
  op: '>' | '≤',
  bound: number,
  now: number,
  skew: number,
): string {
  const sign = op === '>' ? '−' : '+'
  return `${name} ${String(value)} (${isoSeconds(value)}) must be ${op} ${String(bound)} (now ${String(now)} (${isoSeconds(now)}) ${sign} skew ${String(skew)} s)`
}

/**
 * Checks `iss` and `aud` when an issuer / audience is required (types are checked only then).
 *
 * @param issuers - the issuers to require; defaults to the policy's (a key set learnt from
 *   discovery may supply them instead)
 * @param rec - explain()'s step recorder; undefined on the hot path
 * @throws {@link AuthError} issuer_mismatch, audience_mismatch, claim_invalid
 */
export function checkIssuerAndAudience(
  claims: Record<string, unknown>,
  policy: ClaimsPolicy,
  issuers: ReadonlySet<string> | undefined = policy.issuers,
  rec?: StepRecorder,
): void {
  if (issuers !== undefined) {
    rec?.at('issuer')
    rec?.hint(`iss ${show(claims.iss)}; required: ${show([...issuers])}`)
    const iss = claims.iss
    if (iss === undefined) throw new AuthError('issuer_mismatch')
    if (typeof iss !== 'string') throw invalid('iss', 'must be a string')
    if (!issuers.has(iss)) throw new AuthError('issuer_mismatch')
    rec?.pass(`iss ${show(iss)} is required (${show([...issuers])})`)
  } else rec?.skip('issuer', 'not checked: no required issuer')
  if (policy.audiences !== undefined) {
    rec?.at('audience')
    rec?.hint(`aud ${show(claims.aud)}; required: one of ${show([...policy.audiences])}`)
    const aud = claims.aud
    if (aud === undefined) throw new AuthError('audience_mismatch')
    if (typeof aud === 'string') {
      if (!policy.audiences.has(aud)) throw new AuthError('audience_mismatch')
      rec?.pass(`aud ${show(aud)} is one of ${show([...policy.audiences])}`)
      return
    }
    if (!Array.isArray(aud)) throw invalid('aud', 'must be a string or an array of strings')
    let match = false
    for (const a of aud) {
      if (typeof a !== 'string') throw invalid('aud', 'must be a string or an array of strings')
      if (policy.audiences.has(a)) match = true
    }
    if (!match) throw new AuthError('audience_mismatch')
    rec?.pass(`aud ${show(aud)} contains one of ${show([...policy.audiences])}`)
  } else rec?.skip('audience', 'not checked: no required audience')
}

/**
 * `maxTokenAgeSeconds`: `iat` is required (its type was checked with the time claims) and
 * `now − iat` may not exceed `maxAge + skew`. Run on every request, cache hits included.
 *
 * @param rec - explain()'s step recorder; undefined on the hot path
 * @throws {@link AuthError} claim_invalid (no `iat`), token_expired (too old)
 */
export function checkTokenAge(
  claims: Readonly<Record<string, unknown>>,
  maxAge: number,
  skew: number,
  nowSeconds: number,
  rec?: StepRecorder,
): void {
  rec?.at('maxTokenAge')
  const iat = claims.iat
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw invalid('iat', 'is required (maxTokenAgeSeconds) and must be a finite number')
  }
  rec?.hint(
    `age ${String(nowSeconds - iat)} s (iat ${String(iat)} (${isoSeconds(iat)})) must be ≤ ${String(maxAge)} s + skew ${String(skew)} s`,
  )
  if (nowSeconds - iat > maxAge + skew) {
    throw new AuthError('token_expired', { message: 'The token is older than maxTokenAgeSeconds' })
  }
  rec?.pass(
    `age ${String(nowSeconds - iat)} s (iat ${String(iat)} (${isoSeconds(iat)})) ≤ ${String(maxAge)} s + skew ${String(skew)} s`,
  )
}

/** `typ` values, compiled: ASCII lower case, `application/` prefix removed. */
export type TypSet = ReadonlySet<string>

/** Lower-cases ASCII letters only (a Kelvin sign must not become `k`) and drops `application/`. */
function normalizeTyp(typ: string): string {
  const lower = typ.replace(/[A-Z]+/g, (m) => m.toLowerCase())
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower
}

/**
 * Compiles the `typ` option once, at start-up.
 *
 * @param typs - the configured media types
 */
export function compileTyps(typs: readonly string[]): TypSet {
  return new Set(typs.map(normalizeTyp))
}

/**
 * The header `typ` (RFC 9068 §2.1, RFC 7515 §4.1.9): one of the configured values, compared
 * case-insensitively with an `application/` prefix ignored. Absent or not a string when the
 * option is set: claim_invalid.
 *
 * @param rec - explain()'s step recorder; undefined on the hot path
 * @throws {@link AuthError} claim_invalid
 */
export function checkTyp(typ: unknown, allowed: TypSet, rec?: StepRecorder): void {
  rec?.at('typ')
  rec?.hint(`typ ${show(typ)}; accepted: ${show([...allowed])}`)
  if (typ === undefined) {
    throw new AuthError('claim_invalid', { message: 'The token header has no "typ"' })
  }
  if (typeof typ !== 'string' || !(allowed.has(typ) || allowed.has(normalizeTyp(typ)))) {
    throw new AuthError('claim_invalid', { message: 'The token header "typ" is not accepted' })
  }
  rec?.pass(`typ ${show(typ)} is one of ${show([...allowed])}`)
}
