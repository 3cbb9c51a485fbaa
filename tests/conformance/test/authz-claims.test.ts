// Issue 16 items 2 and 3 on every adapter: the RFC 9068 `typ`, `maxTokenAgeSeconds`,
// `requiredClaims`, `verifyClaims` and `isRevoked` refusals must reach the client with the same
// status, body and challenge from every framework, and a route must see `principal.scopes`.
// One app per framework carries every option; each case changes one thing in an otherwise
// accepted token.
import { randomUUID } from 'node:crypto'
import { AUTH_ERRORS, type AuthErrorCode, type JwtAuthOptions } from '@jwtgate/core'
import { MockJwksServer } from '@jwtgate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS, type RunningApp } from './frameworks.js'
import { bearer, get, type Reply } from './http.js'

const AUDIENCE = 'conformance-api'
const MAX_AGE = 600
const SUSPENDED = 'the organisation is suspended'
const now = () => Math.floor(Date.now() / 1000)

let idp: MockJwksServer
beforeAll(async () => {
  idp = await MockJwksServer.start({ keys: ['ES256'] })
})
afterAll(() => idp.close())

/** The `jti`s `isRevoked` answers true for (sync, or through a Promise when `async: true`). */
const revoked = new Set<string>()
/** How often `verifyClaims` ran for each `jti`: once per verified token, not on cache hits. */
const verified = new Map<string, number>()

const options = (): JwtAuthOptions => ({
  jwksUri: idp.jwksUri,
  requiredIssuer: idp.issuer,
  requiredAudience: AUDIENCE,
  rolesKey: 'roles',
  typ: 'at+jwt',
  maxTokenAgeSeconds: MAX_AGE,
  requiredClaims: ['client_id'],
  verifyClaims: (claims) => {
    const jti = String(claims.jti)
    verified.set(jti, (verified.get(jti) ?? 0) + 1)
    if (claims.org === 'refused') return false
    if (claims.org === 'suspended') return SUSPENDED
    return true
  },
  isRevoked: (principal) => {
    const answer = revoked.has(String(principal.claims.jti))
    return principal.claims.async === true ? Promise.resolve(answer) : answer
  },
})

/** An access token every app accepts; `claims` and `header` change one thing in it. */
const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  idp.sign(
    {
      sub: 'alice',
      aud: AUDIENCE,
      roles: ['reader'],
      client_id: 'web',
      jti: randomUUID(),
      ...claims,
    },
    { header: { typ: 'at+jwt', ...header } },
  )

const jtiOf = (jwt: string): string =>
  String(
    (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as { jti: unknown })
      .jti,
  )

/** The exact refusal: status, `{ error, message }` body and the invalid_token challenge. */
function expectError(reply: Reply, code: AuthErrorCode, message: unknown): void {
  expect({
    status: reply.status,
    body: reply.body,
    challenge: reply.headers['www-authenticate'],
  }).toEqual({
    status: 401,
    body: { error: code, message },
    challenge: `Bearer realm="jwtgate", error="invalid_token", error_description="${AUTH_ERRORS[code].message}"`,
  })
  expect(AUTH_ERRORS[code].status).toBe(401)
  expect(reply.headers['content-type']).toMatch(/^application\/json/)
}

function expectAccepted(reply: Reply): void {
  expect({ status: reply.status, challenge: reply.headers['www-authenticate'] }).toEqual({
    status: 200,
    challenge: undefined,
  })
  expect(reply.body).toMatchObject({ subject: 'alice' })
}

describe.each(FRAMEWORKS)('$name: access-token rules', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start(options())
  })
  afterAll(() => app.close())

  const me = async (jwt: string) => get(`${app.url}/me`, bearer(jwt))

  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/AT+JWT'])(
    'typ at+jwt accepts a token typed %j',
    async (typ) => {
      expectAccepted(await me(await token({}, { typ })))
    },
  )

  it.each([
    ['JWT', 'JWT'],
    ['no typ', undefined],
  ])('typ at+jwt refuses a token typed %s: 401 claim_invalid', async (_name, typ) => {
    expectError(await me(await token({}, { typ })), 'claim_invalid', expect.stringContaining('typ'))
  })

  it('requiredClaims: a missing claim is 401 claim_invalid naming it', async () => {
    expectError(
      await me(await token({ client_id: undefined })),
      'claim_invalid',
      'The "client_id" claim is required',
    )
  })

  it('verifyClaims returning false: 401 claim_invalid with the fixed message', async () => {
    expectError(
      await me(await token({ org: 'refused' })),
      'claim_invalid',
      'The token claims were refused by verifyClaims',
    )
  })

  it('verifyClaims returning a string: 401 claim_invalid with that string as the message', async () => {
    expectError(await me(await token({ org: 'suspended' })), 'claim_invalid', SUSPENDED)
  })

  it('maxTokenAgeSeconds exceeded: 401 token_expired', async () => {
    const old = await token({ iat: now() - MAX_AGE - 3600 })
    expectError(await me(old), 'token_expired', 'The token is older than maxTokenAgeSeconds')
    // Within the age, the same claims pass.
    expectAccepted(await me(await token({ iat: now() - 60 })))
  })

  it('maxTokenAgeSeconds with no iat: 401 claim_invalid', async () => {
    expectError(
      await me(await token({ iat: undefined })),
      'claim_invalid',
      expect.stringMatching(/^The "iat" claim is required/),
    )
  })

  it('isRevoked true: 401 token_revoked', async () => {
    const jwt = await token()
    revoked.add(jtiOf(jwt))
    expectError(await me(jwt), 'token_revoked', AUTH_ERRORS.token_revoked.message)
  })

  it('isRevoked on a cache hit: accepted, revoked, then 401 token_revoked for the same token', async () => {
    const jwt = await token()
    const jti = jtiOf(jwt)
    expectAccepted(await me(jwt))
    revoked.add(jti)
    expectError(await me(jwt), 'token_revoked', AUTH_ERRORS.token_revoked.message)
    // verifyClaims ran once: the second request was answered from the cache.
    expect(verified.get(jti)).toBe(1)
  })

  it('an async isRevoked (Promise): accepted, then 401 token_revoked on the cache hit', async () => {
    const jwt = await token({ async: true })
    const jti = jtiOf(jwt)
    expectAccepted(await me(jwt))
    expectAccepted(await me(jwt))
    revoked.add(jti)
    expectError(await me(jwt), 'token_revoked', AUTH_ERRORS.token_revoked.message)
    expect(verified.get(jti)).toBe(1)
    const already = await token({ async: true })
    revoked.add(jtiOf(already))
    expectError(await me(already), 'token_revoked', AUTH_ERRORS.token_revoked.message)
  })

  it('principal.scopes from a space-separated scope claim', async () => {
    const reply = await me(await token({ scope: 'orders:read profile orders:write' }))
    expect(reply).toMatchObject({
      status: 200,
      body: {
        subject: 'alice',
        roles: ['reader'],
        scopes: ['orders:read', 'profile', 'orders:write'],
      },
    })
  })

  it('principal.scopes from an array scp claim, and none without either', async () => {
    const reply = await me(await token({ scp: ['orders:read', 'orders:admin'] }))
    expect(reply).toMatchObject({
      status: 200,
      body: { subject: 'alice', scopes: ['orders:read', 'orders:admin'] },
    })
    expect(await me(await token())).toMatchObject({ status: 200, body: { scopes: [] } })
  })
})
