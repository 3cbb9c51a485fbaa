// Second-wave adapter behaviour, over every framework: repeated token headers on a raw socket
// behind a header-adding middleware, CORS preflights, the skip predicate, the one option shape
// and its ConfigErrors; route helpers without names.
import type { ConfigError } from '@jwtgate/core'
import { AUTH_ERRORS, type AuthErrorCode, type Authenticator } from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import { MockJwksServer } from '@jwtgate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SECOND_WAVE, type RunningApp } from './frameworks.js'
import { bearer, get, rawRequest, type Reply } from './http.js'

const AUDIENCE = 'conformance-api'
const INVALID = 'Bearer realm="jwtgate", error="invalid_token"'
const CHALLENGE = 'Bearer realm="jwtgate"'

let idp: MockJwksServer
beforeAll(async () => {
  idp = await MockJwksServer.start({ keys: ['ES256'] })
})
afterAll(() => idp.close())

const options = () => ({
  jwksUri: idp.jwksUri,
  requiredIssuer: idp.issuer,
  requiredAudience: AUDIENCE,
  rolesKey: 'roles',
})
const token = (claims: Record<string, unknown> = {}) =>
  idp.sign({ sub: 'alice', aud: AUDIENCE, roles: ['reader'], ...claims })

function expectError(reply: Reply, code: AuthErrorCode, expected: string | undefined): void {
  // Every challenge with an error carries the code's fixed error_description.
  const challenge =
    expected === INVALID
      ? `${expected}, error_description="${AUTH_ERRORS[code].message}"`
      : expected
  expect({
    status: reply.status,
    body: reply.body,
    challenge: reply.headers['www-authenticate'],
  }).toEqual({
    status: AUTH_ERRORS[code].status,
    body: { error: code, message: expect.any(String) as string },
    challenge,
  })
}

describe.each(SECOND_WAVE)('$name: repeated token header (issue 14 item 1)', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start(options(), { optional: true })
  })
  afterAll(() => app.close())

  it('one Authorization line behind the request-id middleware: 200', async () => {
    const reply = await rawRequest(app.url, [['Authorization', `Bearer ${await token()}`]])
    expect(reply).toMatchObject({ status: 200, body: { subject: 'alice' } })
  })

  it.each([
    ['good then forged', (good: string) => [`Bearer ${good}`, 'Bearer forged.x.y'] as const],
    ['forged then good', (good: string) => ['Bearer forged.x.y', `Bearer ${good}`] as const],
    ['the good token twice', (good: string) => [`Bearer ${good}`, `Bearer ${good}`] as const],
  ])('two Authorization lines, %s: 401 token_malformed', async (_name, values) => {
    const [first, second] = values(await token())
    const reply = await rawRequest(app.url, [
      ['Authorization', first],
      ['authorization', second],
    ])
    expectError(reply, 'token_malformed', INVALID)
  })
})

describe.each(SECOND_WAVE)('$name: a custom jwtHeader repeated', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start({ ...options(), jwtHeader: 'X-Access-Token' })
  })
  afterAll(() => app.close())

  it('two X-Access-Token lines (which Node would join): 401 token_malformed', async () => {
    const good = await token()
    expect(
      (await rawRequest(app.url, [['X-Access-Token', good]])).status,
      'a single line is accepted',
    ).toBe(200)
    const reply = await rawRequest(app.url, [
      ['X-Access-Token', good],
      ['x-access-token', good],
    ])
    expectError(reply, 'token_malformed', INVALID)
  })
})

describe.each(SECOND_WAVE)('$name: CORS preflight (issue 20 item 4)', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start(options())
  })
  afterAll(() => app.close())

  const preflight = [
    ['Origin', 'https://app.example'],
    ['Access-Control-Request-Method', 'DELETE'],
    ['Access-Control-Request-Headers', 'authorization'],
  ] as const

  it('OPTIONS with Access-Control-Request-Method reaches the app untouched', async () => {
    const reply = await rawRequest(app.url, preflight, { method: 'OPTIONS' })
    expect(reply.status).toBe(204)
    expect(reply.headers['x-preflight']).toBe('seen')
    expect(reply.headers['www-authenticate']).toBeUndefined()
  })

  it('even with a bad token beside it (a preflight is never authenticated)', async () => {
    const reply = await rawRequest(app.url, [...preflight, ['Authorization', 'Bearer x.y.z']], {
      method: 'OPTIONS',
    })
    expect(reply.status).toBe(204)
  })

  it('OPTIONS without Access-Control-Request-Method is authenticated: 401', async () => {
    const reply = await rawRequest(app.url, [['Origin', 'https://app.example']], {
      method: 'OPTIONS',
    })
    expectError(reply, 'token_missing', CHALLENGE)
  })

  it('a GET carrying Access-Control-Request-Method is authenticated: 401', async () => {
    const reply = await rawRequest(app.url, preflight)
    expectError(reply, 'token_missing', CHALLENGE)
  })
})

describe.each(SECOND_WAVE)('$name: skip predicate (issue 20 item 4)', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start(options(), {
      skip: (request) => request.method === 'GET' && request.path === '/health',
    })
  })
  afterAll(() => app.close())

  it('sees the method and the path (query ignored)', async () => {
    expect((await get(`${app.url}/health?probe=1`)).status).toBe(200)
    expectError(await get(`${app.url}/me`), 'token_missing', CHALLENGE)
    const post = await rawRequest(app.url, [], { method: 'POST', path: '/health' })
    expectError(post, 'token_missing', CHALLENGE)
  })

  it('a valid token on a non-skipped path still yields the principal', async () => {
    expect(await get(`${app.url}/me`, bearer(await token()))).toMatchObject({
      status: 200,
      body: { subject: 'alice' },
    })
  })
})

describe.each(SECOND_WAVE)('$name: one option shape (issue 20 item 5)', ({ setUp }) => {
  let shared: Authenticator
  beforeAll(() => {
    shared = createAuthenticator({ ...options() })
  })
  afterAll(() => shared.close())

  const configError = (key: string) =>
    expect.objectContaining({ name: 'ConfigError', key }) as ConfigError

  it('authentication and adapter options in one object', async () => {
    await expect(
      setUp({ ...options(), optional: true, skip: ['/health'], onError: () => undefined }),
    ).resolves.toBeUndefined()
  })

  it('an authenticator with adapter options, or { authenticator, ...adapterOptions }', async () => {
    await expect(setUp(shared, { optional: true, skip: ['/health'] })).resolves.toBeUndefined()
    await expect(setUp({ authenticator: shared, optional: true })).resolves.toBeUndefined()
  })

  it('authentication options beside an authenticator: ConfigError naming the option', async () => {
    await expect(setUp(shared, { requiredAudience: 'other' })).rejects.toThrow(
      configError('requiredAudience'),
    )
    await expect(setUp({ authenticator: shared, requiredAudience: 'other' })).rejects.toThrow(
      configError('requiredAudience'),
    )
  })

  it('a misspelled or mistyped adapter option: ConfigError naming it', async () => {
    await expect(setUp({ ...options(), skipp: ['/health'] })).rejects.toThrow(configError('skipp'))
    await expect(setUp({ ...options(), optional: 'yes' })).rejects.toThrow(configError('optional'))
    await expect(setUp({ ...options(), skip: 42 })).rejects.toThrow(configError('skip'))
  })
})

describe.each(SECOND_WAVE)(
  '$name: route helpers without names (issue 16 item 4)',
  ({ helpers }) => {
    const configError = (key: string): ConfigError =>
      expect.objectContaining({
        name: 'ConfigError',
        key: expect.stringContaining(key) as string,
      }) as ConfigError

    it('requireRoles(), requireAllRoles(), requireScopes(), requireAnyScope(): ConfigError at route definition', () => {
      expect(() => helpers.requireRoles()).toThrow(configError('Roles()'))
      expect(() => helpers.requireAllRoles()).toThrow(configError('AllRoles()'))
      expect(() => helpers.requireScopes()).toThrow(configError('Scopes()'))
      expect(() => helpers.requireAnyScope()).toThrow(configError('AnyScope()'))
    })

    it('an empty or non-string name, or a scope with a space: ConfigError naming its position', () => {
      expect(() => helpers.requireRoles('admin', '')).toThrow(configError('Roles()[1]'))
      expect(() => helpers.requireAllRoles(7 as unknown as string)).toThrow(
        configError('AllRoles()[0]'),
      )
      expect(() => helpers.requireScopes('orders:read orders:write')).toThrow(
        configError('Scopes()[0]'),
      )
      expect(() => helpers.requireAnyScope('a', undefined as unknown as string)).toThrow(
        configError('AnyScope()[1]'),
      )
    })

    it('with names (and requireAuth without any): a route helper', () => {
      for (const helper of [
        helpers.requireRoles('admin'),
        helpers.requireAllRoles('ops', 'audit'),
        helpers.requireScopes('orders:read'),
        helpers.requireAnyScope('orders:read', 'orders:admin'),
        helpers.requireAuth(),
      ]) {
        expect(typeof helper).toBe('function')
      }
    })
  },
)
