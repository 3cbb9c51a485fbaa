// Finds the token in a request: the configured header (a `Bearer ` prefix in any case is
// stripped), else the configured URL parameter. The header wins when both are present, with no
// fallback after a failure (RFC 6750 §2; OpenSearch behaviour).
import { AuthError } from '../errors.js'
import type { AuthRequest } from '../types.js'

/** Start-up work for extraction: the header name lower-cased once. */
export interface Extractor {
  (request: AuthRequest): string
}

/** An auth-scheme name that is not ours (Basic, Digest, DPoP, Negotiate …). */
const OTHER_SCHEME = /^[A-Za-z][A-Za-z0-9-]*$/

/**
 * Builds the extraction function for a header name and an optional URL parameter.
 *
 * @param jwtHeader - header name, any case
 * @param jwtUrlParameter - query parameter name, if configured
 * @returns a function that returns the compact token or throws `token_missing` / `token_malformed`
 */
export function createExtractor(jwtHeader: string, jwtUrlParameter: string | undefined): Extractor {
  const lower = jwtHeader.toLowerCase()
  const isAuthorization = lower === 'authorization'
  return (request) => {
    // A hand-built request without a headers object is a request without a token, not a crash.
    const headers = request.headers as AuthRequest['headers'] | null | undefined
    const raw =
      typeof headers === 'object' && headers !== null ? readHeader(headers, lower) : undefined
    if (raw !== undefined) return fromCredential(raw, isAuthorization)
    if (jwtUrlParameter !== undefined && request.url !== undefined) {
      const fromUrl = readQuery(request.url, jwtUrlParameter)
      if (fromUrl !== undefined) return fromCredential(fromUrl, false)
    }
    throw new AuthError('token_missing')
  }
}

function readHeader(headers: AuthRequest['headers'], lower: string): string | undefined {
  let value = headers[lower]
  if (value === undefined) {
    // Node lower-cases header names; a hand-built object may not. Scan only on a miss.
    for (const key in headers) {
      if (key.length === lower.length && key.toLowerCase() === lower) {
        value = headers[key]
        break
      }
    }
  }
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    if (value.length === 0) return undefined
    // Two Authorization headers: ambiguous, never pick one (SEC-086).
    if (value.length > 1)
      throw new AuthError('token_malformed', { message: 'The token header is repeated' })
    value = value[0] ?? ''
  }
  return value === '' ? undefined : value
}

function readQuery(url: string, name: string): string | undefined {
  const q = url.indexOf('?')
  if (q === -1) return undefined
  const hash = url.indexOf('#', q)
  const params = new URLSearchParams(hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash))
  const all = params.getAll(name)
  if (all.length === 0) return undefined
  if (all.length > 1)
    throw new AuthError('token_malformed', { message: 'The token parameter is repeated' })
  return all[0]
}

/** Strips `Bearer ` (any case, one or more spaces); other schemes are not ours. */
function fromCredential(value: string, isAuthorization: boolean): string {
  const space = value.indexOf(' ')
  const scheme = space === -1 ? value : value.slice(0, space)
  if (scheme.length === 6 && scheme.toLowerCase() === 'bearer') {
    let i = space
    if (i === -1)
      throw new AuthError('token_malformed', { message: 'The bearer credential is empty' })
    while (value.charCodeAt(i) === 0x20) i++
    if (i === value.length)
      throw new AuthError('token_malformed', { message: 'The bearer credential is empty' })
    return value.slice(i)
  }
  if (
    isAuthorization &&
    space !== -1 &&
    OTHER_SCHEME.test(scheme) &&
    !scheme.toLowerCase().includes('bearer')
  ) {
    // `Basic …`, `Digest …`: another domain's credential, not a broken JWT.
    throw new AuthError('token_missing')
  }
  // No scheme: a raw token (OpenSearch compatibility); anything else fails to parse.
  return value
}
