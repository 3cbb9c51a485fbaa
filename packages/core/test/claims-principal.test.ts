import { describe, expect, it } from 'vitest'
import { compilePath, extractSubject } from '../src/claims/principal.js'
import {
  bearer,
  claims,
  expectAuthFailure,
  hs,
  hsToken,
  mint,
  NOW,
  SECRET,
  SECRET_B64,
  staticAuth,
} from './helpers.js'

const auth = (extra: Record<string, unknown> = {}) =>
  staticAuth({ signingKey: SECRET_B64, ...extra })

describe('subject (SEC-077)', () => {
  it.each([
    ['alice', 'alice'],
    [' alice ', 'alice'],
    [123, '123'],
    [0, '0'],
    [-42, '-42'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['ällö 名前', 'ällö 名前'],
    ['  a b  ', 'a b'],
    // Only ASCII spaces are trimmed: a Unicode space keeps the subject apart from `admin`.
    ['admin\u00a0', 'admin\u00a0'],
    ['\u3000admin', '\u3000admin'],
    ['admin\ufeff', 'admin\ufeff'],
    ['\u2003', '\u2003'],
  ])('sub %j → %j', async (sub, expected) => {
    await expect(auth().authenticate(bearer(hsToken(claims({ sub }))))).resolves.toMatchObject({
      subject: expected,
    })
  })

  it.each([
    [undefined],
    [''],
    ['   '],
    [{}],
    [[]],
    [true],
    [null],
    ['admin\u0000x'],
    ['a\nb'],
    ['a\u001bb'],
    ['a\u0085b'],
    // Second wave: numbers that are not safe integers, Unicode spaces, controls before trimming.
    [1.5],
    [1e21],
    [-9007199254740992],
    ['\nadmin\t'],
    ['admin\t'],
    [' admin\r'],
    ['admin\u009b'],
    ['admin\u007f'],
    ['adm\u202ein'],
    ['admin\u2066'],
    ['\u200fadmin'],
    ['admin\u061c'],
  ])('sub %j → subject_missing', async (sub) => {
    await expectAuthFailure(
      auth().authenticate(bearer(hsToken(claims({ sub })))),
      'subject_missing',
    )
  })

  it('an integer above 2^53 is not rounded into another user (JSON 9007199254740993)', async () => {
    const t = mint({ alg: 'HS256' }, `{"sub":9007199254740993,"exp":${NOW + 300}}`, hs(SECRET))
    await expectAuthFailure(auth().authenticate(bearer(t)), 'subject_missing')
    const big = mint({ alg: 'HS256' }, `{"sub":1e21,"exp":${NOW + 300}}`, hs(SECRET))
    await expectAuthFailure(auth().authenticate(bearer(big)), 'subject_missing')
  })

  it('a JSON-escaped lone surrogate → subject_missing', async () => {
    const t = mint({ alg: 'HS256' }, '{"sub":"a\\ud800b"}', hs(SECRET))
    await expectAuthFailure(auth().authenticate(bearer(t)), 'subject_missing')
  })

  it('subjectKey reads another claim', async () => {
    await expect(
      auth({ subjectKey: 'email' }).authenticate(bearer(hsToken(claims({ email: 'a@x' })))),
    ).resolves.toMatchObject({ subject: 'a@x' })
    await expectAuthFailure(
      auth({ subjectKey: 'email' }).authenticate(bearer(hsToken(claims()))),
      'subject_missing',
    )
  })
})

describe('dotted and list paths (SEC-078)', () => {
  it('a dotted path reaches nested claims; a flat member named "user.name" does not match', async () => {
    const a = auth({ subjectKey: 'user.name' })
    await expect(
      a.authenticate(bearer(hsToken(claims({ user: { name: 'alice' } })))),
    ).resolves.toMatchObject({ subject: 'alice' })
    await expectAuthFailure(
      a.authenticate(bearer(hsToken(claims({ 'user.name': 'mallory' })))),
      'subject_missing',
    )
  })

  it('the OpenSearch list form is literal segments', async () => {
    const a = auth({ subject_key: ['user.x', 'name'] })
    await expect(
      a.authenticate(bearer(hsToken(claims({ 'user.x': { name: 'bob' } })))),
    ).resolves.toMatchObject({ subject: 'bob' })
  })

  it.each([
    ['__proto__.x', {}],
    ['constructor.name', {}],
    ['toString', {}],
    ['list.0', { list: ['alice'] }],
    ['n.x', { n: null }],
  ])('path %s through prototypes, arrays or null → subject_missing', async (subjectKey, extra) => {
    await expectAuthFailure(
      auth({ subjectKey }).authenticate(bearer(hsToken(claims({ sub: undefined, ...extra })))),
      'subject_missing',
    )
  })
})

describe('roles (SEC-079)', () => {
  const roles = async (value: unknown, rolesKey: unknown = 'roles') =>
    (
      await auth({ rolesKey }).authenticate(
        bearer(hsToken(claims({ roles: value, realm_access: { roles: value } }))),
      )
    ).roles

  it('a comma-separated string is split, trimmed, empties dropped', async () => {
    expect(await roles('admin, dev ,,ops')).toEqual(['admin', 'dev', 'ops'])
  })

  it('an array keeps strings as they are: never trimmed, never comma-split (CVE-2023-23612)', async () => {
    expect(await roles(['admin,dev'])).toEqual(['admin,dev'])
    expect(await roles([' admin '])).toEqual([' admin '])
  })

  it('non-string array entries and empty strings are dropped; duplicates removed', async () => {
    expect(await roles([1, null, {}, ['x'], true, 'a', '', 'a'])).toEqual(['a'])
    expect(await roles('a,a, b')).toEqual(['a', 'b'])
  })

  it('deduplication keeps first occurrences in order, for short and long lists alike', async () => {
    expect(await roles(['b', 'a', 'b', 'c', 'a'])).toEqual(['b', 'a', 'c'])
    const long = Array.from({ length: 40 }, (_, i) => `r${String(i % 20)}`)
    expect(await roles(long)).toEqual(Array.from({ length: 20 }, (_, i) => `r${String(i)}`))
  })

  it.each([[{ admin: true }], [5], [null], [undefined]])('%j → no roles', async (v) => {
    expect(await roles(v)).toEqual([])
  })

  it('nested paths: dotted and the OpenSearch "realm_access,roles" form', async () => {
    expect(await roles(['a'], 'realm_access.roles')).toEqual(['a'])
    const o = await staticAuth({
      signingKey: SECRET_B64,
      roles_key: 'realm_access,roles',
    } as never).authenticate(bearer(hsToken(claims({ realm_access: { roles: ['x'] } }))))
    expect(o.roles).toEqual(['x'])
  })

  it('no rolesKey → no roles', async () => {
    expect((await auth().authenticate(bearer(hsToken(claims({ roles: ['a'] }))))).roles).toEqual([])
  })
})

describe('principal', () => {
  it('holds subject, roles, claims, header and token, deeply frozen (SEC-092)', async () => {
    const token = hsToken(claims({ roles: ['a'], nested: { x: [1] } }))
    const p = await auth({ rolesKey: 'roles' }).authenticate(bearer(token))
    expect(p).toMatchObject({
      subject: 'alice',
      roles: ['a'],
      header: { alg: 'HS256', typ: 'JWT' },
      token,
    })
    expect(p.claims.nested).toEqual({ x: [1] })
    expect(Object.isFrozen(p)).toBe(true)
    expect(Object.isFrozen(p.roles)).toBe(true)
    expect(Object.isFrozen(p.claims)).toBe(true)
    expect(Object.isFrozen((p.claims.nested as { x: unknown }).x)).toBe(true)
    expect(() => (p.roles as string[]).push('admin')).toThrow(TypeError)
  })

  it('freezing reaches objects inside arrays and an own "__proto__" member', async () => {
    const extra = JSON.parse(
      '{"deep":[{"a":{"b":[{"c":1}]}}],"__proto__":{"evil":{"x":1}}}',
    ) as Record<string, unknown>
    const p = await auth().authenticate(bearer(hsToken(claims(extra))))
    const deep = p.claims.deep as { a: { b: { c: number }[] } }[]
    expect(Object.isFrozen(deep[0]?.a.b[0])).toBe(true)
    const proto = Object.getOwnPropertyDescriptor(p.claims, '__proto__')?.value as {
      evil: object
    }
    expect(Object.isFrozen(proto.evil)).toBe(true)
    expect(Object.getPrototypeOf(p.claims)).toBe(Object.prototype)
  })
})

describe('subject fast path (printable ASCII) agrees with the full rules', () => {
  // The rules as written before the fast path: refuse controls, trim ASCII spaces only, refuse
  // empties and lone surrogates. Every string of up to three characters from an alphabet of the
  // interesting cases (edges of the printable range, controls, bidi, surrogates) must give the
  // same answer through extractSubject.
  // eslint-disable-next-line no-control-regex -- the reference definition of a control character
  const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/
  const reference = (v: string): string | undefined => {
    if (CONTROL.test(v)) return undefined
    let start = 0
    let end = v.length
    while (start < end && v.charCodeAt(start) === 0x20) start++
    while (end > start && v.charCodeAt(end - 1) === 0x20) end--
    const s = v.slice(start, end)
    return s === '' || /[\ud800-\udfff]/u.test(s) ? undefined : s
  }
  const alphabet = [
    'a',
    '~',
    '!',
    ' ',
    '\t',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u0080',
    '\u00a0',
    '\u061c',
    '\u200e',
    '\u202e',
    '\u2066',
    '\u3000',
    '\ud800',
    '\udc00',
    '\ud83d\ude00',
  ]
  const strings = ['']
  for (let n = 0, from = 0; n < 3; n++) {
    const to = strings.length
    for (let i = from; i < to; i++) for (const c of alphabet) strings.push((strings[i] ?? '') + c)
    from = to
  }
  it(`gives the same subject or subject_missing for ${String(strings.length)} strings`, () => {
    const path = compilePath('sub')
    let checked = 0
    for (const s of strings) {
      let got: string | undefined
      try {
        got = extractSubject({ sub: s }, path)
      } catch (e) {
        expect((e as { code?: string }).code).toBe('subject_missing')
        got = undefined
      }
      expect(got, JSON.stringify(s)).toBe(reference(s))
      checked++
    }
    expect(checked).toBe(strings.length)
  })
})
