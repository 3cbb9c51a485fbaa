// SECURITY-CATALOGUE.md section 6 (claims) and section 8 (verified-token cache), static HS256
// with requiredIssuer / requiredAudience and an injected clock. One test per case.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Authenticator } from '@jwtgate/core'
import { createAuthenticator } from '@jwtgate/jwks'
import { MockJwksServer } from '@jwtgate/testing'
import {
  accept,
  AUD,
  b64,
  baseClaims,
  clock,
  expectToken,
  getFixtures,
  hs256,
  ISS,
  NOW,
  sign,
  signerFor,
  staticAuth,
  type Fixtures,
} from './helpers.js'

let F: Fixtures
let auth: Authenticator
const HS = { alg: 'HS256', typ: 'JWT' }
const mint = (payload: Record<string, unknown> | string) => sign(HS, payload, hs256(F.S))
/** Base claims with `claim` replaced (undefined deletes it). */
const withClaim = (claim: string, value: unknown) => {
  const c = baseClaims()
  if (value === undefined) Reflect.deleteProperty(c, claim)
  else c[claim] = value
  return c
}

beforeAll(async () => {
  F = await getFixtures()
  auth = staticAuth(b64(F.S), { requiredIssuer: ISS, requiredAudience: AUD, rolesKey: 'roles' })
})

describe('6. claims', () => {
  it.each([
    ['"1700000000" (string)', '1700000000'],
    ['null', null],
    ['true', true],
    ['[n]', [NOW + 300]],
    ['{}', {}],
    ['""', ''],
  ])('SEC-063 exp %s → claim_invalid', async (_n, exp) => {
    await expectToken(auth, await mint(withClaim('exp', exp)), 'claim_invalid')
  })
  it.each(['nbf', 'iat'])('SEC-063 %s as a string → claim_invalid', async (claim) => {
    await expectToken(auth, await mint(withClaim(claim, String(NOW))), 'claim_invalid')
  })

  it.each([
    ['exp 1e309 (Infinity)', 'exp', '1e309'],
    ['exp -1e309', 'exp', '-1e309'],
    ['nbf 1e309', 'nbf', '1e309'],
    ['iat 1e309', 'iat', '1e309'],
  ])(
    'SEC-064 %s → claim_invalid (jose accepts exp/iat Infinity: differential exception)',
    async (_n, claim, text) => {
      const c = withClaim(claim, 0)
      const json = JSON.stringify(c).replace(`"${claim}":0`, `"${claim}":${text}`)
      expect(json).toContain(text)
      await expectToken(auth, await mint(json), 'claim_invalid')
    },
  )
  it('SEC-064 NaN is not JSON → token_malformed', async () => {
    const json = JSON.stringify(withClaim('exp', 0)).replace('"exp":0', '"exp":NaN')
    await expectToken(auth, await mint(json), 'token_malformed')
  })

  describe('SEC-065 exp boundaries (expired iff exp ≤ now − skew)', () => {
    it.each([
      ['now − 31', NOW - 31],
      ['now − 30', NOW - 30],
      ['now − 30.5 (float)', NOW - 30.5],
      ['−1 (negative)', -1],
      ['0', 0],
    ])('SEC-065 exp = %s, skew 30 → token_expired', async (_n, exp) => {
      await expectToken(auth, await mint(withClaim('exp', exp)), 'token_expired')
    })
    it.each([
      ['now − 29', NOW - 29],
      ['now − 29.5 (float)', NOW - 29.5],
    ])('SEC-065 exp = %s, skew 30 → accepted', async (_n, exp) => {
      await accept(auth, await mint(withClaim('exp', exp)))
    })
    it('SEC-065 exp = now, skew 0 → token_expired', async () => {
      const strict = staticAuth(b64(F.S), { clockSkewToleranceSeconds: 0 })
      await expectToken(strict, await mint(withClaim('exp', NOW)), 'token_expired')
      await accept(strict, await mint(withClaim('exp', NOW + 1)))
    })
  })

  it.each([
    ['now + 1e10', NOW + 1e10],
    ['1e20', 1e20],
    ['2^53 + 2', 2 ** 53 + 2],
  ])('SEC-066 far-future exp %s → accepted, with the token cache on', async (_n, exp) => {
    const cached = staticAuth(b64(F.S), { tokenCache: { max: 10, ttlMs: 1000 } })
    const t = await mint(withClaim('exp', exp))
    await accept(cached, t)
    await accept(cached, t)
  })

  describe('SEC-067 exp absent', () => {
    it('SEC-067 requireExp false (default) → accepted', async () => {
      await accept(auth, await mint(withClaim('exp', undefined)))
    })
    it('SEC-067 requireExp true → claim_invalid', async () => {
      const strict = staticAuth(b64(F.S), { requireExp: true })
      await expectToken(strict, await mint(withClaim('exp', undefined)), 'claim_invalid')
    })
  })

  describe('SEC-068 nbf (not yet valid iff nbf > now + skew)', () => {
    it('SEC-068 nbf = now + 31 → token_not_yet_valid', async () => {
      await expectToken(auth, await mint(withClaim('nbf', NOW + 31)), 'token_not_yet_valid')
    })
    it.each([NOW + 29, NOW + 30])('SEC-068 nbf = %s (now + 29 / + 30) → accepted', async (nbf) => {
      await accept(auth, await mint(withClaim('nbf', nbf)))
    })
    it('SEC-068 nbf "x" → claim_invalid', async () => {
      await expectToken(auth, await mint(withClaim('nbf', 'x')), 'claim_invalid')
    })
  })

  describe('SEC-069 iat', () => {
    it('SEC-069 iat = now + 31 → token_issued_in_future', async () => {
      await expectToken(auth, await mint(withClaim('iat', NOW + 31)), 'token_issued_in_future')
    })
    it.each([
      ['now + 30', NOW + 30],
      ['−1 (negative)', -1],
      ['a float', NOW - 0.25],
    ])('SEC-069 iat = %s → accepted', async (_n, iat) => {
      await accept(auth, await mint(withClaim('iat', iat)))
    })
    it('SEC-069 iat "x" → claim_invalid', async () => {
      await expectToken(auth, await mint(withClaim('iat', 'x')), 'claim_invalid')
    })
  })

  describe('SEC-070 check order', () => {
    it('SEC-070 expired token with a bad signature → signature_invalid', async () => {
      const t = await sign(HS, withClaim('exp', NOW - 1000), hs256(Buffer.alloc(32, 1)))
      await expectToken(auth, t, 'signature_invalid')
    })
    it('SEC-070 expired + wrong audience → token_expired', async () => {
      await expectToken(
        auth,
        await mint({ ...withClaim('exp', NOW - 1000), aud: 'evil' }),
        'token_expired',
      )
    })
    it('SEC-070 unknown kid + expired, JWKS → key_not_found', async () => {
      const srv = await MockJwksServer.start({ keys: [F.RK] })
      const jwks = createAuthenticator({
        jwksUri: srv.jwksUri,
        tokenCache: false,
        advanced: { clock },
      })
      try {
        const t = await sign(
          { alg: 'RS256', kid: 'nope' },
          withClaim('exp', NOW - 1000),
          signerFor(F.RK),
        )
        await expectToken(jwks, t, 'key_not_found')
      } finally {
        await jwks.close()
        await srv.close()
      }
    })
  })

  it.each([
    ['5 (number)', 5],
    ['true', true],
    ['{"AUD":1} (object)', { [AUD]: 1 }],
    ['[["AUD"]]', [[AUD]]],
    ['[null,"AUD"]', [null, AUD]],
    ['["AUD",5]', [AUD, 5]],
    ['null', null],
  ])('SEC-071 aud %s with an audience required → claim_invalid', async (_n, aud) => {
    await expectToken(auth, await mint(withClaim('aud', aud)), 'claim_invalid')
  })
  it('SEC-071 aud of a wrong type with no audience configured → ignored (accepted)', async () => {
    const noAud = staticAuth(b64(F.S))
    await accept(noAud, await mint(withClaim('aud', { x: 1 })))
  })

  describe('SEC-072 aud matching', () => {
    it.each([
      ['case change', AUD.toUpperCase()],
      ['trailing space', `${AUD} `],
      ['empty array []', []],
      ['absent', undefined],
      ['"evil,AUD" (never comma-split)', `evil,${AUD}`],
    ])('SEC-072 aud %s → audience_mismatch', async (_n, aud) => {
      await expectToken(auth, await mint(withClaim('aud', aud)), 'audience_mismatch')
    })
    it('SEC-072 aud ["evil","AUD"] (any match) → accepted', async () => {
      await accept(auth, await mint(withClaim('aud', ['evil', AUD])))
    })
    it('SEC-072 requiredAudience "a,b" with token ["b"] → accepted', async () => {
      const list = staticAuth(b64(F.S), { requiredAudience: 'a,b' })
      await accept(list, await mint(withClaim('aud', ['b'])))
    })
  })

  it.each([
    ['Cyrillic а in the audience', 'aud', AUD.replace('a', '\u0430')],
    ['NFD form in the audience', 'aud', `${AUD}e\u0301`],
    ['zero-width joiner in the issuer', 'iss', ISS.replace('idp', 'i\u200ddp')],
    ['full-width letters in the issuer', 'iss', ISS.replace('idp', 'ｉｄｐ')],
  ])('SEC-073 %s → mismatch (no normalisation)', async (_n, claim, value) => {
    await expectToken(
      auth,
      await mint(withClaim(claim, value)),
      claim === 'aud' ? 'audience_mismatch' : 'issuer_mismatch',
    )
  })

  it.each([
    ['["https://attacker/","ISS"]', ['https://attacker/', ISS]],
    ['5', 5],
    ['{}', {}],
    ['null', null],
  ])('SEC-074 iss %s with an issuer required → claim_invalid', async (_n, iss) => {
    await expectToken(auth, await mint(withClaim('iss', iss)), 'claim_invalid')
  })

  it.each([
    ['without the trailing slash', ISS.replace(/\/$/, '')],
    ['with a second trailing slash', `${ISS}/`],
    ['upper-case scheme HTTPS://', ISS.replace('https', 'HTTPS')],
    ['different host case', ISS.replace('idp', 'IDP')],
    ['explicit :443', ISS.replace('.example/', '.example:443/')],
    ['a # suffix', `${ISS}#`],
    ['a ?x suffix', `${ISS}?x`],
    ['a NUL and more', `${ISS}\u0000.evil.example`],
    ['a trailing space', `${ISS} `],
    ['absent', undefined],
  ])('SEC-075 iss %s → issuer_mismatch', async (_n, iss) => {
    await expectToken(auth, await mint(withClaim('iss', iss)), 'issuer_mismatch')
  })

  describe('SEC-076 cross-JWT confusion', () => {
    it('SEC-076 an ID token (aud = client id) → audience_mismatch', async () => {
      await expectToken(auth, await mint(withClaim('aud', 'web-client-id')), 'audience_mismatch')
    })
    it('SEC-076 a logout SET (typ secevent+jwt, no exp, other aud) → audience_mismatch', async () => {
      const t = await sign(
        { alg: 'HS256', typ: 'secevent+jwt' },
        { ...withClaim('exp', undefined), aud: 'rp' },
        hs256(F.S),
      )
      await expectToken(auth, t, 'audience_mismatch')
    })
    it('SEC-076 no audience configured → accepted, and a config.warning event is emitted', async () => {
      const events: string[] = []
      const open = staticAuth(b64(F.S), { onEvent: (e) => events.push(e.type) })
      await accept(open, await mint(withClaim('aud', 'another-api')))
      expect(events).toContain('config.warning')
    })
  })

  describe('SEC-077 subject shapes', () => {
    it.each([
      ['missing', undefined],
      ['""', ''],
      ['{}', {}],
      ['[]', []],
      ['true', true],
      ['null', null],
      ['"admin\\u0000x" (NUL)', 'admin\u0000x'],
      ['"a\\nb" (control character)', 'a\nb'],
    ])('SEC-077 sub %s → subject_missing', async (_n, sub) => {
      await expectToken(auth, await mint(withClaim('sub', sub)), 'subject_missing')
    })
    it('SEC-077 sub 123 → "123"', async () => {
      expect((await accept(auth, await mint(withClaim('sub', 123)))).subject).toBe('123')
    })
    it('SEC-077 sub NaN-like non-finite (1e309) → subject_missing', async () => {
      const json = JSON.stringify(withClaim('sub', 0)).replace('"sub":0', '"sub":1e309')
      await expectToken(auth, await mint(json), 'subject_missing')
    })
  })

  describe('SEC-078 dotted subjectKey / rolesKey paths (own properties only)', () => {
    let nested: Authenticator
    beforeAll(() => {
      nested = staticAuth(b64(F.S), { subjectKey: 'user.name' })
    })
    it('SEC-078 {user:{name:"alice"}} → alice', async () => {
      expect((await accept(nested, await mint({ user: { name: 'alice' } }))).subject).toBe('alice')
    })
    it('SEC-078 a flat member "user.name" does not match → subject_missing', async () => {
      await expectToken(nested, await mint({ 'user.name': 'mallory' }), 'subject_missing')
    })
    it.each([
      ['__proto__.x', { sub: 'a' }],
      ['constructor.name', { sub: 'a' }],
      ['toString.name', { sub: 'a' }],
      ['list.0', { list: ['alice'] }],
      ['n.x', { n: null }],
    ])('SEC-078 path %s → subject_missing', async (path, claims) => {
      const a = staticAuth(b64(F.S), { subjectKey: path })
      await expectToken(a, await mint(claims), 'subject_missing')
    })
  })

  describe('SEC-079 roles shapes', () => {
    const roles = async (value: unknown) =>
      (await accept(auth, await mint(withClaim('roles', value)))).roles
    it('SEC-079 "admin, dev ,,ops" → admin, dev, ops', async () => {
      expect(await roles('admin, dev ,,ops')).toEqual(['admin', 'dev', 'ops'])
    })
    it('SEC-079 ["admin,dev"] is one role, never comma-split', async () => {
      expect(await roles(['admin,dev'])).toEqual(['admin,dev'])
    })
    it('SEC-079 mixed array keeps only strings, entries never trimmed (CVE-2023-23612)', async () => {
      const r = await roles([1, null, {}, ['x'], true, ' admin ', 'dev'])
      expect(r).toContain(' admin ')
      expect(r).not.toContain('admin')
      expect(r).toContain('dev')
      expect(r).not.toContain('x')
    })
    it('SEC-079 object / missing → no roles', async () => {
      expect(await roles({ admin: true })).toEqual([])
      expect(await roles(undefined)).toEqual([])
    })
    it('SEC-079 roles of the wrong type (number, boolean) → no roles, never a crash', async () => {
      expect(await roles(42)).toEqual([])
      expect(await roles(true)).toEqual([])
    })
    it('SEC-079 duplicates removed', async () => {
      expect(await roles(['a', 'a', 'b'])).toEqual(['a', 'b'])
    })
  })
})

describe('8. verified-token cache', () => {
  let now = NOW
  const moving = () => now * 1000
  const cachedAuth = () =>
    staticAuth(b64(F.S), { tokenCache: { max: 100, ttlMs: 60_000 }, advanced: { clock: moving } })

  it('SEC-094 cache hit after exp (no iat, then with iat) → token_expired', async () => {
    for (const claims of [
      { sub: 'a', exp: NOW + 2 },
      { sub: 'a', exp: NOW + 2, iat: NOW },
    ]) {
      now = NOW
      const a = cachedAuth()
      const t = await mint(claims)
      await accept(a, t)
      now = NOW + 33
      await expectToken(a, t, 'token_expired')
    }
    now = NOW
  })
  it('SEC-095 nbf failure is not cached past the time it stops being true', async () => {
    now = NOW
    const a = cachedAuth()
    const claims: Record<string, unknown> = { sub: 'a', nbf: NOW + 60 }
    const t = await mint(claims)
    await expectToken(a, t, 'token_not_yet_valid')
    now = NOW + 61
    await accept(a, t)
    now = NOW
  })
  it('SEC-096 a token differing only in its signature from a cached one is verified on its own', async () => {
    const a = cachedAuth()
    const t = await mint(baseClaims())
    await accept(a, t)
    const bad = `${t.slice(0, -2)}${t.endsWith('AA') ? 'BA' : 'AA'}`
    await expectToken(a, bad, bad.length === t.length ? 'signature_invalid' : 'token_malformed')
  })
  it('SEC-099 two authenticators with different audiences do not share a cache', async () => {
    const a = staticAuth(b64(F.S), {
      requiredAudience: 'A',
      tokenCache: { max: 10, ttlMs: 60_000 },
    })
    const b = staticAuth(b64(F.S), {
      requiredAudience: 'B',
      tokenCache: { max: 10, ttlMs: 60_000 },
    })
    const t = await mint(withClaim('aud', 'A'))
    await accept(a, t)
    await expectToken(b, t, 'audience_mismatch')
  })
  it('SEC-100 bounded cache: 20 000 distinct 8 KB tokens with max 500 keep the heap bounded', async () => {
    const a = staticAuth(b64(F.S), { tokenCache: { max: 500, ttlMs: 600_000 } })
    const pad = 'p'.repeat(6000)
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < 20_000; i++)
      await accept(a, await mint(baseClaims({ jti: String(i), pad })))
    const grown = process.memoryUsage().heapUsed - before
    // unbounded, 20 000 × (8 KB token + 6 KB claim) would be ~300 MB
    expect(grown).toBeLessThan(150 * 1024 * 1024)
  })
  it('SEC-101 wall clock jumps +1 h: a cached token expires with the clock', async () => {
    now = NOW
    const a = cachedAuth()
    const t = await mint(baseClaims())
    await accept(a, t)
    now = NOW + 3600
    await expectToken(a, t, 'token_expired')
    now = NOW
    await accept(a, t)
  })
  it('SEC-092 principal of a cache hit cannot be mutated by a handler', async () => {
    const a = staticAuth(b64(F.S), { rolesKey: 'roles', tokenCache: { max: 10, ttlMs: 60_000 } })
    const t = await mint(withClaim('roles', ['user']))
    const p = await accept(a, t)
    expect(() => (p.roles as string[]).push('admin')).toThrow(TypeError)
    expect(() => {
      ;(p.claims as Record<string, unknown>).admin = true
    }).toThrow(TypeError)
    const again = await accept(a, t)
    expect(again.roles).toEqual(['user'])
    expect((again.claims as Record<string, unknown>).admin).toBeUndefined()
  })
})
