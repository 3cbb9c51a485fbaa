// `issuers` with static keys (DESIGN.md, Second wave, "Issuers"); key sets are tested in jwks.
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  createIssuersAuthenticator,
  createStaticIssuerRoute,
  createStaticAuthenticator,
  resolveIssuers,
  resolveOptions,
  type AuthEvent,
  type JwtAuthOptions,
  type KeyResolver,
} from '../src/index.js'
import {
  bearer,
  claims,
  clock,
  EC256,
  ED,
  expectAuthFailure,
  hs,
  mint,
  pem,
  SECRET,
  SECRET_B64,
  signer,
} from './helpers.js'

const NOW_S = clock() / 1000
const A = 'https://a.example'
const B = 'https://b.example/'
const ecToken = (extra: Record<string, unknown>, header: object = { alg: 'ES256' }) =>
  mint(header, claims(extra), signer('ES256', EC256.privateKey))
const edToken = (extra: Record<string, unknown>) =>
  mint({ alg: 'EdDSA' }, claims(extra), signer('EdDSA', ED.privateKey))
const hsTok = (extra: Record<string, unknown>) => mint({ alg: 'HS256' }, claims(extra), hs(SECRET))

const build = (options: Partial<JwtAuthOptions>) =>
  createStaticAuthenticator({
    tokenCache: false,
    advanced: { clock },
    issuers: [
      { issuer: A, signingKey: pem(EC256.publicKey), requiredAudience: 'api-a' },
      { issuer: B, signingKey: pem(ED.publicKey), requiredAudience: 'api-b', rolesKey: 'groups' },
    ],
    ...options,
  })

describe('routing by iss', () => {
  it('each issuer’s tokens verify with its own key and policy', async () => {
    const auth = build({})
    await expect(
      auth.authenticate(bearer(ecToken({ iss: A, aud: 'api-a', groups: ['x'] }))),
    ).resolves.toMatchObject({ subject: 'alice', roles: [] })
    await expect(
      auth.authenticate(bearer(edToken({ iss: B, aud: 'api-b', groups: ['x'] }))),
    ).resolves.toMatchObject({ subject: 'alice', roles: ['x'] })
  })

  it('the audience is per issuer', async () => {
    const auth = build({})
    await expectAuthFailure(
      auth.authenticate(bearer(ecToken({ iss: A, aud: 'api-b' }))),
      'audience_mismatch',
    )
  })

  it('a token signed by B’s key but naming A is refused (the key is A’s to check)', async () => {
    const auth = build({})
    await expectAuthFailure(
      auth.authenticate(bearer(edToken({ iss: A, aud: 'api-a' }))),
      'alg_not_allowed',
    )
  })

  it.each([
    ['an unknown issuer', { iss: 'https://evil.example' }],
    ['no iss', {}],
    ['an issuer differing by a trailing slash', { iss: `${A}/` }],
    ['an issuer differing in case', { iss: A.toUpperCase() }],
  ])('%s → issuer_mismatch before any key is looked up', async (_n, extra) => {
    let selects = 0
    const options = resolveOptions({
      tokenCache: false,
      advanced: { clock },
      issuers: [{ issuer: A, signingKey: pem(EC256.publicKey) }],
    })
    const [issuer] = resolveIssuers(options)
    const route = createStaticIssuerRoute(issuer!)
    const counting: KeyResolver = {
      ...route.resolver,
      select: (s) => {
        selects++
        return route.resolver.select(s)
      },
    }
    const auth = createIssuersAuthenticator(options, [{ issuer: issuer!, resolver: counting }])
    await expectAuthFailure(auth.authenticate(bearer(ecToken(extra))), 'issuer_mismatch')
    expect(selects).toBe(0)
  })

  it('a non-string iss → claim_invalid', async () => {
    await expectAuthFailure(build({}).authenticate(bearer(ecToken({ iss: 7 }))), 'claim_invalid')
  })

  it('per-issuer algorithms, skew, subjectKey and requireExp', async () => {
    const auth = createStaticAuthenticator({
      tokenCache: false,
      advanced: { clock },
      clockSkewToleranceSeconds: 0,
      issuers: [
        { issuer: A, signingKey: SECRET_B64, algorithms: ['HS256'], subjectKey: 'client_id' },
        { issuer: B, signingKey: SECRET_B64, clockSkewToleranceSeconds: 120, requireExp: true },
      ],
    })
    await expect(
      auth.authenticate(bearer(hsTok({ iss: A, client_id: 'svc' }))),
    ).resolves.toMatchObject({ subject: 'svc' })
    const late = { exp: Math.floor(clock() / 1000) - 60 }
    await expectAuthFailure(auth.authenticate(bearer(hsTok({ iss: A, ...late }))), 'token_expired')
    await expect(auth.authenticate(bearer(hsTok({ iss: B, ...late })))).resolves.toBeDefined()
    const noExp = mint({ alg: 'HS256' }, { iss: B, sub: 'a' }, hs(SECRET))
    await expectAuthFailure(auth.authenticate(bearer(noExp)), 'claim_invalid')
  })

  it('the token cache never answers across issuers and re-checks time with the issuer’s skew', async () => {
    let now = clock()
    const auth = createStaticAuthenticator({
      advanced: { clock: () => now },
      clockSkewToleranceSeconds: 0,
      issuers: [
        { issuer: A, signingKey: SECRET_B64 },
        { issuer: B, signingKey: SECRET_B64, clockSkewToleranceSeconds: 600 },
      ],
    })
    const exp = Math.floor(now / 1000) + 10
    const a = hsTok({ iss: A, exp })
    const b = hsTok({ iss: B, exp })
    const first = await auth.authenticate(bearer(a))
    expect(await auth.authenticate(bearer(a))).toBe(first) // a cache hit
    expect(await auth.authenticate(bearer(b))).not.toBe(first)
    now += 60_000
    await expectAuthFailure(auth.authenticate(bearer(a)), 'token_expired')
    await expect(auth.authenticate(bearer(b))).resolves.toBeDefined()
  })

  it('events of an issuer carry its name', () => {
    const events: AuthEvent[] = []
    build({ onEvent: (e) => events.push(e) })
    expect(events).toEqual([])
    createStaticAuthenticator({
      onEvent: (e) => events.push(e),
      issuers: [{ issuer: A, signingKey: SECRET_B64 }],
    })
    expect(events).toEqual([expect.objectContaining({ type: 'config.warning', issuer: A })])
  })

  it('close() rejects every later request', async () => {
    const auth = build({})
    await auth.close()
    await expectAuthFailure(
      auth.authenticate(bearer(ecToken({ iss: A, aud: 'api-a' }))),
      'jwks_unavailable',
    )
  })

  it('close() refuses a token the cache already holds, and the adapters see the configured jwtHeader', async () => {
    const auth = build({ tokenCache: {}, jwtHeader: 'X-Token' })
    expect(auth.jwtHeader).toBe('X-Token')
    const token = ecToken({ iss: A, aud: 'api-a' })
    const request = { headers: { 'x-token': `Bearer ${token}` } }
    await expect(auth.authenticate(request)).resolves.toMatchObject({ subject: 'alice' })
    await auth.close()
    await expectAuthFailure(auth.authenticate(request), 'jwks_unavailable')
  })
})

describe('bad issuers configuration: a ConfigError naming the entry', () => {
  const key = pem(EC256.publicKey)
  const cases: [string, Record<string, unknown>, string][] = [
    ['an empty list', { issuers: [] }, 'issuers'],
    ['an entry that is not an object', { issuers: ['https://a.example'] }, 'issuers[0]'],
    ['an entry without issuer', { issuers: [{ signingKey: key }] }, 'issuers[0].issuer'],
    [
      'duplicate issuers',
      {
        issuers: [
          { issuer: A, signingKey: key },
          { issuer: A, signingKey: key },
        ],
      },
      'issuers[1].issuer',
    ],
    [
      'an entry without a key source',
      {
        issuers: [
          { issuer: A, signingKey: key },
          { issuer: B, requiredAudience: 'x' },
        ],
      },
      'issuers[1]',
    ],
    [
      'an entry mixing signingKey and jwksUri',
      { issuers: [{ issuer: A, signingKey: key, jwksUri: 'https://a.example/jwks' }] },
      'issuers[0].signingKey',
    ],
    [
      'a top-level signingKey beside issuers',
      { signingKey: key, issuers: [{ issuer: A, signingKey: key }] },
      'signingKey',
    ],
    [
      'a top-level jwksUri beside issuers',
      { jwksUri: 'https://a.example/jwks', issuers: [{ issuer: A, signingKey: key }] },
      'jwksUri',
    ],
    [
      'a top-level requiredIssuer beside issuers',
      { requiredIssuer: A, issuers: [{ issuer: A, signingKey: key }] },
      'requiredIssuer',
    ],
    [
      'requiredIssuer inside an entry',
      { issuers: [{ issuer: A, signingKey: key, requiredIssuer: B }] },
      'issuers[0].requiredIssuer',
    ],
    [
      'a top-level-only option inside an entry',
      { issuers: [{ issuer: A, signingKey: key, tokenCache: false }] },
      'issuers[0].tokenCache',
    ],
    [
      'a snake_case option inside an entry',
      { issuers: [{ issuer: A, signingKey: key, required_audience: 'x' }] },
      'issuers[0].required_audience',
    ],
    [
      'an unknown option inside an entry',
      { issuers: [{ issuer: A, signingKey: key, audience: 'x' }] },
      'issuers[0].audience',
    ],
    [
      'an invalid per-issuer option',
      {
        issuers: [
          { issuer: A, signingKey: key },
          { issuer: B, signingKey: key, clockSkewToleranceSeconds: -1 },
        ],
      },
      'issuers[1].clockSkewToleranceSeconds',
    ],
    [
      'an unusable signing key',
      { issuers: [{ issuer: A, signingKey: 'c2hvcnQ=' }] },
      'issuers[0].signingKey',
    ],
    [
      'an algorithm the entry’s key cannot verify',
      { issuers: [{ issuer: A, signingKey: key, algorithms: ['RS256'] }] },
      'issuers[0].algorithms[0]',
    ],
    [
      'a key set in createStaticAuthenticator',
      { issuers: [{ issuer: A, jwksUri: 'https://a.example/jwks' }] },
      'issuers[0].jwksUri',
    ],
    ['issuers: undefined', { signingKey: key, issuers: undefined }, 'issuers'],
  ]
  it.each(cases)('%s', (_n, options, name) => {
    let caught: unknown
    try {
      createStaticAuthenticator(options)
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).key).toBe(name)
    expect((caught as ConfigError).message.startsWith(`"${name}" `)).toBe(true)
  })
})

describe('explain() with issuers (issue 17)', () => {
  const checks = (steps: readonly { check: string }[]) => steps.map((s) => s.check)

  it('reports the routing step, then the selected issuer’s checks with its own skew', async () => {
    const auth = createStaticAuthenticator({
      tokenCache: false,
      advanced: { clock },
      issuers: [
        { issuer: A, signingKey: pem(EC256.publicKey), requiredAudience: 'api-a' },
        {
          issuer: B,
          signingKey: pem(ED.publicKey),
          requiredAudience: 'api-b',
          clockSkewToleranceSeconds: 90,
        },
      ],
    })
    const ok = await auth.explain?.(bearer(edToken({ iss: B, aud: 'api-b' })))
    expect(ok).toMatchObject({ ok: true, principal: { subject: 'alice' }, claimsVerified: true })
    const steps = ok?.steps ?? []
    expect(checks(steps).slice(0, 6)).toEqual([
      'extraction',
      'parse',
      'routing',
      'alg',
      'typ',
      'key',
    ])
    expect(steps[2]).toEqual({
      check: 'routing',
      ok: true,
      detail: `iss ${JSON.stringify(B)} selects issuers[1] (of 2 issuers)`,
    })
    expect(checks(steps)).toContain('audience')
    expect(steps.every((s) => s.ok)).toBe(true)
    expect(ok?.clock).toEqual({ now: NOW_S, skewSeconds: 90 })

    // The same steps a single-issuer authenticator reports, after routing.
    const single = createStaticAuthenticator({
      tokenCache: false,
      advanced: { clock },
      signingKey: pem(ED.publicKey),
      requiredIssuer: B,
      requiredAudience: 'api-b',
      clockSkewToleranceSeconds: 90,
    })
    const alone = await single.explain?.(bearer(edToken({ iss: B, aud: 'api-b' })))
    expect(steps.filter((s) => s.check !== 'routing')).toEqual(alone?.steps)
  })

  it('an unknown or missing iss fails at routing with the configured issuers, before any key', async () => {
    const auth = build({})
    for (const [extra, shown] of [
      [{ iss: 'https://evil.example' }, '"https://evil.example"'],
      [{ iss: undefined }, 'undefined'],
    ] as const) {
      const why = await auth.explain?.(bearer(ecToken(extra)))
      expect(why).toMatchObject({
        ok: false,
        code: 'issuer_mismatch',
        status: 401,
        claimsVerified: false,
      })
      const last = why?.steps.at(-1)
      expect(last?.check).toBe('routing')
      expect(last?.ok).toBe(false)
      expect(last?.detail).toContain(`iss ${shown}; configured issuers: "${A}", "${B}"`)
      expect(checks(why?.steps ?? [])).toEqual(['extraction', 'parse', 'routing'])
      expect(why?.key).toBeUndefined()
      expect(why?.header).toMatchObject({ alg: 'ES256' })
    }
  })

  it('a failure after routing names the check, e.g. the issuer’s audience', async () => {
    const why = await build({}).explain?.(bearer(ecToken({ iss: A, aud: 'api-b' })))
    expect(why).toMatchObject({ ok: false, code: 'audience_mismatch', claimsVerified: true })
    expect(why?.steps.at(-1)).toMatchObject({ check: 'audience', ok: false })
    expect(checks(why?.steps ?? [])).toContain('routing')
  })

  it('a non-string iss, a closed authenticator, no token: never throws', async () => {
    const auth = build({})
    await expect(auth.explain?.(bearer(ecToken({ iss: 7 })))).resolves.toMatchObject({
      ok: false,
      code: 'claim_invalid',
      steps: [{ check: 'extraction' }, { check: 'parse' }, { check: 'routing', ok: false }],
    })
    await expect(auth.explain?.({ headers: {} })).resolves.toMatchObject({
      ok: false,
      code: 'token_missing',
    })
    await auth.close()
    await expect(auth.explain?.(bearer(ecToken({ iss: A })))).resolves.toMatchObject({
      ok: false,
      code: 'jwks_unavailable',
      status: 503,
    })
  })
})

describe('auth.success and auth.failure with issuers (issues 17, 19)', () => {
  it('carry the iss that routed the token; a cache hit says cached', async () => {
    const events: AuthEvent[] = []
    const auth = createStaticAuthenticator({
      advanced: { clock },
      onEvent: (e) => events.push(e),
      issuers: [
        { issuer: A, signingKey: pem(EC256.publicKey), requiredAudience: 'api-a' },
        { issuer: B, signingKey: pem(ED.publicKey), requiredAudience: 'api-b' },
      ],
    })
    const a = ecToken({ iss: A, aud: 'api-a' })
    await auth.authenticate(bearer(a))
    await auth.authenticate(bearer(a))
    await auth.authenticate(bearer(edToken({ iss: B, aud: 'api-b' })))
    await expectAuthFailure(
      auth.authenticate(bearer(ecToken({ iss: A, aud: 'api-b' }))),
      'audience_mismatch',
    )
    await expectAuthFailure(
      auth.authenticate(
        bearer(ecToken({ iss: 'https://evil.example\u202e' }, { alg: 'ES256', kid: 'k1' })),
      ),
      'issuer_mismatch',
    )
    await expectAuthFailure(auth.authenticate({ headers: {} }), 'token_missing')
    expect(events.filter((e) => e.type.startsWith('auth.'))).toEqual([
      { type: 'auth.success', cached: false, alg: 'ES256', iss: A },
      { type: 'auth.success', cached: true, alg: 'ES256', iss: A },
      { type: 'auth.success', cached: false, alg: 'EdDSA', iss: B },
      expect.objectContaining({
        type: 'auth.failure',
        code: 'audience_mismatch',
        alg: 'ES256',
        iss: A,
      }),
      expect.objectContaining({
        type: 'auth.failure',
        code: 'issuer_mismatch',
        alg: 'ES256',
        kid: 'k1',
        // attacker-chosen: escaped by the emitter
        iss: 'https://evil.example\\u202e',
      }),
      { type: 'auth.failure', code: 'token_missing', detail: 'No bearer token was presented' },
    ])
  })

  it('no listener: no events and the same answers; challenge and realm still render', async () => {
    const auth = build({ challenge: false })
    const err = await expectAuthFailure(
      auth.authenticate(bearer(ecToken({ iss: 'https://x' }))),
      'issuer_mismatch',
    )
    expect(err.headers['WWW-Authenticate']).toBeUndefined()
    const realm = await expectAuthFailure(
      build({ realm: 'orders' }).authenticate(bearer(ecToken({ iss: 'https://x' }))),
      'issuer_mismatch',
    )
    expect(realm.headers['WWW-Authenticate']).toContain('realm="orders"')
  })
})
