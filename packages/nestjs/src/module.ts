import { ConfigError, createAdapterSetup } from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import {
  Inject,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnModuleDestroy,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common'
import { APP_GUARD } from '@nestjs/core'
import { JwtAuthGuard } from './guard.js'
import {
  JWTGATE_OPTIONS,
  JWTGATE_STATE,
  type JwtGateOptions,
  type JwtGateState,
  type NestAdapterOptions,
} from './tokens.js'

/** Where the module registers its guard. */
export interface JwtGateModuleExtras {
  /**
   * Register {@link JwtAuthGuard} as a global guard (`APP_GUARD`), so every route is protected
   * unless marked `@Public()`. With false, apply it yourself: `@UseGuards(JwtAuthGuard)`.
   * @defaultValue true
   */
  globalGuard?: boolean
}

/** What `JwtGateModule.forRoot` takes. */
export type JwtGateModuleOptions = JwtGateOptions & JwtGateModuleExtras

/** What `JwtGateModule.forRootAsync` takes: a factory of the options, with its dependencies. */
export interface JwtGateModuleAsyncOptions extends JwtGateModuleExtras {
  /** Modules whose providers the factory injects (`ConfigModule`, …). */
  imports?: ModuleMetadata['imports']
  /** Builds the options (the same object `forRoot` takes, without `globalGuard`). */
  useFactory: (...args: never[]) => JwtGateOptions | Promise<JwtGateOptions>
  /** The providers passed to `useFactory`, in order (`ConfigService`, …). */
  inject?: (InjectionToken | OptionalFactoryDependency)[]
}

/** Builds the guard state from the options, once, when the module starts. */
function createState(options: unknown): JwtGateState {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError('options', 'must be an object')
  if ('globalGuard' in options)
    throw new ConfigError(
      'globalGuard',
      "is decided when the module is defined: pass it to forRootAsync() beside useFactory, not in the factory's result",
    )
  const { guard, ownsAuthenticator, onError } = createAdapterSetup<NestAdapterOptions['onError']>(
    options,
    undefined,
    createAuthenticator,
  )
  return { guard, authenticator: guard.authenticator, owned: ownsAuthenticator, onError }
}

/**
 * JWT bearer authentication for NestJS, on the Express and the Fastify platform. Import it once,
 * in the root module; it is global.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [JwtGateModule.forRoot({ jwksUri: 'https://idp.example/jwks.json', requiredAudience: 'api' })],
 *   controllers: [MeController],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class JwtGateModule implements OnModuleDestroy {
  readonly #state: JwtGateState

  /** @param state - the guard state, closed with the application */
  constructor(@Inject(JWTGATE_STATE) state: JwtGateState) {
    this.#state = state
  }

  /**
   * The module, configured with an options object.
   *
   * @param options - authentication options and adapter options (`optional`, `skip`,
   *   `challenge`) in one object, or `{ authenticator, ...adapterOptions }`; and `globalGuard`
   * @returns the dynamic module
   */
  static forRoot(options: JwtGateModuleOptions): DynamicModule {
    const { globalGuard, ...rest } = options
    return define([{ provide: JWTGATE_OPTIONS, useValue: rest }], [], globalGuard)
  }

  /**
   * The module, configured by a factory that may inject other providers, such as
   * `@nestjs/config`'s `ConfigService`.
   *
   * @param options - `useFactory`, `inject`, `imports`, and `globalGuard`
   * @returns the dynamic module
   * @example
   * ```ts
   * JwtGateModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ jwksUri: config.getOrThrow('JWKS_URI') }),
   * })
   * ```
   */
  static forRootAsync(options: JwtGateModuleAsyncOptions): DynamicModule {
    if (typeof options.useFactory !== 'function')
      throw new ConfigError('useFactory', 'must be a function returning the options')
    const provider: Provider = {
      provide: JWTGATE_OPTIONS,
      useFactory: options.useFactory as (...args: unknown[]) => unknown,
      inject: options.inject ?? [],
    }
    return define([provider], options.imports ?? [], options.globalGuard)
  }

  /** Closes the authenticator the module built (a shared one is the caller's to close). */
  async onModuleDestroy(): Promise<void> {
    if (this.#state.owned) await this.#state.authenticator.close()
  }
}

function define(
  optionsProviders: Provider[],
  imports: NonNullable<ModuleMetadata['imports']>,
  globalGuard: boolean | undefined,
): DynamicModule {
  if (globalGuard !== undefined && typeof globalGuard !== 'boolean')
    throw new ConfigError('globalGuard', 'must be a boolean')
  const providers: Provider[] = [
    ...optionsProviders,
    { provide: JWTGATE_STATE, useFactory: createState, inject: [JWTGATE_OPTIONS] },
    JwtAuthGuard,
  ]
  if (globalGuard !== false) providers.push({ provide: APP_GUARD, useExisting: JwtAuthGuard })
  return {
    module: JwtGateModule,
    global: true,
    imports,
    providers,
    exports: [JwtAuthGuard, JWTGATE_STATE],
  }
}
