import { AuthError } from './errors.js'
import type { Principal } from './types.js'

/** How {@link checkRoles} combines several roles. */
export type RolesMode = 'any' | 'all'

/**
 * Checks a principal's roles: `any` (the default) needs one of `roles`, `all` needs every one.
 * Comparison is exact (code points, case-sensitive): `Admin` is not `admin` (SEC-080).
 *
 * @param principal - the authenticated principal
 * @param roles - required roles
 * @param mode - `any` or `all`
 * @throws {@link AuthError} insufficient_roles (403)
 * @example
 * ```ts
 * checkRoles(principal, ['admin', 'ops'])          // admin or ops
 * checkRoles(principal, ['admin', 'ops'], 'all')   // admin and ops
 * ```
 */
export function checkRoles(
  principal: Principal,
  roles: readonly string[],
  mode: RolesMode = 'any',
): void {
  const ok =
    mode === 'all'
      ? roles.every((r) => principal.roles.includes(r))
      : roles.some((r) => principal.roles.includes(r))
  if (!ok) throw new AuthError('insufficient_roles')
}
