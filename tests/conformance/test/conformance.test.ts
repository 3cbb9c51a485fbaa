// One suite, every adapter: the same requests over real HTTP must get the same status, body and
// headers from Express 4, Express 5, Fastify, Koa, Hono and NestJS (on Express and on Fastify). Policy lives in core, so any difference
// here is an adapter bug.
import { AUTH_ERRORS, type AuthErrorCode, type Authenticator } from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import { algNoneToken, MockJwksServer, tamperPayload } from '@jwtgate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS, type RunningApp } from './frameworks.js'
import { ALL_SCOPES, ANY_SCOPES } from './scopes.js'
import { bearer, get, type Reply } from './http.js'

const AUDIENCE = 'conformance-api'
const now = () => Math.floor(Date.now() / 1000)

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
  jwtUrlParameter: 'access_token',
})
const token = (claims: Record<string, unknown> = {}, opts: { kid?: string } = {}) =>
  idp.sign({ sub: 'alice', aud: AUDIENCE, roles: ['reader'], ...claims }, opts)

const CHALLENGE = 'Bearer realm="jwtgate"'
const INVALID = 'Bearer realm="jwtgate", error="invalid_token"'
const SCOPE = 'Bearer realm="jwtgate", error="insufficient_scope"'

function expectError(reply: Reply, code: AuthErrorCode, expected: string | undefined): void {
  // Every challenge with an error carries the code's fixed error_description (DESIGN.md, Second wave).
  const challenge =
    expected === INVALID || expected === SCOPE
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
  expect(reply.headers['content-type']).toMatch(/^application\/json/)
}

/** 403 insufficient_scope, its challenge naming exactly the scopes the route required (RFC 6750 §3.1). */
function expectScopeError(reply: Reply, scopes: readonly string[]): void {
  expect({
    status: reply.status,
    body: reply.body,
    challenge: reply.headers['www-authenticate'],
  }).toEqual({
    status: 403,
    body: { error: 'insufficient_scope', message: AUTH_ERRORS.insufficient_scope.message },
    challenge: `${SCOPE}, error_description="${AUTH_ERRORS.insufficient_scope.message}", scope="${scopes.join(' ')}"`,
  })
  expect(reply.headers['content-type']).toMatch(/^application\/json/)
}

describe.each(FRAMEWORKS)('$name', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start(options(), { skip: ['/health'] })
  })
  afterAll(() => app.close())

  it('accepts a valid token and exposes the principal', async () => {
    const reply = await get(`${app.url}/me`, bearer(await token()))
    expect(reply).toMatchObject({ status: 200, body: { subject: 'alice', roles: ['reader'] } })
    expect(reply.headers['www-authenticate']).toBeUndefined()
  })

  it('accepts a token from the URL parameter', async () => {
    const reply = await get(`${app.url}/me?x=1&access_token=${await token()}`)
    expect(reply).toMatchObject({ status: 200, body: { subject: 'alice' } })
  })

  it('the header wins over the URL parameter', async () => {
    const reply = await get(`${app.url}/me?access_token=${await token()}`, bearer('x.y.z'))
    expectError(reply, 'token_malformed', INVALID)
  })

  it('token_missing: 401 with a plain challenge (no error=)', async () => {
    expectError(await get(`${app.url}/me`), 'token_missing', CHALLENGE)
    expectError(
      await get(`${app.url}/me`, { authorization: 'Basic dXNlcjpwYXNz' }),
      'token_missing',
      CHALLENGE,
    )
  })

  it('token_malformed: garbage, empty Bearer, two Authorization headers', async () => {
    expectError(await get(`${app.url}/me`, bearer('not-a-jwt')), 'token_malformed', INVALID)
    expectError(
      await get(`${app.url}/me`, { authorization: 'Bearer ' }),
      'token_malformed',
      INVALID,
    )
    const t = await token()
    expectError(
      await get(`${app.url}/me`, { authorization: [`Bearer ${t}`, `Bearer ${t}`] }),
      'token_malformed',
      INVALID,
    )
  })

  it('alg_not_allowed: alg none', async () => {
    const t = algNoneToken({ sub: 'alice', aud: AUDIENCE, iss: idp.issuer })
    expectError(await get(`${app.url}/me`, bearer(t)), 'alg_not_allowed', INVALID)
  })

  it('signature_invalid: a tampered payload', async () => {
    const t = tamperPayload(await token(), { roles: ['admin'] })
    expectError(await get(`${app.url}/me`, bearer(t)), 'signature_invalid', INVALID)
  })

  it('key_not_found: a kid the key set does not hold, even after a refresh', async () => {
    const before = idp.requestCount
    const t = await idp.sign({ sub: 'alice', aud: AUDIENCE }, { header: { kid: 'no-such-kid' } })
    expectError(await get(`${app.url}/me`, bearer(t)), 'key_not_found', INVALID)
    expect(idp.requestCount).toBe(before + 1)
  })

  it.each([
    ['token_expired', { exp: now() - 3600 }],
    ['token_not_yet_valid', { nbf: now() + 3600 }],
    ['token_issued_in_future', { iat: now() + 3600 }],
    ['claim_invalid', { exp: 'tomorrow' }],
    ['audience_mismatch', { aud: 'another-api' }],
    ['issuer_mismatch', { iss: 'https://evil.example' }],
    ['subject_missing', { sub: undefined }],
  ] as const)('%s', async (code, claims) => {
    expectError(await get(`${app.url}/me`, bearer(await token(claims))), code, INVALID)
  })

  it('requireRoles: any-of passes with one role, 403 insufficient_scope without', async () => {
    const ok = await get(`${app.url}/admin`, bearer(await token({ roles: ['root'] })))
    expect(ok).toMatchObject({ status: 200, body: { ok: true } })
    const denied = await get(`${app.url}/admin`, bearer(await token({ roles: ['reader'] })))
    expectError(denied, 'insufficient_roles', SCOPE)
  })

  it('requireAllRoles: needs every role', async () => {
    const both = await token({ roles: ['ops', 'audit'] })
    expect((await get(`${app.url}/ops-and-audit`, bearer(both))).status).toBe(200)
    const one = await get(`${app.url}/ops-and-audit`, bearer(await token({ roles: ['ops'] })))
    expectError(one, 'insufficient_roles', SCOPE)
  })

  it('roles are exact: " admin" and "Admin" are not admin', async () => {
    const t = await token({ roles: [' admin', 'Admin'] })
    expect((await get(`${app.url}/admin`, bearer(t))).status).toBe(403)
  })

  it('requireScopes: every scope passes (space-separated scope claim); one missing is 403 insufficient_scope with scope="…"', async () => {
    const all = await token({ scope: 'orders:write profile orders:read' })
    expect(await get(`${app.url}/orders`, bearer(all))).toMatchObject({
      status: 200,
      body: { ok: true },
    })
    const one = await get(`${app.url}/orders`, bearer(await token({ scope: 'orders:read' })))
    expectScopeError(one, ALL_SCOPES)
    // No scope claim at all: no scopes.
    expectScopeError(await get(`${app.url}/orders`, bearer(await token())), ALL_SCOPES)
  })

  it('requireAnyScope: one scope passes; none is 403 insufficient_scope naming the accepted scopes', async () => {
    const admin = await token({ scope: 'orders:admin' })
    expect((await get(`${app.url}/orders-any`, bearer(admin))).status).toBe(200)
    const scp = await token({ scp: ['profile', 'orders:read'] })
    expect((await get(`${app.url}/orders-any`, bearer(scp))).status).toBe(200)
    const other = await get(`${app.url}/orders-any`, bearer(await token({ scope: 'profile' })))
    expectScopeError(other, ANY_SCOPES)
  })

  it('scopes are exact: never comma-split, case-sensitive, and roles are not scopes', async () => {
    for (const claims of [
      { scope: 'orders:read,orders:write' },
      { scope: 'ORDERS:READ ORDERS:WRITE' },
      { roles: ['orders:read', 'orders:write'] },
    ]) {
      expectScopeError(await get(`${app.url}/orders`, bearer(await token(claims))), ALL_SCOPES)
    }
  })

  it('requireAuth: a principal passes', async () => {
    expect(await get(`${app.url}/must`, bearer(await token()))).toMatchObject({
      status: 200,
      body: { subject: 'alice' },
    })
  })

  it('skip: listed paths pass without a token, others do not', async () => {
    expect(await get(`${app.url}/health`)).toMatchObject({ status: 200, body: { ok: true } })
    expect((await get(`${app.url}/health?probe=1`)).status).toBe(200)
    expect((await get(`${app.url}/me`)).status).toBe(401)
  })

  it('survives a key rotation while running, without restarting', async () => {
    const old = await token()
    const key = await idp.rotate()
    const fresh = await token({}, { kid: key.kid })
    expect((await get(`${app.url}/me`, bearer(fresh))).status).toBe(200)
    expect((await get(`${app.url}/me`, bearer(old))).status).toBe(200)
  })

  it('shares one authenticator: many requests, no extra JWKS fetch', async () => {
    const t = await token()
    await get(`${app.url}/me`, bearer(t))
    const before = idp.requestCount
    const replies = await Promise.all(
      Array.from({ length: 25 }, async () => get(`${app.url}/me`, bearer(await token()))),
    )
    expect(replies.map((r) => r.status)).toEqual(Array(25).fill(200))
    expect(idp.requestCount).toBe(before)
  })
})

describe.each(FRAMEWORKS)('$name, optional mode', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start(options(), { optional: true })
  })
  afterAll(() => app.close())

  it('no token: the request continues unauthenticated', async () => {
    expect(await get(`${app.url}/me`)).toMatchObject({ status: 200, body: { anonymous: true } })
  })

  it('a bad token is still rejected', async () => {
    expectError(await get(`${app.url}/me`, bearer('x.y.z')), 'token_malformed', INVALID)
    const expired = await token({ exp: now() - 3600 })
    expectError(await get(`${app.url}/me`, bearer(expired)), 'token_expired', INVALID)
  })

  it('requireRoles without a principal: 401 token_missing', async () => {
    expectError(await get(`${app.url}/admin`), 'token_missing', CHALLENGE)
  })

  it('requireAuth, requireScopes and requireAnyScope without a principal: 401 token_missing', async () => {
    for (const path of ['/must', '/orders', '/orders-any', '/ops-and-audit']) {
      expectError(await get(`${app.url}${path}`), 'token_missing', CHALLENGE)
    }
    expect(await get(`${app.url}/must`, bearer(await token()))).toMatchObject({
      status: 200,
      body: { subject: 'alice' },
    })
  })

  it('a valid token still yields the principal', async () => {
    expect(await get(`${app.url}/me`, bearer(await token()))).toMatchObject({
      status: 200,
      body: { subject: 'alice' },
    })
  })
})

describe.each(FRAMEWORKS)('$name, challenge off', ({ start }) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start({ ...options(), challenge: false })
  })
  afterAll(() => app.close())

  it('401 and 403 carry no WWW-Authenticate', async () => {
    expectError(await get(`${app.url}/me`), 'token_missing', undefined)
    expectError(await get(`${app.url}/me`, bearer('x.y.z')), 'token_malformed', undefined)
    const reader = await token({ roles: ['reader'] })
    expectError(await get(`${app.url}/admin`, bearer(reader)), 'insufficient_roles', undefined)
    expectError(await get(`${app.url}/orders`, bearer(reader)), 'insufficient_scope', undefined)
  })
})

describe.each(FRAMEWORKS)('$name, JWKS endpoint down', ({ start }) => {
  let down: MockJwksServer
  let app: RunningApp
  let shared: Authenticator
  beforeAll(async () => {
    down = await MockJwksServer.start({ keys: ['RS256'] })
    shared = createAuthenticator({ jwksUri: down.jwksUri, requiredAudience: AUDIENCE })
    app = await start(shared)
  })
  afterAll(async () => {
    await app.close()
    await down.close()
  })

  it('jwks_unavailable: 503 with Retry-After and no challenge', async () => {
    down.injectFault({ type: 'status', status: 500 })
    const t = await down.sign({ sub: 'alice', aud: AUDIENCE })
    const reply = await get(`${app.url}/me`, bearer(t))
    expectError(reply, 'jwks_unavailable', undefined)
    expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('after recovery the same token is accepted (a shared authenticator was passed in)', async () => {
    down.clearFaults()
    const t = await down.sign({ sub: 'alice', aud: AUDIENCE })
    let reply = await get(`${app.url}/me`, bearer(t))
    for (let i = 0; i < 50 && reply.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100))
      reply = await get(`${app.url}/me`, bearer(t))
    }
    expect(reply).toMatchObject({ status: 200, body: { subject: 'alice' } })
  })
})

describe.each(FRAMEWORKS)('$name, several issuers', ({ start }) => {
  let partner: MockJwksServer
  let stranger: MockJwksServer
  let app: RunningApp
  beforeAll(async () => {
    ;[partner, stranger] = await Promise.all([
      MockJwksServer.start({ keys: ['RS256'] }),
      MockJwksServer.start({ keys: ['ES256'] }),
    ])
    // `issuers` passes through every adapter unchanged.
    app = await start({
      requiredAudience: AUDIENCE,
      rolesKey: 'roles',
      issuers: [
        { issuer: idp.issuer, jwksUri: idp.jwksUri },
        { issuer: partner.issuer, openidConnectUrl: partner.discoveryUrl, rolesKey: 'groups' },
      ],
    })
  })
  afterAll(async () => {
    await app.close()
    await Promise.all([partner.close(), stranger.close()])
  })

  it('accepts both issuers, each with its own policy', async () => {
    expect(await get(`${app.url}/me`, bearer(await token()))).toMatchObject({
      status: 200,
      body: { subject: 'alice', roles: ['reader'] },
    })
    const fromPartner = await partner.sign({ sub: 'bob', aud: AUDIENCE, groups: ['reader'] })
    expect(await get(`${app.url}/me`, bearer(fromPartner))).toMatchObject({
      status: 200,
      body: { subject: 'bob', roles: ['reader'] },
    })
  })

  it('a third issuer: 401 issuer_mismatch, and its keys are never fetched', async () => {
    const foreign = await stranger.sign({ sub: 'eve', aud: AUDIENCE, roles: ['admin'] })
    expectError(await get(`${app.url}/me`, bearer(foreign)), 'issuer_mismatch', INVALID)
    expect(stranger.requestCount + stranger.discoveryRequestCount).toBe(0)
  })
})
