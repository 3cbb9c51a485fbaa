// JSON decoding for token segments: fatal UTF-8 (Buffer#toString would substitute U+FFFD,
// SEC-010), a tolerated leading BOM (RFC 8259 §8.1, as jose does), a nesting cap checked before
// JSON.parse (SEC-015), and "must be an object" (SEC-011). Duplicate member names: last one wins,
// which is JSON.parse's behaviour, RFC 7515 §4's allowance and jose's choice (DESIGN.md).

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Maximum nesting of objects and arrays in a header or payload (DESIGN.md). */
export const MAX_JSON_DEPTH = 32

/**
 * Decodes UTF-8 JSON bytes into a plain object, or returns `undefined` for anything else:
 * invalid UTF-8, invalid JSON, nesting deeper than {@link MAX_JSON_DEPTH}, or a non-object value.
 */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let text: string
  try {
    // ignoreBOM: false strips one leading BOM.
    text = decoder.decode(bytes)
  } catch {
    return undefined
  }
  if (openings(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH && !withinDepth(text, MAX_JSON_DEPTH)) {
    return undefined
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

/**
 * Counts `{` and `[` anywhere (native indexOf, no allocation), stopping past `max`. The count is
 * an upper bound of the nesting depth, so a normal token never needs the exact scan below.
 */
function openings(text: string, max: number): number {
  let n = 0
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++n > max) return n
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++n > max) return n
  return n
}

/** Counts `{`/`[` nesting outside strings; a linear scan with no allocation. */
function withinDepth(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped char
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return false
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    }
  }
  return true
}

/**
 * Deep-freezes a parsed JSON value so a cached principal cannot be mutated by one request (SEC-092).
 * Already-frozen objects (a shared header) are left as they are. Only objects are recursed into:
 * `Object.values` gives own enumerable members in one native call (a polluted prototype is not
 * ours to freeze), cheaper than a for-in walk with an own-property test per member.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  Object.freeze(value)
  const members: readonly unknown[] = Array.isArray(value) ? value : Object.values(value)
  for (let i = 0; i < members.length; i++) {
    const member = members[i]
    if (typeof member === 'object' && member !== null) deepFreeze(member)
  }
  return value
}
