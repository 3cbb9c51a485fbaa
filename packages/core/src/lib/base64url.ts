// Strict, canonical base64url (RFC 4648 §5, RFC 7515 §2: no padding, no whitespace).
// Buffer.from(s, 'base64url') silently skips invalid characters and accepts '+', '/', '=' and
// non-zero spare bits, so every segment is checked here before it is decoded (SEC-005..007).

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Sextet value of each char code, or -1 when it is outside the base64url alphabet. */
const VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i

/**
 * True when `s[start, end)` is canonical base64url: alphabet only, a length that can encode whole
 * bytes (not ≡ 1 mod 4), and the unused low bits of the last character zero, so that exactly one
 * string encodes each byte sequence.
 */
export function isCanonicalBase64url(s: string, start: number, end: number): boolean {
  const len = end - start
  const rem = len & 3
  if (rem === 1) return false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c > 127 || VALUE[c] === -1) return false
  }
  if (rem === 0 || len === 0) return true
  const last = VALUE[s.charCodeAt(end - 1)] ?? -1
  // rem 2 → the last char carries 2 data bits (4 spare); rem 3 → 4 data bits (2 spare).
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0
}

/** Decodes a segment already checked by {@link isCanonicalBase64url}. */
export function decodeBase64url(s: string, start: number, end: number): Buffer {
  return Buffer.from(start === 0 && end === s.length ? s : s.slice(start, end), 'base64url')
}
