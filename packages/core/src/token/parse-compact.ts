// Compact JWS parsing (RFC 7515 §7.1) with limits. The header is decoded here; the payload is
// decoded only after the signature verified (SEC-015, SEC-070), by decodePayload().
import { AuthError } from '../errors.js'
import { decodeBase64url, isCanonicalBase64url } from '../lib/base64url.js'
import { parseJsonObject } from '../lib/json.js'

/** A token split and checked, header decoded, payload still encoded. */
export interface ParsedToken {
  readonly token: string
  readonly header: Record<string, unknown>
  /** `header.payload`, what the signature covers. */
  readonly signingInput: string
  readonly signature: Buffer
  /** Offsets of the payload segment in `token`. */
  readonly payloadStart: number
  readonly payloadEnd: number
}

const malformed = (message: string): AuthError => new AuthError('token_malformed', { message })

/**
 * Splits and checks a compact JWS: size, exactly three parts, canonical base64url segments,
 * a JSON-object header with a string `alg`, and no header parameter we cannot honour
 * (`crit`, `b64`, `cty: JWT`).
 *
 * @throws {@link AuthError} token_malformed
 */
export function parseCompact(token: string, maxTokenBytes: number): ParsedToken {
  if (token.length > maxTokenBytes) throw malformed('The token is too long')
  const d1 = token.indexOf('.')
  const d2 = d1 === -1 ? -1 : token.indexOf('.', d1 + 1)
  if (d2 === -1 || token.indexOf('.', d2 + 1) !== -1) {
    throw malformed('The token must have exactly three parts')
  }
  if (
    d1 === 0 ||
    !isCanonicalBase64url(token, 0, d1) ||
    !isCanonicalBase64url(token, d1 + 1, d2) ||
    !isCanonicalBase64url(token, d2 + 1, token.length)
  ) {
    throw malformed('A token part is not canonical base64url')
  }
  const header = parseJsonObject(decodeBase64url(token, 0, d1))
  if (header === undefined) throw malformed('The token header is not a JSON object')
  if (typeof header.alg !== 'string' || header.alg === '')
    throw malformed('The token header has no alg')
  if (header.crit !== undefined) throw malformed('The token names critical header parameters')
  if (header.b64 !== undefined && header.b64 !== true)
    throw malformed('Unencoded payloads are not supported')
  if (typeof header.cty === 'string' && /^(application\/)?jwt$/i.test(header.cty)) {
    throw malformed('Nested tokens are not supported')
  }
  return {
    token,
    header,
    signingInput: token.slice(0, d2),
    signature: decodeBase64url(token, d2 + 1, token.length),
    payloadStart: d1 + 1,
    payloadEnd: d2,
  }
}

/**
 * Decodes the payload of a token whose signature verified.
 *
 * @throws {@link AuthError} token_malformed when it is not a JSON object
 */
export function decodePayload(parsed: ParsedToken): Record<string, unknown> {
  const payload = parseJsonObject(
    decodeBase64url(parsed.token, parsed.payloadStart, parsed.payloadEnd),
  )
  if (payload === undefined) throw malformed('The token payload is not a JSON object')
  return payload
}
