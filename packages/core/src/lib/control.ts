// The one definition of "control character" (DESIGN.md, Second wave): used by the kid fast-fail,
// the subject check and the escaping of attacker-chosen strings in events.
//
// C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F: U+009B is the 8-bit terminal CSI), and the
// bidirectional controls that reorder how a log line reads (Trojan Source, CVE-2021-42574):
// U+061C ALM, U+200E LRM, U+200F RLM, U+202A–U+202E embeddings and overrides, U+2066–U+2069
// isolates.

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** Attacker-chosen strings in events are cut to this many characters (after escaping). */
export const MAX_EVENT_STRING_LENGTH = 64

/**
 * True when `s` holds a control character: C0, DEL, C1 or a bidi control.
 *
 * @param s - any string
 */
export function hasControlChars(s: string): boolean {
  return CONTROL.test(s)
}

/**
 * Makes an attacker-chosen string safe for logs and events: every control character (C0, DEL,
 * C1, bidi) becomes a `\uXXXX` escape, and the result is cut to at most 64 characters (an
 * ellipsis ends a cut one).
 *
 * @param s - the raw string
 * @returns the escaped, bounded string
 * @example
 * ```ts
 * escapeForLog('a\u009b31mb') // 'a\\u009b31mb'
 * ```
 */
export function escapeForLog(s: string): string {
  const escaped = CONTROL.test(s)
    ? s.replace(CONTROL_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : s
  if (escaped.length <= MAX_EVENT_STRING_LENGTH) return escaped
  // 63 characters and an ellipsis; never half of a surrogate pair.
  let end = MAX_EVENT_STRING_LENGTH - 1
  const last = escaped.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${escaped.slice(0, end)}…`
}
