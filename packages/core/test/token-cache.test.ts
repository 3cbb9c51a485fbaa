import { describe, expect, it } from 'vitest'
import {
  createKeyResolverAuthenticator,
  importSigningKey,
  resolveOptions,
  type KeyResolver,
  type Principal,
  type VerificationKey,
} from '../src/index.js'
import { MAX_CACHED_TOKEN_LENGTH, TokenCache } from '../src/token-cache.js'
import { bearer, claims, expectAuthFailure, hs, hsToken, mint, NOW, SECRET_B64 } from './helpers.js'

/** An authenticator with the cache on, a movable clock and a resolver whose keys can change. */
function setup(extra: Record<string, unknown> = {}) {
  let nowMs = NOW * 1000
  let keys: VerificationKey[] = [importSigningKey(SECRET_B64, 'signingKey')]
  let selects = 0
  const resolver = {
    algorithms: new Set(['HS256'] as const),
    generation: 0,
    select: () => {
      selects++
      return keys
    },
  } satisfies KeyResolver
  const auth = createKeyResolverAuthenticator(
    resolveOptions({ advanced: { clock: () => nowMs }, ...extra }),
    resolver,
  )
  return {
    auth,
    advance: (seconds: number) => (nowMs += seconds * 1000),
    rotate: (next: VerificationKey[]) => {
      keys = next
      resolver.generation++
    },
    selects: () => selects,
  }
}

describe('verified-token cache', () => {
  it('serves a second request for the same token without verifying again', async () => {
    const s = setup()
    const token = hsToken()
    const first = await s.auth.authenticate(bearer(token))
    const second = await s.auth.authenticate(bearer(token))
    expect(second).toBe(first)
    expect(s.selects()).toBe(1)
  })

  it('re-checks exp on every hit, with and without iat (SEC-094)', async () => {
    for (const payload of [
      { sub: 'a', exp: NOW + 2 },
      { sub: 'a', exp: NOW + 2, iat: NOW },
    ]) {
      const s = setup({ clockSkewToleranceSeconds: 0 })
      const token = hsToken(payload)
      await s.auth.authenticate(bearer(token))
      s.advance(3)
      await expectAuthFailure(s.auth.authenticate(bearer(token)), 'token_expired')
    }
  })

  it('does not cache failures: a not-yet-valid token is accepted once it becomes valid (SEC-095)', async () => {
    const s = setup({ clockSkewToleranceSeconds: 0 })
    const token = hsToken(claims({ nbf: NOW + 60 }))
    await expectAuthFailure(s.auth.authenticate(bearer(token)), 'token_not_yet_valid')
    s.advance(61)
    await expect(s.auth.authenticate(bearer(token))).resolves.toBeDefined()
  })

  it('keys on the whole token: a different signature is verified on its own (SEC-096)', async () => {
    const s = setup()
    const token = hsToken()
    await s.auth.authenticate(bearer(token))
    const [h, p] = token.split('.')
    const badSig = mint({ alg: 'HS256' }, claims(), hs(Buffer.alloc(32, 3))).split('.')[2]
    await expectAuthFailure(s.auth.authenticate(bearer(`${h}.${p}.${badSig}`)), 'signature_invalid')
  })

  it('is dropped when the key set changes: a token of a removed key is rejected (SEC-097)', async () => {
    const s = setup()
    const token = hsToken()
    await s.auth.authenticate(bearer(token))
    s.rotate([importSigningKey(Buffer.alloc(32, 5).toString('base64'), 'signingKey')])
    await expectAuthFailure(s.auth.authenticate(bearer(token)), 'signature_invalid')
  })

  it("is per authenticator: B with another audience does not see A's entry (SEC-099)", async () => {
    const a = setup()
    const b = setup({ requiredAudience: 'other' })
    const token = hsToken(claims({ aud: 'api' }))
    await a.auth.authenticate(bearer(token))
    await expectAuthFailure(b.auth.authenticate(bearer(token)), 'audience_mismatch')
  })

  it('is off with tokenCache: false', async () => {
    const s = setup({ tokenCache: false })
    const token = hsToken()
    await s.auth.authenticate(bearer(token))
    await s.auth.authenticate(bearer(token))
    expect(s.selects()).toBe(2)
  })

  it('a cached principal stays frozen: a handler cannot change what the next request sees (SEC-092)', async () => {
    const s = setup({ rolesKey: 'roles' })
    const token = hsToken(claims({ roles: ['user'] }))
    const p = await s.auth.authenticate(bearer(token))
    expect(() => (p.roles as string[]).push('admin')).toThrow(TypeError)
    expect(() => Object.assign(p.claims, { admin: true })).toThrow(TypeError)
    expect((await s.auth.authenticate(bearer(token))).roles).toEqual(['user'])
  })
})

describe('TokenCache', () => {
  const principal = (token: string): Principal => ({
    subject: 's',
    roles: [],
    scopes: [],
    claims: {},
    header: {},
    token,
  })

  it('is bounded: least recently used entries are evicted (SEC-100)', () => {
    const cache = new TokenCache(10, 60_000, 0)
    for (let i = 0; i < 100; i++) cache.set(principal(`t${i}`), 0, 0, undefined)
    expect(cache.size).toBe(10)
    expect(cache.get('t0', 0, 1)).toBeUndefined()
    expect(cache.get('t99', 0, 1)?.token).toBe('t99')
    // t90 becomes most recently used, so inserting one more evicts t91.
    expect(cache.get('t90', 0, 1)).toBeDefined()
    cache.set(principal('new'), 0, 1, undefined)
    expect(cache.get('t91', 0, 1)).toBeUndefined()
    expect(cache.get('t90', 0, 1)).toBeDefined()
  })

  it('entries live at most ttlMs and never past exp', () => {
    const cache = new TokenCache(10, 1000, 0)
    cache.set(principal('a'), 0, 0, undefined)
    cache.set(principal('b'), 0, 0, 100)
    expect(cache.get('a', 0, 999)).toBeDefined()
    expect(cache.get('b', 0, 99)).toBeDefined()
    expect(cache.get('b', 0, 100)).toBeUndefined()
    expect(cache.get('a', 0, 1000)).toBeUndefined()
  })

  it('ignores already-expired tokens, very long tokens and stale generations', () => {
    const cache = new TokenCache(10, 1000, 2)
    cache.set(principal('expired'), 2, 0, -5)
    cache.set(principal('x'.repeat(MAX_CACHED_TOKEN_LENGTH + 1)), 2, 0, undefined)
    cache.set(principal('old'), 1, 0, undefined)
    expect(cache.size).toBe(0)
  })

  it('a newer generation on get or set drops every entry', () => {
    const cache = new TokenCache(10, 1000, 0)
    cache.set(principal('a'), 0, 0, undefined)
    cache.set(principal('b'), 1, 0, undefined)
    expect(cache.get('a', 1, 1)).toBeUndefined()
    expect(cache.get('b', 1, 1)).toBeDefined()
    expect(cache.get('b', 2, 1)).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('two tokens sharing the indexed tail are told apart by the whole token', () => {
    const tail = 'x'.repeat(64)
    const cache = new TokenCache(10, 60_000, 0)
    cache.set(principal(`a.${tail}`), 0, 0, undefined)
    expect(cache.get(`b.${tail}`, 0, 1)).toBeUndefined()
    expect(cache.get(`a.${tail}`, 0, 1)?.token).toBe(`a.${tail}`)
    // the second token takes the slot; the first is then a miss, never the wrong principal
    cache.set(principal(`b.${tail}`), 0, 1, undefined)
    expect(cache.get(`a.${tail}`, 0, 2)).toBeUndefined()
    expect(cache.get(`b.${tail}`, 0, 2)?.token).toBe(`b.${tail}`)
    expect(cache.size).toBe(1)
  })

  it('an entry hit at least once per max/2 insertions is never evicted (lazy recency)', () => {
    const cache = new TokenCache(10, 60_000, 0)
    cache.set(principal('hot'), 0, 0, undefined)
    for (let i = 0; i < 1000; i++) {
      cache.set(principal(`cold${i}`), 0, 0, undefined)
      if (i % 5 === 0) expect(cache.get('hot', 0, 1)?.token).toBe('hot')
    }
    expect(cache.size).toBe(10)
    expect(cache.get('hot', 0, 1)).toBeDefined()
    expect(cache.get('cold0', 0, 1)).toBeUndefined()
  })
})
