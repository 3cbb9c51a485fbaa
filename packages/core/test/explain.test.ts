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
  'typ',
  'key',
  'signature',
  'payload',
  'exp',
  'nbf',
  'iat',
  'maxTokenAge',
  'issuer',
  'audience',
  'requiredClaims',
  'subject',
  'roles',
  'scopes',
  'rules',
  'revocation',
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
      ...ALL_PASS.slice(0, 7).map((c): [ExplainCheck, boolean] => [c, true]),
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
      ['typ', true],
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

describe('explain(): the second-wave checks (typ, maxTokenAge, requiredClaims, scopes, rules, revocation)', () => {
  const detail = (why: Explanation, check: ExplainCheck) =>
    why.steps.find((s) => s.check === check)?.detail ?? ''
  const full = staticAuth({
    signingKey: SECRET_B64,
    requiredAudience: 'api',
    requiredIssuer: 'https://idp.example',
    typ: 'at+jwt',
    maxTokenAgeSeconds: 600,
    requiredClaims: ['client_id', 'org.id'],
    scopesKey: 'scp',
    verifyClaims: (c) => c.client_id !== 'blocked' || 'client blocked',
    isRevoked: (p) => p.claims.jti === 'revoked',
  })
  const at = (extra: Record<string, unknown> = {}, typ: string | null = 'at+jwt') =>
    hsToken(
      good({ client_id: 'c1', org: { id: 7 }, scp: ['read', 'write'], jti: 'j', ...extra }),
      typ === null ? { alg: 'HS256' } : { alg: 'HS256', typ },
    )
  const run = async (token: string): Promise<Explanation> => {
    const why = await full.explain?.(bearer(token))
    if (why === undefined) throw new Error('explain() is missing')
    return why
  }

  it('unset options are reported as not checked, in pipeline order', async () => {
    const why = await explain(hsToken(good()))
    expect(detail(why, 'typ')).toBe('not checked: typ is not set')
    expect(detail(why, 'maxTokenAge')).toBe('not checked: maxTokenAgeSeconds is not set')
    expect(detail(why, 'requiredClaims')).toBe('not checked: requiredClaims is not set')
    expect(detail(why, 'rules')).toBe('not checked: verifyClaims is not set')
    expect(detail(why, 'revocation')).toBe('not checked: isRevoked is not set')
    expect(detail(why, 'scopes')).toContain('scopesKey is not set')
  })

  it('every check passes with useful detail when set', async () => {
    const why = await run(at())
    expect(why.ok).toBe(true)
    expect(checks(why)).toEqual(ALL_PASS.map((c) => [c, true]))
    expect(detail(why, 'typ')).toBe('typ "at+jwt" is one of ["at+jwt"]')
    expect(detail(why, 'maxTokenAge')).toContain('≤ 600 s + skew 30 s')
    expect(detail(why, 'requiredClaims')).toBe('present: ["client_id","org.id"]')
    expect(detail(why, 'scopes')).toBe('["read","write"] from "scp"')
    expect(detail(why, 'rules')).toBe('verifyClaims accepted the claims')
    expect(detail(why, 'revocation')).toBe('isRevoked returned false')
    expect(why.principal?.scopes).toEqual(['read', 'write'])
  })

  it.each([
    ['typ JWT', 'typ', at({}, 'JWT'), 'claim_invalid', 'typ "JWT"'],
    ['no typ', 'typ', at({}, null), 'claim_invalid', 'has no "typ"'],
    ['too old', 'maxTokenAge', at({ iat: NOW - 631 }), 'token_expired', 'age 631 s'],
    ['no iat', 'maxTokenAge', at({ iat: undefined }), 'claim_invalid', '"iat" claim is required'],
    [
      'no org.id',
      'requiredClaims',
      at({ org: {} }),
      'claim_invalid',
      'The "org.id" claim is required',
    ],
    ['rule', 'rules', at({ client_id: 'blocked' }), 'claim_invalid', 'client blocked'],
    ['revoked', 'revocation', at({ jti: 'revoked' }), 'token_revoked', 'revoked'],
  ] as const)('%s: fails at %s', async (_label, check, token, code, words) => {
    const why = await run(token)
    expect(why).toMatchObject({ ok: false, code, status: 401 })
    expect(why.steps.at(-1)).toMatchObject({ check, ok: false })
    expect(why.steps.at(-1)?.detail).toContain(words)
    expect(why.steps.slice(0, -1).every((s) => s.ok)).toBe(true)
    const order = checks(why).map(([c]) => c)
    expect(order).toEqual(ALL_PASS.slice(0, ALL_PASS.indexOf(check) + 1))
  })

  it('an async isRevoked is awaited', async () => {
    const a = staticAuth({ signingKey: SECRET_B64, isRevoked: () => Promise.resolve(true) })
    const why = await a.explain?.(bearer(hsToken()))
    expect(why).toMatchObject({ ok: false, code: 'token_revoked', status: 401 })
    expect(why?.steps.at(-1)).toMatchObject({ check: 'revocation', ok: false })
  })
})
