import {
  AuthError,
  createRequirement,
  type GuardRequest,
  type Principal,
  type RequirementKind,
  type RouteRequirement,
} from '@jwtgate/core'
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common'
import { HttpAdapterHost, Reflector } from '@nestjs/core'
import { JwtGateException } from './exception.js'
import {
  ALL_ROLES,
  ANY_SCOPE,
  IS_PUBLIC,
  JWTGATE_STATE,
  REQUIRE_AUTH,
  ROLES,
  SCOPES,
  type JwtGateState,
} from './tokens.js'

/** What a route needs, read from its decorators once and kept. */
interface Policy {
  readonly isPublic: boolean
  /** `@RequireAuth`, `@Roles`, `@AllRoles`, `@Scopes`, `@AnyScope`, compiled; all must hold. */
  readonly requirements: readonly RouteRequirement[]
}

/** The decorators that add a requirement, with the metadata each sets. */
const REQUIREMENTS: readonly (readonly [string, RequirementKind, string])[] = [
  [REQUIRE_AUTH, 'auth', '@RequireAuth()'],
  [ROLES, 'anyRole', '@Roles()'],
  [ALL_ROLES, 'allRoles', '@AllRoles()'],
  [SCOPES, 'allScopes', '@Scopes()'],
  [ANY_SCOPE, 'anyScope', '@AnyScope()'],
]

/** Express's request, or Fastify's with the Node request at `raw`. */
interface PlatformRequest extends GuardRequest {
  raw?: GuardRequest
  originalUrl?: string
  auth?: Principal
}

/**
 * The guard `JwtGateModule` registers globally (unless `globalGuard: false`; then apply it with
 * `@UseGuards(JwtAuthGuard)`). It authenticates every HTTP request except `@Public()` routes and
 * `skip` paths, puts the principal at `request.auth` (read it with `@Auth()`), and enforces
 * `@RequireAuth()`, `@Roles()`, `@AllRoles()`, `@Scopes()` and `@AnyScope()`. A failure is thrown as a {@link JwtGateException}. Other execution contexts
 * (WebSockets, microservices) are let through: this guard is for HTTP.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  readonly #reflector: Reflector
  readonly #state: JwtGateState
  readonly #adapterHost: HttpAdapterHost
  /** Decorator metadata per controller class, then per handler: read once, not per request. */
  readonly #policies = new WeakMap<object, WeakMap<object, Policy>>()

  /**
   * @param reflector - reads the decorators' metadata
   * @param state - the guard state the module built
   * @param adapterHost - sets response headers on Express and on Fastify alike
   */
  constructor(
    @Inject(Reflector) reflector: Reflector,
    @Inject(JWTGATE_STATE) state: JwtGateState,
    @Inject(HttpAdapterHost) adapterHost: HttpAdapterHost,
  ) {
    this.#reflector = reflector
    this.#state = state
    this.#adapterHost = adapterHost
  }

  /**
   * Authenticates the request. Answers in the same tick on a token-cache hit or with static
   * keys; returns a Promise only while keys are being fetched.
   *
   * @param context - Nest's execution context
   * @returns true to let the request through
   * @throws {@link JwtGateException} for an authentication or authorization failure
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true
    const policy = this.#policyOf(context)
    if (policy.isPublic) return true
    const http = context.switchToHttp()
    const request = http.getRequest<PlatformRequest>()
    const message = request.raw ?? request
    let result: Principal | undefined | Promise<Principal | undefined>
    try {
      // Answers in this tick on a token-cache hit or with static keys: no Promise.
      result = this.#state.guard.check(message, request.originalUrl ?? message.url)
    } catch (e) {
      throw this.#render(e, context)
    }
    if (result instanceof Promise) {
      return result.then(
        (principal) => this.#admit(principal, request, policy, context),
        (e: unknown) => {
          throw this.#render(e, context)
        },
      )
    }
    return this.#admit(result, request, policy, context)
  }

  #admit(
    principal: Principal | undefined,
    request: PlatformRequest,
    policy: Policy,
    context: ExecutionContext,
  ): true {
    request.auth = principal
    const { requirements } = policy
    for (let i = 0; i < requirements.length; i++) {
      const error = (requirements[i] as RouteRequirement).check(principal, this.#state.guard)
      if (error !== undefined) throw this.#render(error, context)
    }
    return true
  }

  /** An AuthError becomes a JwtGateException, its headers set on the response; others pass. */
  #render(error: unknown, context: ExecutionContext): Error {
    if (!(error instanceof AuthError)) return asError(error)
    const custom = this.#state.onError?.(error, context)
    if (custom !== undefined) return custom
    const response: unknown = context.switchToHttp().getResponse()
    const rendered = this.#state.guard.respond(error)
    const adapter = this.#adapterHost.httpAdapter
    for (const [name, value] of Object.entries(rendered.headers))
      adapter.setHeader(response, name, value)
    return new JwtGateException(error, rendered)
  }

  #policyOf(context: ExecutionContext): Policy {
    const controller = context.getClass()
    const handler = context.getHandler()
    let byHandler = this.#policies.get(controller)
    if (byHandler === undefined) {
      byHandler = new WeakMap()
      this.#policies.set(controller, byHandler)
    }
    let policy = byHandler.get(handler)
    if (policy === undefined) {
      const targets = [handler, controller]
      const requirements: RouteRequirement[] = []
      for (const [key, kind, label] of REQUIREMENTS) {
        const value = this.#reflector.getAllAndOverride<unknown>(key, targets)
        if (value === undefined || value === false) continue
        // The decorators validated the names when the class was defined.
        requirements.push(
          createRequirement(kind, kind === 'auth' ? [] : (value as readonly string[]), label),
        )
      }
      policy = {
        isPublic:
          this.#reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true,
        requirements,
      }
      byHandler.set(handler, policy)
    }
    return policy
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error('The authenticator failed', { cause: e })
}
