// Subject and roles extraction (DESIGN.md, Decisions: Claims).
import { AuthError } from '../errors.js'
import { hasControlChars } from '../lib/control.js'

/** A compiled claim path: literal member names walked through nested plain objects. */
export type ClaimPath = readonly string[]

/**
 * Compiles `subjectKey` / `rolesKey`: a string is a dotted path, a list is literal segments.
 *
 * @param key - the option value
 */
export function compilePath(key: string | readonly string[]): ClaimPath {
  return Object.freeze(typeof key === 'string' ? key.split('.') : [...key])
}

/**
 * Reads a claim by path, through own members of plain objects only: arrays, `null` and
 * prototype members (`__proto__`, `constructor`, `toString`) never match (SEC-078).
 */
export function readPath(claims: Record<string, unknown>, path: ClaimPath): unknown {
  let current: unknown = claims
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined
    if (!Object.hasOwn(current, segment)) return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}

// A lone surrogate (with the u flag, a well-formed pair is one code point and does not match).
const LONE_SURROGATE = /[\ud800-\udfff]/u

/** Trims ASCII spaces (U+0020) only, as OpenSearch's Java `trim()` does once controls are refused. */
function trimAsciiSpaces(s: string): string {
  let start = 0
  let end = s.length
  while (start < end && s.charCodeAt(start) === 0x20) start++
  while (end > start && s.charCodeAt(end - 1) === 0x20) end--
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

/**
 * The subject (DESIGN.md, Second wave): a string, or a number that is a safe integer in its
 * decimal form (`JSON.parse` rounds larger integers: `9007199254740993` would become another
 * user). Control characters anywhere in the raw string (C0, DEL, C1, bidi; a C-string consumer
 * could truncate `admin\0x`) are refused before anything else; then only ASCII spaces are trimmed,
 * never Unicode spaces (`"admin\u00a0"` must not become `admin`, CVE-2023-23612). Any other
 * value, an empty result or a lone surrogate: subject_missing.
 *
 * @throws {@link AuthError} subject_missing
 */
export function extractSubject(claims: Record<string, unknown>, path: ClaimPath): string {
  const v = readPath(claims, path)
  let s: string | undefined
  if (typeof v === 'string') {
    // The usual subject, printable ASCII (U+0020–U+007E) not starting or ending with a space, has
    // no control character, no surrogate and nothing to trim: it is the answer as it is.
    if (isPlainAscii(v)) return v
    if (!hasControlChars(v)) s = trimAsciiSpaces(v)
  } else if (typeof v === 'number' && Number.isSafeInteger(v)) s = String(v)
  if (s === undefined || s === '' || LONE_SURROGATE.test(s)) {
    throw new AuthError('subject_missing')
  }
  return s
}

/** Non-empty, U+0020–U+007E only, and no space at either end. */
function isPlainAscii(s: string): boolean {
  const last = s.length - 1
  if (last < 0 || s.charCodeAt(0) === 0x20 || s.charCodeAt(last) === 0x20) return false
  for (let i = 0; i <= last; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return false
  }
  return true
}

const NONE: readonly string[] = Object.freeze([])

/**
 * Roles: strings from an array (other entries dropped, never trimmed or comma-split: `" admin"`
 * must not become `"admin"`, CVE-2023-23612), or a comma-separated string (split, trimmed,
 * empties dropped). Duplicates removed. Anything else: no roles.
 */
export function extractRoles(
  claims: Record<string, unknown>,
  path: ClaimPath | undefined,
): readonly string[] {
  if (path === undefined) return NONE
  const v = readPath(claims, path)
  let roles: string[]
  if (Array.isArray(v)) {
    roles = v.filter((r): r is string => typeof r === 'string' && r !== '')
  } else if (typeof v === 'string') {
    roles = v
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '')
  } else {
    roles = []
  }
  if (roles.length === 0) return NONE
  return Object.freeze(unique(roles))
}

const SCOPE_PATH: ClaimPath = Object.freeze(['scope'])
const SCP_PATH: ClaimPath = Object.freeze(['scp'])

/**
 * OAuth scopes (DESIGN.md, `scopesKey`): a space-separated string (RFC 6749 §3.3, RFC 9068 §2.2.3:
 * split on runs of U+0020, empties dropped) or an array of strings (Okta / Entra `scp`: non-strings
 * and empty strings dropped, entries never trimmed or split). Never comma-split; compared exactly
 * and case-sensitively by the route guards. Duplicates removed, frozen. Without `scopesKey` the
 * `scope` claim is read, then `scp` when `scope` is absent. Anything else: no scopes.
 *
 * @param path - the compiled `scopesKey`, or undefined for the default
 */
export function extractScopes(
  claims: Record<string, unknown>,
  path: ClaimPath | undefined,
): readonly string[] {
  let v: unknown
  if (path !== undefined) v = readPath(claims, path)
  else {
    v = readPath(claims, SCOPE_PATH)
    if (v === undefined) v = readPath(claims, SCP_PATH)
  }
  let scopes: string[]
  if (typeof v === 'string') {
    if (v === '') return NONE
    scopes = v.split(' ').filter((s) => s !== '')
  } else if (Array.isArray(v)) {
    scopes = v.filter((s): s is string => typeof s === 'string' && s !== '')
  } else return NONE
  if (scopes.length === 0) return NONE
  return Object.freeze(unique(scopes))
}

/** First occurrences, in order; a short list is scanned instead of building a Set. */
function unique(roles: string[]): string[] {
  if (roles.length < 2) return roles
  if (roles.length > 16) return [...new Set(roles)]
  const out: string[] = []
  for (const r of roles) if (!out.includes(r)) out.push(r)
  return out
}
