// Type tests: the options are typed from the one definition, so misspelled or mistyped options
// do not compile. `pnpm typecheck` (tsc over test/) fails when a `@ts-expect-error` below no
// longer finds an error; the runtime halves check that normalizeConfig refuses the same input.
import type { KeyObject } from 'node:crypto'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  ConfigError,
  createStaticAuthenticator,
  fromAiven,
  fromOpenSearch,
  normalizeConfig,
  type AivenJwtConfig,
  type JwtAuthOptions,
  type OpenSearchJwtConfig,
  type Principal,
  type ResolvedOptions,
} from '../src/index.js'
import { SECRET_B64 } from './helpers.js'

describe('option types', () => {
  it('JwtAuthOptions carries every option with its type', () => {
    expectTypeOf<JwtAuthOptions['signingKey']>().toEqualTypeOf<
      string | KeyObject | readonly (string | KeyObject)[] | undefined
    >()
    expectTypeOf<JwtAuthOptions['requiredAudience']>().toEqualTypeOf<
      string | readonly string[] | undefined
    >()
    expectTypeOf<JwtAuthOptions['maxStaleMs']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<JwtAuthOptions['typ']>().toEqualTypeOf<string | readonly string[] | undefined>()
    expectTypeOf<JwtAuthOptions['requiredClaims']>().toEqualTypeOf<readonly string[] | undefined>()
    expectTypeOf<JwtAuthOptions['isRevoked']>().toEqualTypeOf<
      ((principal: Principal) => boolean | Promise<boolean>) | undefined
    >()
    expectTypeOf<JwtAuthOptions['jwksHeaders']>().toEqualTypeOf<
      Readonly<Record<string, string>> | undefined
    >()
    expectTypeOf<ResolvedOptions['clockSkewToleranceSeconds']>().toEqualTypeOf<number>()
    expectTypeOf<ResolvedOptions['realm']>().toEqualTypeOf<string>()
    expectTypeOf<ResolvedOptions['typ']>().toEqualTypeOf<readonly string[] | undefined>()
    expectTypeOf<ResolvedOptions['maxStaleMs']>().toEqualTypeOf<number>()
    expectTypeOf<ResolvedOptions>().toExtend<JwtAuthOptions>()
  })

  it('misspelled and mistyped options do not compile, and fail at run time', () => {
    const build = (options: JwtAuthOptions) => () => createStaticAuthenticator(options)
    // @ts-expect-error -- jwksURI is not an option (jwksUri is)
    expect(build({ signingKey: SECRET_B64, jwksURI: 'https://idp.example/jwks' })).toThrow(
      ConfigError,
    )
    // @ts-expect-error -- requiredAudiences is not an option (requiredAudience is)
    expect(build({ signingKey: SECRET_B64, requiredAudiences: ['api'] })).toThrow(ConfigError)
    // @ts-expect-error -- requiredAudience is a string or a list of strings
    expect(build({ signingKey: SECRET_B64, requiredAudience: 42 })).toThrow(ConfigError)
    // @ts-expect-error -- skip is an adapter option, and misspelled
    expect(build({ signingKey: SECRET_B64, skipp: ['/health'] })).toThrow(ConfigError)
    // @ts-expect-error -- snake_case belongs to fromOpenSearch
    expect(build({ signing_key: SECRET_B64 })).not.toThrow()
    // @ts-expect-error -- maxTokenAgeSeconds is a number
    expect(build({ signingKey: SECRET_B64, maxTokenAgeSeconds: '300' })).toThrow(ConfigError)
    // @ts-expect-error -- typ is a string or a list of strings
    expect(build({ signingKey: SECRET_B64, typ: true })).toThrow(ConfigError)
  })

  it('the OpenSearch and Aiven forms have types of their own', () => {
    const os: OpenSearchJwtConfig = {
      signing_key: SECRET_B64,
      roles_key: ['realm_access', 'roles'],
      jwks_request_timeout_ms: '3000',
      'jwks.enable_ssl': false,
      jwks: { enable_ssl: false },
    }
    expect(fromOpenSearch(os).rolesKey).toEqual(['realm_access', 'roles'])
    expect(fromOpenSearch({ type: 'jwt', config: { signing_key: SECRET_B64 } }).enabled).toBe(true)
    // @ts-expect-error -- signingKey is the camelCase name
    expect(() => fromOpenSearch({ signingKey: SECRET_B64, signing_keys: 'x' })).toThrow(ConfigError)
    // @ts-expect-error -- jwks_url is not a setting (jwks_uri is)
    expect(() => fromOpenSearch({ jwks_url: 'https://idp.example/jwks' })).toThrow(ConfigError)

    const flat: AivenJwtConfig = { 'jwt.enabled': true, 'jwt.signing_key': SECRET_B64 }
    const nested: AivenJwtConfig = { jwt: { enabled: true, subject_key: 'email' } }
    expect(fromAiven(flat).enabled).toBe(true)
    expect(fromAiven(nested)).toMatchObject({ subjectKey: 'email' })
    // @ts-expect-error -- jwt.signing_keys is not a setting
    expect(() => fromAiven({ 'jwt.signing_keys': SECRET_B64 })).toThrow(ConfigError)
    // A disabled Aiven config type-checks as options, and no authenticator accepts it.
    expect(() => createStaticAuthenticator(fromAiven({ jwt: { enabled: false } }))).toThrow(
      ConfigError,
    )
  })

  it('normalizeConfig takes configuration read at run time', () => {
    const fromFile: unknown = JSON.parse('{"signing_key":"x","roles_key":"roles"}')
    expect(() => normalizeConfig(fromFile)).not.toThrow()
  })
})
