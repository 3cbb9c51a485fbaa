// Strict, canonical base64url (RFC 4648 §5, RFC 7515 §2: no padding, no whitespace).
// Buffer.from(s, 'base64url') silently skips invalid characters and whitespace, accepts '+', '/'
// and '=', ignores non-zero spare bits and drops a dangling final character (SEC-005..007).
// Node's encoder, however, writes exactly one canonical form for each byte string, so a segment
// is canonical if and only if re-encoding its decoded bytes gives back the same text. That check
// runs in native code and costs a fraction of a character-by-character scan in JavaScript.

/**
 * Decodes `segment` if it is canonical base64url: alphabet only, no padding or whitespace, a
 * length that encodes whole bytes (not ≡ 1 mod 4), and zero spare bits in the last character,
 * so that exactly one string encodes each byte sequence.
 *
 * @param segment - one token segment
 * @returns the bytes, or `undefined` when the segment is not canonical
 */
export function decodeCanonicalBase64url(segment: string): Buffer | undefined {
  const bytes = Buffer.from(segment, 'base64url')
  return bytes.toString('base64url') === segment ? bytes : undefined
}
