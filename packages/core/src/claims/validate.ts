// Claims policy (RFC 7519 §4.1): time claims with leeway, then issuer, then audience.
// Boundaries follow jose: expired iff exp ≤ now − skew; not yet valid iff nbf > now + skew;
// issued in the future iff iat > now + skew.
import { AuthError } from '../errors.js'

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
 *
 * @throws {@link AuthError} token_expired, token_not_yet_valid, token_issued_in_future, claim_invalid
 */
export function checkTimeClaims(
  claims: Record<string, unknown>,
  policy: ClaimsPolicy,
  nowSeconds: number,
): void {
  const exp = numericDate(claims, 'exp')
  const nbf = numericDate(claims, 'nbf')
  const iat = numericDate(claims, 'iat')
  if (exp === undefined) {
    if (policy.requireExp) throw invalid('exp', 'is required')
  } else if (exp <= nowSeconds - policy.skew) {
    throw new AuthError('token_expired')
  }
  if (nbf !== undefined && nbf > nowSeconds + policy.skew)
    throw new AuthError('token_not_yet_valid')
  if (iat !== undefined && iat > nowSeconds + policy.skew)
    throw new AuthError('token_issued_in_future')
}

/**
 * Checks `iss` and `aud` when an issuer / audience is required (types are checked only then).
 *
 * @param issuers - the issuers to require; defaults to the policy's (a key set learnt from
 *   discovery may supply them instead)
 * @throws {@link AuthError} issuer_mismatch, audience_mismatch, claim_invalid
 */
export function checkIssuerAndAudience(
  claims: Record<string, unknown>,
  policy: ClaimsPolicy,
  issuers: ReadonlySet<string> | undefined = policy.issuers,
): void {
  if (issuers !== undefined) {
    const iss = claims.iss
    if (iss === undefined) throw new AuthError('issuer_mismatch')
    if (typeof iss !== 'string') throw invalid('iss', 'must be a string')
    if (!issuers.has(iss)) throw new AuthError('issuer_mismatch')
  }
  if (policy.audiences !== undefined) {
    const aud = claims.aud
    if (aud === undefined) throw new AuthError('audience_mismatch')
    if (typeof aud === 'string') {
      if (!policy.audiences.has(aud)) throw new AuthError('audience_mismatch')
      return
    }
    if (!Array.isArray(aud)) throw invalid('aud', 'must be a string or an array of strings')
    let match = false
    for (const a of aud) {
      if (typeof a !== 'string') throw invalid('aud', 'must be a string or an array of strings')
      if (policy.audiences.has(a)) match = true
    }
    if (!match) throw new AuthError('audience_mismatch')
  }
}
