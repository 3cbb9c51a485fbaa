import { createRequirement, type RequirementKind } from '@jwtgate/core'
import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common'
import { ALL_ROLES, ANY_SCOPE, IS_PUBLIC, REQUIRE_AUTH, ROLES, SCOPES } from './tokens.js'

/**
 * Marks a route (or every route of a controller) as public: the guard lets it through without
 * authentication, and `@Auth()` is undefined there.
 *
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return { ok: true } }
 * ```
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true)

/**
 * Requires one of `roles` (any-of). Without a principal: 401 token_missing; with too few roles:
 * 403 insufficient_roles with `WWW-Authenticate: Bearer error="insufficient_scope"`. On a
 * controller it applies to every route; a route's own `@Roles` replaces it.
 *
 * @param roles - accepted roles (at least one)
 * @throws `ConfigError` without roles, when the class is defined
 * @example
 * ```ts
 * @Roles('admin', 'ops')
 * @Delete('index/:name')
 * drop() {}
 * ```
 */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES, named('anyRole', '@Roles()', roles))

/**
 * Requires every one of `roles` (all-of), like `requireAllRoles` in the other adapters. On a
 * controller it applies to every route; a route's own `@AllRoles` replaces it. Combined with
 * `@Roles` on the same route, both must hold.
 *
 * @param roles - required roles (at least one)
 * @throws `ConfigError` without roles, when the class is defined
 * @example
 * ```ts
 * @AllRoles('finance', 'approver')
 * @Post('billing')
 * bill() {}
 * ```
 */
export const AllRoles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ALL_ROLES, named('allRoles', '@AllRoles()', roles))

/**
 * Requires every one of `scopes` (all-of, the OAuth convention), like `requireScopes` in the
 * other adapters; scopes are read from the principal's `scopes`. Without a principal: 401
 * token_missing; with too few scopes: 403 insufficient_scope with
 * `WWW-Authenticate: Bearer …, error="insufficient_scope", scope="…"` naming the required scopes
 * (RFC 6750 §3.1). On a controller it applies to every route; a route's own `@Scopes` replaces it.
 *
 * @param scopes - required scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token, when the class
 *   is defined
 * @example
 * ```ts
 * @Scopes('orders:write')
 * @Post('orders')
 * create() {}
 * ```
 */
export const Scopes = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(SCOPES, named('allScopes', '@Scopes()', scopes))

/**
 * Requires one of `scopes` (any-of), like `requireAnyScope` in the other adapters. On a
 * controller it applies to every route; a route's own `@AnyScope` replaces it. Combined with
 * `@Scopes` on the same route, both must hold.
 *
 * @param scopes - accepted scopes (at least one; each an RFC 6749 scope token)
 * @throws `ConfigError` without scopes, or for a scope that is not a scope token
 * @example
 * ```ts
 * @AnyScope('orders:read', 'orders:admin')
 * @Get('orders')
 * list() {}
 * ```
 */
export const AnyScope = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ANY_SCOPE, named('anyScope', '@AnyScope()', scopes))

/**
 * Requires a principal, like `requireAuth()` in the other adapters: 401 token_missing for a
 * request that `optional` (or `skip`) let through anonymously. On a controller it applies to
 * every route.
 *
 * @example
 * ```ts
 * @RequireAuth()
 * @Post('comments')
 * comment(@Auth() auth: Principal) {}
 * ```
 */
export const RequireAuth = (): MethodDecorator & ClassDecorator => SetMetadata(REQUIRE_AUTH, true)

/** Validates the names when the class is defined (a ConfigError then, never per request). */
function named(kind: RequirementKind, label: string, names: string[]): readonly string[] {
  return createRequirement(kind, names, label).names
}

/**
 * Parameter decorator: the verified principal of the request (`Principal`), or undefined on a
 * `@Public()` route, a skipped path or an anonymous request in `optional` mode.
 *
 * @example
 * ```ts
 * @Get('me')
 * me(@Auth() auth: Principal) { return { user: auth.subject } }
 * ```
 */
export const Auth = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown =>
    context.switchToHttp().getRequest<{ auth?: unknown }>().auth,
)
