// Compact JWS parsing (RFC 7515 §7.1) with limits. The header is decoded here; the payload is
// decoded only after the signature verified (SEC-015, SEC-070), by decodePayload().
import { AuthError } from '../errors.js'
import { decodeCanonicalBase64url } from '../lib/base64url.js'
import { hasControlChars } from '../lib/control.js'
import { deepFreeze, parseJsonObject } from '../lib/json.js'

/** A `kid` longer than this fails fast with key_not_found and spends no refresh. */
export const MAX_KID_LENGTH = 256

/** A token split and checked, header decoded, payload still encoded. */
export interface ParsedToken {
  readonly token: string
  /** Deep-frozen, and shared between tokens with the same header segment. */
  readonly header: Readonly<Record<string, unknown>>
  /** `header.payload`, what the signature covers. */
  readonly signingInput: string
  readonly signature: Buffer
  /** The payload bytes, decoded but not yet parsed (that waits for the signature). */
  readonly payloadBytes: Buffer
  /**
   * False when the header's `kid` is present but not a string, longer than
   * {@link MAX_KID_LENGTH} or holding a control character (the pipeline refuses it with
   * key_not_found once the algorithm is checked). Decided once per distinct header.
   */
  readonly kidUsable: boolean
}

/** A decoded header and what the pipeline needs to know of it, cached together. */
interface HeaderEntry {
  readonly header: Readonly<Record<string, unknown>>
  readonly kidUsable: boolean
}

const malformed = (message: string): AuthError => new AuthError('token_malformed', { message })

/**
 * Headers already decoded and accepted, by their exact base64url segment. Tokens from one issuer
 * share a handful of headers, so this saves a base64 decode, a UTF-8 check and a JSON.parse per
 * request. The value is deep-frozen and shared; parsing is pure, so a hit is exactly what a
 * fresh parse would give. Bounded: cleared when full (a flood of distinct headers only misses).
 */
const headerCache = new Map<string, HeaderEntry>()
const HEADER_CACHE_MAX = 256
/** Longer header segments are not cached (a normal one is under 200 characters). */
const HEADER_CACHE_MAX_CHARS = 512

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
  const payloadBytes = d1 === 0 ? undefined : decodeCanonicalBase64url(token.slice(d1 + 1, d2))
  const signature = payloadBytes && decodeCanonicalBase64url(token.slice(d2 + 1))
  if (signature === undefined) throw malformed('A token part is not canonical base64url')
  const segment = token.slice(0, d1)
  let entry = headerCache.get(segment)
  if (entry === undefined) {
    const header = parseHeader(segment)
    const kid = header.kid
    entry = {
      header,
      kidUsable:
        kid === undefined ||
        (typeof kid === 'string' && kid.length <= MAX_KID_LENGTH && !hasControlChars(kid)),
    }
    if (segment.length <= HEADER_CACHE_MAX_CHARS) {
      if (headerCache.size >= HEADER_CACHE_MAX) headerCache.clear()
      headerCache.set(segment, entry)
    }
  }
  return {
    token,
    header: entry.header,
    signingInput: token.slice(0, d2),
    signature,
    payloadBytes: payloadBytes as Buffer,
    kidUsable: entry.kidUsable,
  }
}

const NESTED_CTY = /^(application\/)?jwt$/i

/** Decodes and checks a header segment; the result is deep-frozen. */
function parseHeader(segment: string): Readonly<Record<string, unknown>> {
  const bytes = decodeCanonicalBase64url(segment)
  if (bytes === undefined) throw malformed('A token part is not canonical base64url')
  const header = parseJsonObject(bytes)
  if (header === undefined) throw malformed('The token header is not a JSON object')
  if (typeof header.alg !== 'string' || header.alg === '')
    throw malformed('The token header has no alg')
  if (header.crit !== undefined) throw malformed('The token names critical header parameters')
  if (header.b64 !== undefined && header.b64 !== true)
    throw malformed('Unencoded payloads are not supported')
  if (typeof header.cty === 'string' && NESTED_CTY.test(header.cty)) {
    throw malformed('Nested tokens are not supported')
  }
  return deepFreeze(header)
}

/**
 * Decodes the payload of a token whose signature verified.
 *
 * @throws {@link AuthError} token_malformed when it is not a JSON object
 */
export function decodePayload(parsed: ParsedToken): Record<string, unknown> {
  const payload = parseJsonObject(parsed.payloadBytes)
  if (payload === undefined) throw malformed('The token payload is not a JSON object')
  return payload
}
