// Issue 16 items 2 and 3 (DESIGN.md, "Added in the second wave"): typ, maxTokenAgeSeconds,
// requiredClaims, verifyClaims and isRevoked, alone and per issuer. Every refusal asserts the
// exact code and status.
import { describe, expect, it } from 'vitest'
import {
  AuthError,
  createStaticAuthenticator,
  type AuthEvent,
  type JwtAuthOptions,
  type Principal,
} from '../src/index.js'
import {
  bearer,
  claims,
  clock,
  expectAuthFailure,
  hs,
  hsToken,
  mint,
  NOW,
  SECRET_B64,
  staticAuth,
} from './helpers.js'

const auth = (extra: Partial<JwtAuthOptions> = {}) =>
  staticAuth({ signingKey: SECRET_B64, ...extra })
const withTyp = (typ: unknown, extra: Record<string, unknown> = {}) =>
  hsToken(claims(extra), typ === undefined ? { alg: 'HS256' } : { alg: 'HS256', typ })

/** A cached authenticator whose clock the test moves (ms). */
function cachedAuth(extra: Partial<JwtAuthOptions>) {
  const time = { now: NOW * 1000 }
  const a = createStaticAuthenticator({
    signingKey: SECRET_B64,
    ...extra,
    advanced: { clock: () => time.now },
  })
  return { a, time }
}

/** Runs authenticateNow and says whether it answered in the same tick. */
function now(a: ReturnType<typeof auth>, token: string): Principal | Promise<Principal> {
  if (a.authenticateNow === undefined) throw new Error('authenticateNow missing')
  return a.authenticateNow(bearer(token))
}

describe('typ (RFC 9068 §2.1)', () => {
  it.each([['at+jwt'], ['AT+JWT'], ['application/at+jwt'], ['Application/At+Jwt']])(
    'typ option at+jwt accepts header typ %j',
    async (typ) => {
      await expect(
        auth({ typ: 'at+jwt' }).authenticate(bearer(withTyp(typ))),
      ).resolves.toMatchObject({ subject: 'alice' })
    },
  )

  it.each([
    ['JWT'],
    ['jwt'],
    ['at+jwt '],
    ['at+jwt; charset=utf-8'],
    ['application/jwt'],
    ['x-application/at+jwt'],
    [''],
    [42],
    [null],
    [['at+jwt']],
    // A Kelvin sign (U+212A) lower-cases to "k" in Unicode; typ compares ASCII letters only.
    ['\u212Ab+jwt'],
  ])('typ option at+jwt refuses header typ %j: claim_invalid 401', async (typ) => {
    await expectAuthFailure(
      auth({ typ: ['at+jwt', 'kb+jwt'] }).authenticate(bearer(withTyp(typ))),
      'claim_invalid',
    )
  })

  it('a missing typ is claim_invalid when the option is set, and names typ', async () => {
    const err = await expectAuthFailure(
      auth({ typ: 'at+jwt' }).authenticate(bearer(withTyp(undefined))),
      'claim_invalid',
    )
    expect(err.message).toContain('typ')
    expect(err.wwwAuthenticate).toContain('error="invalid_token"')
  })

  it('the option may carry the application/ prefix and any case, and be a list', async () => {
    const a = auth({ typ: ['Application/AT+JWT', 'JWT'] })
    await expect(a.authenticate(bearer(withTyp('at+jwt')))).resolves.toBeDefined()
    await expect(a.authenticate(bearer(withTyp('jwt')))).resolves.toBeDefined()
    await expectAuthFailure(a.authenticate(bearer(withTyp('dpop+jwt'))), 'claim_invalid')
  })

  it('is checked before the signature (no crypto spent on a wrong typ)', async () => {
    const forged = mint({ alg: 'HS256', typ: 'JWT' }, claims(), hs('another secret'))
    await expectAuthFailure(auth({ typ: 'at+jwt' }).authenticate(bearer(forged)), 'claim_invalid')
    await expectAuthFailure(auth().authenticate(bearer(forged)), 'signature_invalid')
  })

  it('without the option, any typ or none passes', async () => {
    for (const typ of [undefined, 'JWT', 'whatever', 42]) {
      await expect(auth().authenticate(bearer(withTyp(typ)))).resolves.toBeDefined()
    }
  })
})

describe('maxTokenAgeSeconds', () => {
  it('accepts up to max + skew and refuses past it with token_expired 401', async () => {
    const a = auth({ maxTokenAgeSeconds: 60 }) // skew 30
    await expect(a.authenticate(bearer(hsToken(claims({ iat: NOW - 90 }))))).resolves.toBeDefined()
    await expect(a.authenticate(bearer(hsToken(claims({ iat: NOW }))))).resolves.toBeDefined()
    const err = await expectAuthFailure(
      a.authenticate(bearer(hsToken(claims({ iat: NOW - 91 })))),
      'token_expired',
    )
    expect(err.message).toContain('maxTokenAgeSeconds')
    const strict = auth({ maxTokenAgeSeconds: 60, clockSkewToleranceSeconds: 0 })
    await expect(
      strict.authenticate(bearer(hsToken(claims({ iat: NOW - 60 })))),
    ).resolves.toBeDefined()
    await expectAuthFailure(
      strict.authenticate(bearer(hsToken(claims({ iat: NOW - 61 })))),
      'token_expired',
    )
  })

  it.each([[undefined], ['1800000000'], [null], [true]])(
    'iat %j is claim_invalid 401 when the option is set',
    async (iat) => {
      const payload = claims()
      if (iat === undefined) delete payload.iat
      else payload.iat = iat
      await expectAuthFailure(
        auth({ maxTokenAgeSeconds: 3600 }).authenticate(bearer(hsToken(payload))),
        'claim_invalid',
      )
    },
  )

  it('without the option a token without iat, or an old one, passes', async () => {
    const payload = claims({ iat: NOW - 86_400 * 365 })
    await expect(auth().authenticate(bearer(hsToken(payload)))).resolves.toBeDefined()
    delete payload.iat
    await expect(auth().authenticate(bearer(hsToken(payload)))).resolves.toBeDefined()
  })

  it('is re-checked on a cache hit: a cached token that grew too old is token_expired', async () => {
    const { a, time } = cachedAuth({ maxTokenAgeSeconds: 60 })
    const token = hsToken(claims({ iat: NOW - 80, exp: NOW + 3600 }))
    const first = await a.authenticate(bearer(token))
    time.now += 5_000 // age 85 s ≤ 90: still a hit
    expect(await a.authenticate(bearer(token))).toBe(first)
    time.now += 6_000 // age 91 s
    await expectAuthFailure(a.authenticate(bearer(token)), 'token_expired')
  })
})

describe('requiredClaims', () => {
  const a = auth({ requiredClaims: ['email', 'org.id', 'jti'] })

  it('passes when every claim is present (null counts as present)', async () => {
    const token = hsToken(claims({ email: null, org: { id: 0 }, jti: '' }))
    await expect(a.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'alice' })
  })

  it.each([
    [{ org: { id: 1 }, jti: 'j' }, 'email'],
    [{ email: 'e', jti: 'j' }, 'org.id'],
    [{ email: 'e', org: { name: 'x' }, jti: 'j' }, 'org.id'],
    // A literal member named "org.id" is not the nested path.
    [{ email: 'e', 'org.id': 1, jti: 'j' }, 'org.id'],
    [{ email: 'e', org: [1], jti: 'j' }, 'org.id'],
    [{ email: 'e', org: { id: 1 } }, 'jti'],
  ])('%j lacks %s: claim_invalid 401 naming the claim, not its values', async (extra, missing) => {
    const err = await expectAuthFailure(
      a.authenticate(bearer(hsToken(claims({ ...extra, secret: 'do-not-echo' })))),
      'claim_invalid',
    )
    expect(err.message).toBe(`The "${missing}" claim is required`)
    expect(err.message).not.toContain('do-not-echo')
  })

  it('prototype members never count as present', async () => {
    await expectAuthFailure(
      auth({ requiredClaims: ['constructor', 'toString'] }).authenticate(bearer(hsToken())),
      'claim_invalid',
    )
  })
})

describe('verifyClaims', () => {
  it.each([[true], [undefined]])('a rule answering %j passes', async (answer) => {
    await expect(
      auth({ verifyClaims: () => answer }).authenticate(bearer(hsToken())),
    ).resolves.toBeDefined()
  })

  it('false is claim_invalid 401 with a fixed message', async () => {
    const err = await expectAuthFailure(
      auth({ verifyClaims: () => false }).authenticate(bearer(hsToken())),
      'claim_invalid',
    )
    expect(err.message).toBe('The token claims were refused by verifyClaims')
  })

  it('a string is claim_invalid 401 with that message (an empty one gets the fixed message)', async () => {
    const err = await expectAuthFailure(
      auth({ verifyClaims: () => 'the organisation is suspended' }).authenticate(bearer(hsToken())),
      'claim_invalid',
    )
    expect(err.message).toBe('the organisation is suspended')
    const empty = await expectAuthFailure(
      auth({ verifyClaims: () => '' }).authenticate(bearer(hsToken())),
      'claim_invalid',
    )
    expect(empty.message).toBe('The token claims were refused by verifyClaims')
  })

  it('a rule that throws is claim_invalid 401; the error is kept as the cause, not the message', async () => {
    const boom = new Error('database password is hunter2')
    const err = await expectAuthFailure(
      auth({
        verifyClaims: () => {
          throw boom
        },
      }).authenticate(bearer(hsToken())),
      'claim_invalid',
    )
    expect(err.cause).toBe(boom)
    expect(err.message).not.toContain('hunter2')
  })

  it.each([[Promise.resolve(true)], [1], [{}], [null]])(
    'an answer that is not a boolean, a string or nothing (%j) fails closed',
    async (answer) => {
      await expectAuthFailure(
        auth({ verifyClaims: (() => answer) as never }).authenticate(bearer(hsToken())),
        'claim_invalid',
      )
    },
  )

  it('sees the verified claims and header, frozen, and decides per claim', async () => {
    const seen: [Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>][] = []
    const a = auth({
      verifyClaims: (c, h) => {
        seen.push([c, h])
        return c.org === 'acme' || 'wrong organisation'
      },
    })
    await expect(a.authenticate(bearer(hsToken(claims({ org: 'acme' }))))).resolves.toBeDefined()
    const err = await expectAuthFailure(
      a.authenticate(bearer(hsToken(claims({ org: 'other' })))),
      'claim_invalid',
    )
    expect(err.message).toBe('wrong organisation')
    expect(seen).toHaveLength(2)
    const [c, h] = seen[0] ?? [{}, {}]
    expect(c).toMatchObject({ sub: 'alice', org: 'acme' })
    expect(h).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(h)).toBe(true)
  })

  it('runs once per verified token: never on cache hits, never before the signature verified', async () => {
    let calls = 0
    const { a } = cachedAuth({
      verifyClaims: () => {
        calls++
        return true
      },
    })
    const token = hsToken(claims({ jti: 'one' }))
    await a.authenticate(bearer(token))
    await a.authenticate(bearer(token))
    await a.authenticate(bearer(token))
    expect(calls).toBe(1)
    await a.authenticate(bearer(hsToken(claims({ jti: 'two' }))))
    expect(calls).toBe(2)
    const forged = mint({ alg: 'HS256' }, claims(), hs('another secret'))
    await expectAuthFailure(a.authenticate(bearer(forged)), 'signature_invalid')
    expect(calls).toBe(2)
  })
})

describe('isRevoked', () => {
  it('false passes; true is token_revoked 401 with an invalid_token challenge', async () => {
    await expect(
      auth({ isRevoked: () => false }).authenticate(bearer(hsToken())),
    ).resolves.toBeDefined()
    const err = await expectAuthFailure(
      auth({ isRevoked: () => true }).authenticate(bearer(hsToken())),
      'token_revoked',
    )
    expect(err.wwwAuthenticate).toMatch(/^Bearer realm="jwtgate", error="invalid_token"/)
  })

  it('a Promise is awaited: false passes, true is token_revoked', async () => {
    await expect(
      auth({ isRevoked: () => Promise.resolve(false) }).authenticate(bearer(hsToken())),
    ).resolves.toBeDefined()
    await expectAuthFailure(
      auth({ isRevoked: () => Promise.resolve(true) }).authenticate(bearer(hsToken())),
      'token_revoked',
    )
  })

  it('fails closed: a throw, a rejection or an answer that is not a boolean is token_revoked', async () => {
    const boom = new Error('redis down')
    const cases: NonNullable<JwtAuthOptions['isRevoked']>[] = [
      () => {
        throw boom
      },
      () => Promise.reject(boom),
      (() => undefined) as never,
      (() => 'no') as never,
      (() => Promise.resolve(undefined)) as never,
      (() => 0) as never,
      (() => null) as never,
      (() => ({ then: 1 })) as never,
    ]
    for (const isRevoked of cases) {
      const err = await expectAuthFailure(
        auth({ isRevoked }).authenticate(bearer(hsToken())),
        'token_revoked',
      )
      expect(err.message).not.toContain('redis')
    }
  })

  it('receives the principal (scopes included)', async () => {
    const seen: Principal[] = []
    await auth({
      isRevoked: (p) => {
        seen.push(p)
        return false
      },
    }).authenticate(bearer(hsToken(claims({ jti: 'j-1', scope: 'read write' }))))
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ subject: 'alice', scopes: ['read', 'write'] })
    expect(seen[0]?.claims.jti).toBe('j-1')
  })

  it('runs on every request, cache hits included: revoke after a 200 and the next request is token_revoked', async () => {
    const revoked = new Set<string>()
    let calls = 0
    const { a } = cachedAuth({
      isRevoked: (p) => {
        calls++
        return revoked.has(String(p.claims.jti))
      },
    })
    const token = hsToken(claims({ jti: 'j-7' }))
    const first = await a.authenticate(bearer(token))
    expect(await a.authenticate(bearer(token))).toBe(first) // a cache hit
    expect(calls).toBe(2)
    revoked.add('j-7')
    await expectAuthFailure(a.authenticate(bearer(token)), 'token_revoked')
    expect(calls).toBe(3)
    revoked.delete('j-7')
    expect(await a.authenticate(bearer(token))).toBe(first) // still cached
  })

  it('a boolean answer keeps the same-tick path, on a miss and on a cache hit; a Promise does not', async () => {
    const { a } = cachedAuth({ isRevoked: () => false })
    const token = hsToken()
    const miss = now(a, token)
    expect(miss).not.toBeInstanceOf(Promise)
    expect(now(a, token)).toBe(miss)
    const revokedNow = cachedAuth({ isRevoked: () => true }).a
    expect(() => now(revokedNow, token)).toThrow(AuthError)
    const async = cachedAuth({ isRevoked: () => Promise.resolve(false) }).a
    const pending = now(async, token)
    expect(pending).toBeInstanceOf(Promise)
    const principal = await pending
    const hit = now(async, token)
    expect(hit).toBeInstanceOf(Promise)
    expect(await hit).toBe(principal)
  })

  it('reports auth.failure with code token_revoked', async () => {
    const events: AuthEvent[] = []
    await expectAuthFailure(
      auth({ isRevoked: () => true, onEvent: (e) => events.push(e) }).authenticate(
        bearer(hsToken()),
      ),
      'token_revoked',
    )
    expect(events.filter((e) => e.type === 'auth.failure')).toEqual([
      expect.objectContaining({ code: 'token_revoked' }),
    ])
  })
})

describe('the new options per issuer', () => {
  const A = 'https://a.example'
  const B = 'https://b.example'
  const revoked = new Set<string>()
  const build = (extra: Partial<JwtAuthOptions> = {}) =>
    createStaticAuthenticator({
      advanced: { clock },
      ...extra,
      issuers: [
        {
          issuer: A,
          signingKey: SECRET_B64,
          typ: 'at+jwt',
          maxTokenAgeSeconds: 60,
          requiredClaims: ['client_id'],
          verifyClaims: (c) => c.org === 'a' || 'not org a',
          isRevoked: (p) => revoked.has(String(p.claims.jti)),
          scopesKey: 'perms',
        },
        { issuer: B, signingKey: SECRET_B64 },
      ],
    })
  const tokenA = (extra: Record<string, unknown> = {}, typ = 'at+jwt') =>
    hsToken(claims({ iss: A, client_id: 'c', org: 'a', perms: ['x'], ...extra }), {
      alg: 'HS256',
      typ,
    })
  const tokenB = (extra: Record<string, unknown> = {}) =>
    hsToken(claims({ iss: B, iat: NOW - 3600, scope: 'y z', ...extra }), {
      alg: 'HS256',
      typ: 'JWT',
    })

  it('issuer A’s rules apply to A’s tokens only', async () => {
    const a = build({ tokenCache: false })
    await expect(a.authenticate(bearer(tokenA()))).resolves.toMatchObject({ scopes: ['x'] })
    await expect(a.authenticate(bearer(tokenB()))).resolves.toMatchObject({ scopes: ['y', 'z'] })
    await expectAuthFailure(a.authenticate(bearer(tokenA({}, 'JWT'))), 'claim_invalid')
    await expectAuthFailure(a.authenticate(bearer(tokenA({ iat: NOW - 91 }))), 'token_expired')
    await expectAuthFailure(
      a.authenticate(bearer(tokenA({ client_id: undefined }))),
      'claim_invalid',
    )
    const rule = await expectAuthFailure(
      a.authenticate(bearer(tokenA({ org: 'b' }))),
      'claim_invalid',
    )
    expect(rule.message).toBe('not org a')
    revoked.add('r-1')
    await expectAuthFailure(a.authenticate(bearer(tokenA({ jti: 'r-1' }))), 'token_revoked')
    await expect(a.authenticate(bearer(tokenB({ jti: 'r-1' })))).resolves.toBeDefined()
  })

  it('top-level options are the defaults of every issuer', async () => {
    const a = build({ tokenCache: false, requiredClaims: ['tenant'] })
    await expectAuthFailure(a.authenticate(bearer(tokenB())), 'claim_invalid')
    await expect(a.authenticate(bearer(tokenB({ tenant: 't' })))).resolves.toBeDefined()
    // A's own requiredClaims replace the default.
    await expect(a.authenticate(bearer(tokenA()))).resolves.toBeDefined()
  })

  it('revocation and token age are re-checked on cache hits', async () => {
    const time = { now: NOW * 1000 }
    const a = build({ advanced: { clock: () => time.now } })
    const token = tokenA({ jti: 'r-2', iat: NOW - 80 })
    const first = await a.authenticate(bearer(token))
    expect(await a.authenticate(bearer(token))).toBe(first)
    revoked.add('r-2')
    await expectAuthFailure(a.authenticate(bearer(token)), 'token_revoked')
    revoked.delete('r-2')
    expect(await a.authenticate(bearer(token))).toBe(first)
    time.now += 11_000
    await expectAuthFailure(a.authenticate(bearer(token)), 'token_expired')
  })
})
