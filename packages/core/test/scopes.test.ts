// Principal.scopes (issue 16 item 1, DESIGN.md `scopesKey`): space-separated strings and string
// arrays, exact and case-sensitive, never comma-split or trimmed, duplicates removed, frozen,
// cached with the principal; `scope` then `scp` by default.
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  createStaticAuthenticator,
  type Authenticator,
  type OperableAuthenticator,
  type Principal,
} from '../src/index.js'
import { extractScopes } from '../src/claims/principal.js'
import { bearer, claims, clock, hsToken, SECRET_B64, staticAuth } from './helpers.js'

const auth = (extra: Record<string, unknown> = {}) =>
  staticAuth({ signingKey: SECRET_B64, ...extra })

const scopesOf = async (extra: Record<string, unknown>, options: Record<string, unknown> = {}) =>
  (await auth(options).authenticate(bearer(hsToken(claims(extra))))).scopes

describe('Principal.scopes', () => {
  it.each([
    ['read:orders write:orders', ['read:orders', 'write:orders']],
    ['  read   write  ', ['read', 'write']],
    ['openid', ['openid']],
    ['a b a b', ['a', 'b']],
    // Never comma-split; exact and case-sensitive (no lower-casing).
    ['read,write', ['read,write']],
    ['Read READ read', ['Read', 'READ', 'read']],
    // Only U+0020 separates scope tokens (RFC 6749 §3.3): a tab or a Unicode space does not.
    ['a\tb', ['a\tb']],
    ['a\u00a0b', ['a\u00a0b']],
    ['', []],
    ['   ', []],
  ])('scope %j → %j', async (scope, expected) => {
    expect(await scopesOf({ scope })).toEqual(expected)
  })

  it.each([
    [
      ['read', 'write'],
      ['read', 'write'],
    ],
    // Array entries are never trimmed, split or lower-cased; non-strings and empties are dropped.
    [
      [' read', 'read ', 'a b', 'x,y', 'X'],
      [' read', 'read ', 'a b', 'x,y', 'X'],
    ],
    [['read', 1, null, true, {}, ['write'], '', 'read'], ['read']],
    [[], []],
  ])('scp %j → %j', async (scp, expected) => {
    expect(await scopesOf({ scp })).toEqual(expected)
  })

  it.each([[42], [true], [null], [{ read: true }]])('a scope claim of %j gives none', async (v) => {
    expect(await scopesOf({ scope: v })).toEqual([])
  })

  it('reads `scope` first and `scp` only when `scope` is absent', async () => {
    expect(await scopesOf({ scope: 'a', scp: ['b'] })).toEqual(['a'])
    expect(await scopesOf({ scp: ['b'] })).toEqual(['b'])
    expect(await scopesOf({ scp: 'c d' })).toEqual(['c', 'd'])
    // A present but unusable `scope` does not fall through to `scp`.
    expect(await scopesOf({ scope: 42, scp: ['b'] })).toEqual([])
    expect(await scopesOf({})).toEqual([])
  })

  it('scopesKey names another claim (dotted path or segments); scope and scp are then ignored', async () => {
    const token = { scope: 'ignored', scp: ['ignored'], authz: { perms: 'a b' }, perms: ['p'] }
    expect(await scopesOf(token, { scopesKey: 'authz.perms' })).toEqual(['a', 'b'])
    expect(await scopesOf(token, { scopesKey: ['authz', 'perms'] })).toEqual(['a', 'b'])
    expect(await scopesOf(token, { scopesKey: 'perms' })).toEqual(['p'])
    expect(await scopesOf(token, { scopesKey: 'missing' })).toEqual([])
    // A literal member named `authz.perms` is not matched by the path.
    expect(await scopesOf({ 'authz.perms': 'x' }, { scopesKey: 'authz.perms' })).toEqual([])
  })

  it('is frozen, also when empty', async () => {
    const some = await scopesOf({ scope: 'a b' })
    const none = await scopesOf({})
    expect(Object.isFrozen(some)).toBe(true)
    expect(Object.isFrozen(none)).toBe(true)
    expect(() => (some as string[]).push('admin')).toThrow(TypeError)
  })

  it('is cached with the principal: a cache hit returns the very same array', async () => {
    const a = createStaticAuthenticator({ signingKey: SECRET_B64, advanced: { clock } })
    const token = hsToken(claims({ scope: 'read write' }))
    const first = await a.authenticate(bearer(token))
    const second = await a.authenticate(bearer(token))
    expect(second).toBe(first)
    expect(second.scopes).toBe(first.scopes)
    expect(second.scopes).toEqual(['read', 'write'])
  })

  it('extractScopes ignores prototype members', () => {
    expect(
      extractScopes(JSON.parse('{"__proto__":{"scope":"admin"}}') as never, undefined),
    ).toEqual([])
    expect(extractScopes({}, ['toString'])).toEqual([])
  })

  it('keeps the first occurrence of each scope, in order, for long lists too', () => {
    const many = Array.from({ length: 40 }, (_, i) => `s${String(i % 20)}`)
    expect(extractScopes({ scope: many.join(' ') }, undefined)).toEqual(
      Array.from({ length: 20 }, (_, i) => `s${String(i)}`),
    )
    expect(extractScopes({ scp: many }, undefined)).toHaveLength(20)
  })
})

describe('Principal<TClaims> types', () => {
  interface MyClaims {
    org_id: string
    plan?: 'free' | 'pro'
  }

  it('types claims for custom claims; scopes are readonly strings', () => {
    expectTypeOf<Principal['scopes']>().toEqualTypeOf<readonly string[]>()
    expectTypeOf<Principal['claims']>().toEqualTypeOf<Readonly<Record<string, unknown>>>()
    expectTypeOf<Principal<MyClaims>['claims']['org_id']>().toEqualTypeOf<string>()
    expectTypeOf<Principal<MyClaims>['claims']['plan']>().toEqualTypeOf<
      'free' | 'pro' | undefined
    >()
    // @ts-expect-error: not a member of MyClaims
    expectTypeOf<Principal<MyClaims>['claims']['orgId']>().toBeUnknown()
  })

  it('createStaticAuthenticator<T>() types what authenticate resolves', async () => {
    const a = createStaticAuthenticator<MyClaims>({ signingKey: SECRET_B64, advanced: { clock } })
    expectTypeOf(a).toEqualTypeOf<OperableAuthenticator<MyClaims>>()
    expectTypeOf<ReturnType<typeof a.authenticate>>().toEqualTypeOf<Promise<Principal<MyClaims>>>()
    const principal = await a.authenticate(bearer(hsToken(claims({ org_id: 'o-1' }))))
    const org: string = principal.claims.org_id
    expect(org).toBe('o-1')
    expect(() => {
      // @ts-expect-error: claims are read-only (and frozen at run time)
      principal.claims.org_id = 'x'
    }).toThrow(TypeError)
  })

  it('a typed principal and authenticator are accepted where the plain ones are', () => {
    expectTypeOf<Principal<MyClaims>>().toExtend<Principal>()
    expectTypeOf<Authenticator<MyClaims>>().toExtend<Authenticator>()
    expectTypeOf<OperableAuthenticator<MyClaims>>().toExtend<Authenticator>()
    const takesPlain = (p: Principal): string => p.subject
    expectTypeOf(takesPlain).toBeCallableWith({} as Principal<MyClaims>)
  })
})
