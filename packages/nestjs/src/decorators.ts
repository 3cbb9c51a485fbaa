import { ConfigError } from '@jwtgate/core'
import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common'
import { ALL_ROLES, IS_PUBLIC, ROLES, SCOPES } from './tokens.js'

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
  SetMetadata(ROLES, named('Roles', roles))

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
  SetMetadata(ALL_ROLES, named('AllRoles', roles))

/**
 * Requires every one of `scopes` (all-of, the OAuth convention). Without a principal: 401
 * token_missing; with too few scopes: 403 insufficient_scope. On a controller it applies to
 * every route; a route's own `@Scopes` replaces it.
 *
 * @param scopes - required scopes (at least one)
 * @throws `ConfigError` without scopes, when the class is defined
 * @example
 * ```ts
 * @Scopes('orders:write')
 * @Post('orders')
 * create() {}
 * ```
 */
export const Scopes = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(SCOPES, named('Scopes', scopes))

function named(decorator: string, names: string[]): readonly string[] {
  if (names.length === 0) throw new ConfigError(`@${decorator}()`, 'needs at least one name')
  for (const [i, name] of names.entries()) {
    if (typeof name !== 'string' || name === '')
      throw new ConfigError(`@${decorator}()[${String(i)}]`, 'must be a non-empty string')
  }
  return Object.freeze([...names])
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
