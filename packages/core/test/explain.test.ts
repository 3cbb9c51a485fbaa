import { describe, expect, it } from 'vitest'
import {
  AuthError,
  createKeyResolverAuthenticator,
  createStaticKeyResolver,
  importSigningKeys,
  resolveOptions,
  type Explanation,
  type ExplainCheck,
  type Principal,
} from '../src/index.js'
import {
  bearer,
  claims,
  clock,
  hs,
  hsToken,
  mint,
  NOW,
  RSA,
  SECRET,
  SECRET_B64,
  signer,
  pem,
  staticAuth,
} from './helpers.js'

const auth = staticAuth({
  signingKey: SECRET_B64,
  requiredAudience: 'api',
  requiredIssuer: 'https://idp.example',
  rolesKey: 'roles',
})
const good = (extra: Record<string, unknown> = {}) =>
  claims({ aud: 'api', iss: 'https://idp.example', roles: ['reader'], ...extra })

const explain = async (token: string): Promise<Explanation> => {
  const why = await auth.explain?.(bearer(token))
  if (why === undefined) throw new Error('explain() is missing')
  return why
}
const checks = (why: Explanation): [ExplainCheck, boolean][] =>
  why.steps.map((s) => [s.check, s.ok])

const ALL_PASS: ExplainCheck[] = [
  'extraction',
  'parse',
  'alg',
  'key',
  'signature',
  'payload',
  'exp',
  'nbf',
  'iat',
  'issuer',
  'audience',
  'subject',
  'roles',
  'scopes',
]

describe('explain(): each step and its verdict', () => {
  it('a valid token: every check passes, in pipeline order, with the principal', async () => {
    const why = await explain(hsToken(good(), { alg: 'HS256', kid: 'k1', typ: 'JWT' }))
    expect(why.ok).toBe(true)
    expect(why.code).toBeUndefined()
    expect(checks(why)).toEqual(ALL_PASS.map((c) => [c, true]))
    expect(why.principal).toMatchObject({ subject: 'alice', roles: ['reader'] })
    expect(why.header).toEqual({ alg: 'HS256', kid: 'k1', typ: 'JWT' })
    expect(why.claims).toMatchObject({ sub: 'alice', aud: 'api' })
    expect(why.claimsVerified).toBe(true)
    expect(why.key).toEqual({
      alg: 'HS256',
      kid: 'k1',
      keysOnOffer: 1,
      kidsOnOffer: [],
      candidates: 1,
      tried: 1,
    })
    expect(why.clock).toEqual({ now: NOW, skewSeconds: 30 })
    const exp = why.steps.find((s) => s.check === 'exp')?.detail
    expect(exp).toContain(String(NOW + 300))
    expect(exp).toContain(`now ${String(NOW)}`)
    expect(exp).toContain('skew 30 s')
  })

  it('an expired token: fails at exp with the clock and skew in effect', async () => {
    const why = await explain(hsToken(good({ exp: NOW - 31 })))
    expect(why).toMatchObject({ ok: false, code: 'token_expired', status: 401 })
    expect(checks(why)).toEqual([
      ...ALL_PASS.slice(0, 6).map((c): [ExplainCheck, boolean] => [c, true]),
      ['exp', false],
    ])
    const last = why.steps.at(-1)?.detail ?? ''
    expect(last).toContain('The token has expired')
    expect(last).toContain(String(NOW - 31))
    expect(last).toContain(`now ${String(NOW)}`)
    expect(last).toContain('skew 30 s')
  })

  it('a wrong audience: fails at audience and says what was required', async () => {
    const why = await explain(hsToken(good({ aud: ['web', 'mobile'] })))
    expect(why).toMatchObject({ ok: false, code: 'audience_mismatch', status: 401 })
    expect(checks(why).at(-1)).toEqual(['audience', false])
    expect(
      checks(why)
        .slice(0, -1)
        .every(([, ok]) => ok),
    ).toBe(true)
    expect(why.steps.at(-1)?.detail).toContain('["web","mobile"]')
    expect(why.steps.at(-1)?.detail).toContain('["api"]')
  })

  it('a bad signature: fails at signature; the claims are shown, marked unverified', async () => {
    const forged = mint({ alg: 'HS256' }, good({ sub: 'mallory' }), hs(Buffer.alloc(32)))
    const why = await explain(forged)
    expect(why).toMatchObject({ ok: false, code: 'signature_invalid', status: 401 })
    expect(checks(why)).toEqual([
      ['extraction', true],
      ['parse', true],
      ['alg', true],
      ['key', true],
      ['signature', false],
    ])
    expect(why.claims).toMatchObject({ sub: 'mallory' })
    expect(why.claimsVerified).toBe(false)
    expect(why.key).toMatchObject({ candidates: 1, tried: 1 })
  })

  it('an unknown kid: fails at key selection and lists the kids on offer', async () => {
    const resolver = createStaticKeyResolver(importSigningKeys([SECRET_B64]))
    const withKids = createKeyResolverAuthenticator(
      resolveOptions({ signingKey: SECRET_B64, advanced: { clock } }),
      {
        ...resolver,
        select: ({ kid }) => {
          if (kid !== 'k1') throw new AuthError('key_not_found')
          return resolver.select({ alg: 'HS256', kid })
        },
        describeKeys: () => [
          { kid: 'k1', type: 'hmac', algorithms: ['HS256'] },
          { kid: 'k2', type: 'rsa', algorithms: ['RS256'] },
        ],
      },
    )
    const why = await withKids.explain?.(bearer(hsToken(claims(), { alg: 'HS256', kid: 'nope' })))
    expect(why).toMatchObject({ ok: false, code: 'key_not_found', status: 401 })
    expect(why?.steps.at(-1)).toMatchObject({ check: 'key', ok: false })
    expect(why?.steps.at(-1)?.detail).toContain('"nope"')
    expect(why?.steps.at(-1)?.detail).toContain('"k1" HS256')
    expect(why?.steps.at(-1)?.detail).toContain('"k2" RS256')
    expect(why?.key).toMatchObject({ kid: 'nope', kidsOnOffer: ['k1', 'k2'], keysOnOffer: 2 })
  })

  it.each([
    ['two parts', 'a.b', 'parse'],
    ['bad base64url', 'a+b.c.d', 'parse'],
    ['no alg', mint({ typ: 'JWT' }, claims(), hs(SECRET)), 'parse'],
  ] as const)('a malformed token (%s): token_malformed at %s', async (_n, token, check) => {
    const why = await explain(token)
    expect(why).toMatchObject({ ok: false, code: 'token_malformed', status: 401 })
    expect(why.steps.at(-1)).toMatchObject({ check, ok: false })
    expect(why.header).toBeUndefined()
  })

  it('no token: token_missing at extraction; a disallowed alg: alg_not_allowed at alg', async () => {
    const none = await auth.explain?.({ headers: {} })
    expect(none).toMatchObject({
      ok: false,
      code: 'token_missing',
      steps: [{ check: 'extraction', ok: false }],
    })
    const rs = mint({ alg: 'RS256' }, good(), signer('RS256', RSA.privateKey))
    const why = await explain(rs)
    expect(why).toMatchObject({ ok: false, code: 'alg_not_allowed' })
    expect(why.steps.at(-1)).toMatchObject({ check: 'alg', ok: false })
    expect(why.steps.at(-1)?.detail).toContain('"RS256"')
    expect(why.header).toEqual({ alg: 'RS256' })
  })

  it('bypasses the token cache and does not fill it', async () => {
    const cached = staticAuth({ signingKey: SECRET_B64, tokenCache: {}, requiredAudience: 'api' })
    const token = hsToken(good())
    const first = await cached.explain?.(bearer(token))
    const second = await cached.explain?.(bearer(token))
    expect(first?.ok).toBe(true)
    expect(checks(second as Explanation)).toEqual(checks(first as Explanation))
    expect(second?.steps.some((s) => s.check === 'signature')).toBe(true)
  })

  it('never throws, even on a nonsense request', async () => {
    const why = await auth.explain?.({ headers: { authorization: ['a', 'b'] } })
    expect(why).toMatchObject({ ok: false, code: 'token_malformed' })
    const broken = await auth.explain?.(null as unknown as { headers: Record<string, string> })
    expect(broken?.ok).toBe(false)
    expect(broken?.steps.at(-1)?.ok).toBe(false)
  })
})

describe('explain() and authenticate() agree', () => {
  const rsaAuth = staticAuth({
    signingKey: [SECRET_B64, pem(RSA.publicKey)],
    requiredAudience: 'api',
    rolesKey: 'roles',
  })
  const tokens: [string, string][] = [
    ['valid HS256', hsToken(good())],
    ['valid RS256', mint({ alg: 'RS256', kid: 'r' }, good(), signer('RS256', RSA.privateKey))],
    ['PS256', mint({ alg: 'PS256' }, good(), signer('PS256', RSA.privateKey))],
    ['expired', hsToken(good({ exp: NOW - 100 }))],
    ['within skew', hsToken(good({ exp: NOW - 10 }))],
    ['not yet valid', hsToken(good({ nbf: NOW + 100 }))],
    ['issued in future', hsToken(good({ iat: NOW + 100 }))],
    ['exp a string', hsToken(good({ exp: '1' }))],
    ['wrong aud', hsToken(good({ aud: 'web' }))],
    ['no sub', hsToken(good({ sub: undefined }))],
    ['sub with C1', hsToken(good({ sub: 'a\u0085' }))],
    [
      'sub 2^53+1',
      mint(
        { alg: 'HS256' },
        `{"sub":9007199254740993,"aud":"api","exp":${String(NOW + 60)}}`,
        hs(SECRET),
      ),
    ],
    ['bad signature', mint({ alg: 'HS256' }, good(), hs(Buffer.alloc(32)))],
    ['alg none', mint({ alg: 'none' }, good())],
    ['kid with bidi', hsToken(good(), { alg: 'HS256', kid: 'a\u202e' })],
    ['crit', hsToken(good(), { alg: 'HS256', crit: ['exp'] })],
    ['payload not an object', mint({ alg: 'HS256' }, '[1]', hs(SECRET))],
    ['garbage', 'not-a-token'],
    ['empty', ''],
  ]

  it.each(tokens)('%s', async (_name, token) => {
    const request = bearer(token)
    const why = await rsaAuth.explain?.(request)
    const outcome = await rsaAuth.authenticate(request).then(
      (p: Principal) => ({ ok: true, subject: p.subject }),
      (e: unknown) => ({ ok: false, code: (e as AuthError).code }),
    )
    expect(why?.ok).toBe(outcome.ok)
    if (outcome.ok) expect(why?.principal?.subject).toBe((outcome as { subject: string }).subject)
    else expect(why?.code).toBe((outcome as { code: string }).code)
    // The failing step, if any, is the last one; all before it passed.
    expect(why?.steps.slice(0, -1).every((s) => s.ok)).toBe(true)
    expect(why?.steps.at(-1)?.ok).toBe(outcome.ok)
  })
})
