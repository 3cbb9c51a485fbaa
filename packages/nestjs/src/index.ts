/**
 * `@jwtgate/nestjs`: JWT bearer authentication for NestJS 11 on the Express and the Fastify
 * platform, without passport.
 *
 * `JwtGateModule.forRoot(options)` (or `forRootAsync`) builds the authenticator once and
 * registers {@link JwtAuthGuard} globally; `@Public()` opens a route, `@Roles()` and `@Scopes()` restrict it,
 * and `@Auth()` hands the verified principal to a handler. Every policy decision lives in
 * `@jwtgate/core`; failures are answered with the same status, JSON body and
 * `WWW-Authenticate` as every other jwtgate adapter.
 *
 * @example
 * ```ts
 * import { Controller, Get, Module } from '@nestjs/common'
 * import { Auth, JwtGateModule, Roles, type Principal } from '@jwtgate/nestjs'
 *
 * @Controller()
 * class MeController {
 *   @Get('me')
 *   me(@Auth() auth: Principal) {
 *     return { user: auth.subject }
 *   }
 *
 *   @Roles('admin')
 *   @Get('admin')
 *   admin() {
 *     return { ok: true }
 *   }
 * }
 *
 * @Module({
 *   imports: [JwtGateModule.forRoot({ jwksUri: 'https://idp.example/jwks.json', requiredAudience: 'api' })],
 *   controllers: [MeController],
 * })
 * export class AppModule {}
 * ```
 *
 * @module
 */
export { AllRoles, AnyScope, Auth, Public, RequireAuth, Roles, Scopes } from './decorators.js'
export { JwtGateException } from './exception.js'
export { JwtAuthGuard } from './guard.js'
export {
  JwtGateModule,
  type JwtGateModuleAsyncOptions,
  type JwtGateModuleExtras,
  type JwtGateModuleOptions,
} from './module.js'
export {
  ALL_ROLES,
  ANY_SCOPE,
  IS_PUBLIC,
  JWTGATE_OPTIONS,
  JWTGATE_STATE,
  REQUIRE_AUTH,
  ROLES,
  SCOPES,
  type JwtGateOptions,
  type JwtGateState,
  type NestAdapterOptions,
} from './tokens.js'
export type { Principal } from '@jwtgate/core'
export { AuthError, ConfigError } from '@jwtgate/core'
