import { describe, expect, it } from 'vitest'
import {
  AuthError,
  createKeyResolverAuthenticator,
  escapeForLog,
  hasControlChars,
  resolveOptions,
  type KeyResolver,
} from '../src/index.js'
import { bearer, clock, expectAuthFailure, hsToken, SECRET_B64 } from './helpers.js'

const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  0x7f,
  ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
  0x061c,
  0x200e,
  0x200f,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
]

describe('one definition of control character (C0, DEL, C1, bidi)', () => {
  it.each(CONTROLS.map((c) => [c.toString(16).padStart(4, '0'), c]))(
    'U+%s is a control character',
    (_hex, c) => {
      expect(hasControlChars(`a${String.fromCharCode(c)}b`)).toBe(true)
    },
  )

  it.each([
    ['plain ASCII', 'kid-2024_01.a'],
    ['space', 'a b'],
    ['NBSP', 'a\u00a0b'],
    ['ideographic space', '\u3000'],
    ['BOM', '\ufeff'],
    ['zero-width space', '\u200b'],
    ['ZWJ', '\u200d'],
    ['letters', 'ällö 名前'],
    ['emoji', '🔑'],
  ])('%s is not', (_name, s) => {
    expect(hasControlChars(s)).toBe(false)
  })

  it('escapeForLog escapes every control character and cuts to 64 characters', () => {
    expect(escapeForLog('a\u009b31mb\u202e\n')).toBe('a\\u009b31mb\\u202e\\u000a')
    const long = escapeForLog('k'.repeat(225))
    expect(long).toHaveLength(64)
    expect(long.endsWith('…')).toBe(true)
    expect(escapeForLog('x'.repeat(64))).toBe('x'.repeat(64))
    const escaped = escapeForLog('\u0000'.repeat(40))
    expect(escaped).toHaveLength(64)
    expect(hasControlChars(escaped)).toBe(false)
    // Never half a surrogate pair.
    const pairs = escapeForLog(`${'x'.repeat(62)}🔑🔑`)
    expect(pairs).toBe(`${'x'.repeat(62)}…`)
  })
})

describe('kid fast-fail (DESIGN.md, Second wave)', () => {
  /** A resolver that counts how often it is asked; a real key set would spend a refresh. */
  function counting(): { resolver: KeyResolver; calls: () => number } {
    let calls = 0
    return {
      resolver: {
        algorithms: new Set(['HS256']),
        generation: 0,
        select: () => {
          calls++
          throw new AuthError('key_not_found')
        },
      },
      calls: () => calls,
    }
  }

  it.each([
    ['C1 CSI U+009B', 'k\u009b[31m'],
    ['C1 NEL U+0085', 'k\u0085'],
    ['C0 ESC', 'k\u001b[2J'],
    ['DEL', 'k\u007f'],
    ['RLO U+202E', 'k\u202egnp.exe'],
    ['LRI U+2066', '\u2066k'],
    ['ALM U+061C', 'k\u061c'],
    ['too long', 'k'.repeat(257)],
    ['not a string', 42],
  ])('kid with %s → key_not_found (401), the resolver is never asked', async (_name, kid) => {
    const { resolver, calls } = counting()
    const auth = createKeyResolverAuthenticator(
      resolveOptions({ signingKey: SECRET_B64, advanced: { clock } }),
      resolver,
    )
    await expectAuthFailure(
      auth.authenticate(bearer(hsToken(undefined, { alg: 'HS256', kid }))),
      'key_not_found',
    )
    expect(calls()).toBe(0)
  })

  it('a kid of 256 plain characters is looked up', async () => {
    const { resolver, calls } = counting()
    const auth = createKeyResolverAuthenticator(
      resolveOptions({ signingKey: SECRET_B64, advanced: { clock } }),
      resolver,
    )
    await expectAuthFailure(
      auth.authenticate(bearer(hsToken(undefined, { alg: 'HS256', kid: 'k'.repeat(256) }))),
      'key_not_found',
    )
    expect(calls()).toBe(1)
  })
})
