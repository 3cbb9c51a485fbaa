// Type tests over every package that takes options: a misspelled or mistyped option
// (`jwksURI`, `requiredAudiences`, `requiredAudience: 42`, `skipp`) does not compile. `pnpm
// typecheck` fails when a `@ts-expect-error` below stops finding its error; at run time the same
// options fail at start-up with a ConfigError.
import { ConfigError, fromOpenSearch, type JwtAuthOptions } from '@jwtgate/core'
import * as jwtExpress from '@jwtgate/express'
import * as jwtFastify from '@jwtgate/fastify'
import { createAuthenticator } from '@jwtgate/jwks'
import * as jwtKoa from '@jwtgate/koa'
import Fastify from 'fastify'
import { describe, expect, expectTypeOf, it } from 'vitest'

const jwksUri = 'https://idp.example/jwks'

describe('options are typed in every package', () => {
  it('createAuthenticator (@jwtgate/jwks)', () => {
    expectTypeOf(createAuthenticator).parameter(0).toEqualTypeOf<JwtAuthOptions>()
    // @ts-expect-error -- jwksURI is not an option (jwksUri is)
    expect(() => createAuthenticator({ jwksURI: jwksUri })).toThrow(ConfigError)
    // @ts-expect-error -- requiredAudiences is not an option (requiredAudience is)
    expect(() => createAuthenticator({ jwksUri, requiredAudiences: 'api' })).toThrow(ConfigError)
    // @ts-expect-error -- requiredAudience is a string or a list of strings
    expect(() => createAuthenticator({ jwksUri, requiredAudience: 42 })).toThrow(ConfigError)
    // @ts-expect-error -- the snake_case form goes through fromOpenSearch
    expect(() => createAuthenticator({ jwks_url: jwksUri })).toThrow(ConfigError)
    const auth = createAuthenticator(fromOpenSearch({ jwks_uri: jwksUri }))
    expect(auth.keySet).toBeDefined()
    return auth.close()
  })

  it('jwtAuth of @jwtgate/express and @jwtgate/koa', () => {
    // @ts-expect-error -- jwksURI is not an option
    expect(() => jwtExpress.jwtAuth({ jwksURI: jwksUri })).toThrow(ConfigError)
    // @ts-expect-error -- requiredAudience is a string or a list of strings
    expect(() => jwtExpress.jwtAuth({ jwksUri, requiredAudience: 42 })).toThrow(ConfigError)
    // @ts-expect-error -- skipp is not an option (skip is)
    expect(() => jwtKoa.jwtAuth({ jwksUri, skipp: ['/health'] })).toThrow(ConfigError)
    // @ts-expect-error -- requiredAudiences is not an option
    expect(() => jwtKoa.jwtAuth({ jwksUri, requiredAudiences: ['api'] })).toThrow(ConfigError)
  })

  it('the @jwtgate/fastify plugin', async () => {
    const app = Fastify()
    // @ts-expect-error -- skipp is not an option (skip is)
    void app.register(jwtFastify.jwtAuth, { jwksUri, skipp: ['/health'] })
    await expect(app.ready()).rejects.toThrow(ConfigError)
    const app2 = Fastify()
    // @ts-expect-error -- requiredAudience is a string or a list of strings
    void app2.register(jwtFastify.jwtAuth, { jwksUri, requiredAudience: 42 })
    await expect(app2.ready()).rejects.toThrow(ConfigError)
  })
})
