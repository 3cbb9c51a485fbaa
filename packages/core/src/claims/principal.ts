// Subject and roles extraction (DESIGN.md, Decisions: Claims).
import { AuthError } from '../errors.js'

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

// C0 and C1 control characters, DEL.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
// A lone surrogate (with the u flag, a well-formed pair is one code point and does not match).
const LONE_SURROGATE = /[\ud800-\udfff]/u

/**
 * The subject: a string (trimmed) or a finite number in decimal form. Empty, blank, control
 * characters (a C-string consumer could truncate `admin\0x`) or lone surrogates: subject_missing.
 *
 * @throws {@link AuthError} subject_missing
 */
export function extractSubject(claims: Record<string, unknown>, path: ClaimPath): string {
  const v = readPath(claims, path)
  let s: string | undefined
  if (typeof v === 'string') s = v.trim()
  else if (typeof v === 'number' && Number.isFinite(v)) s = String(v)
  if (s === undefined || s === '' || CONTROL.test(s) || LONE_SURROGATE.test(s)) {
    throw new AuthError('subject_missing')
  }
  return s
}

const NO_ROLES: readonly string[] = Object.freeze([])

/**
 * Roles: strings from an array (other entries dropped, never trimmed or comma-split: `" admin"`
 * must not become `"admin"`, CVE-2023-23612), or a comma-separated string (split, trimmed,
 * empties dropped). Duplicates removed. Anything else: no roles.
 */
export function extractRoles(
  claims: Record<string, unknown>,
  path: ClaimPath | undefined,
): readonly string[] {
  if (path === undefined) return NO_ROLES
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
  if (roles.length === 0) return NO_ROLES
  return Object.freeze(unique(roles))
}

/** First occurrences, in order; a short list is scanned instead of building a Set. */
function unique(roles: string[]): string[] {
  if (roles.length < 2) return roles
  if (roles.length > 16) return [...new Set(roles)]
  const out: string[] = []
  for (const r of roles) if (!out.includes(r)) out.push(r)
  return out
}
