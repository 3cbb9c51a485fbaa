import { generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { importJwk, KeySetError, parseJwks } from '../src/index.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' })
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
  format: 'jwk',
})
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' })
const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
const ed448 = generateKeyPairSync('ed448').publicKey.export({ format: 'jwk' })
const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' })
const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({
  format: 'jwk',
})
const rsaPrivate = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  format: 'jwk',
})

const body = (doc: unknown) => Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc))
const reason = (jwk: unknown): string => {
  const r = importJwk(jwk)
  if (typeof r !== 'string') throw new Error('expected the key to be skipped')
  return r
}
const flip = (b64: string) => {
  const buf = Buffer.from(b64, 'base64url')
  buf[buf.length - 1] = (buf[buf.length - 1] ?? 0) ^ 1
  return buf.toString('base64url')
}

describe('importJwk: usable keys', () => {
  it.each([
    ['RSA', rsa, ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']],
    ['EC P-256', ec, ['ES256']],
    ['EC P-384', ec384, ['ES384']],
    ['Ed25519', ed, ['EdDSA', 'Ed25519']],
  ] as const)('%s, with use sig and key_ops verify', (_n, jwk, algs) => {
    for (const extra of [
      {},
      { use: 'sig' },
      { key_ops: ['verify'] },
      { use: 'sig', key_ops: ['verify'] },
    ]) {
      const k = importJwk({ ...jwk, kid: 'k1', ...extra })
      expect(typeof k).toBe('object')
      if (typeof k === 'object') {
        expect(k.kid).toBe('k1')
        expect([...k.algorithms]).toEqual(algs)
      }
    }
  })

  it("a JWK's alg restricts what it verifies; a kid of '' counts as absent", () => {
    const k = importJwk({ ...rsa, alg: 'PS256', kid: '' })
    expect(typeof k === 'object' && [...k.algorithms]).toEqual(['PS256'])
    expect(typeof k === 'object' && k.kid).toBeUndefined()
  })

  it('ignores unknown members (x5c, x5t, ext)', () => {
    expect(typeof importJwk({ ...rsa, x5c: ['AAAA'], x5t: 'x', ext: true })).toBe('object')
  })
})

describe('importJwk: skipped keys (SEC-116..124)', () => {
  it.each([
    [
      'symmetric oct',
      { kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', kid: 'o1' },
      /symmetric/,
    ],
    ['RSA private material', rsaPrivate, /private/],
    ['EC with d', { ...ec, d: 'AAAA' }, /private/],
    ['use enc', { ...rsa, use: 'enc' }, /use/],
    ['use 0', { ...rsa, use: 0 }, /use/],
    ['key_ops sign', { ...rsa, key_ops: ['sign'] }, /verify/],
    ['key_ops encrypt', { ...rsa, key_ops: ['encrypt'] }, /verify/],
    ['key_ops empty', { ...rsa, key_ops: [] }, /verify/],
    ['key_ops string', { ...rsa, key_ops: 'verify' }, /key_ops/],
    ['key_ops duplicates', { ...rsa, key_ops: ['verify', 'verify'] }, /key_ops/],
    ['alg HS256 on RSA', { ...rsa, alg: 'HS256' }, /alg/],
    ['alg none', { ...rsa, alg: 'none' }, /alg/],
    ['alg 0', { ...rsa, alg: 0 }, /alg/],
    ['alg ES384 on P-256', { ...ec, alg: 'ES384' }, /alg/],
    ['RSA 1024', rsa1024, /2048/],
    ['RSA e = 1', { ...rsa, e: 'AQ' }, /exponent/],
    ['RSA even e', { ...rsa, e: 'AQAA' }, /exponent|parse/],
    ['EC point off the curve', { ...ec, y: flip(ec.y ?? '') }, /parse/],
    ['EC 31-byte x', { ...ec, x: Buffer.alloc(31, 1).toString('base64url') }, /size/],
    ['P-384 label on P-256 coordinates', { ...ec, crv: 'P-384' }, /size/],
    ['secp256k1', k1, /curve/],
    ['secp256k1 coordinates labelled P-256', { ...k1, crv: 'P-256' }, /parse/],
    ['P-192', { ...ec, crv: 'P-192' }, /curve/],
    [
      'all-zero coordinates',
      {
        ...ec,
        x: Buffer.alloc(32).toString('base64url'),
        y: Buffer.alloc(32).toString('base64url'),
      },
      /parse/,
    ],
    ['Ed448', ed448, /curve/],
    ['X25519', x25519, /curve/],
    ['Ed25519 31-byte x', { ...ed, x: Buffer.alloc(31, 1).toString('base64url') }, /size/],
    ['unknown kty', { kty: 'XYZ', kid: 'k' }, /kty/],
    ['non-string kid', { ...rsa, kid: 1 }, /kid/],
    ['1 MB kid', { ...rsa, kid: 'k'.repeat(1_000_000) }, /kid/],
    ['control characters in kid', { ...rsa, kid: 'a\r\nb' }, /kid/],
    ['RSA without n', { kty: 'RSA', e: 'AQAB' }, /n and e/],
  ] as [string, JsonWebKey, RegExp][])('%s', (_name, jwk, why) => {
    expect(reason(jwk)).toMatch(why)
  })

  it.each([null, 1, 'x', [], {}])('junk entry %j', (entry) => {
    expect(typeof importJwk(entry)).toBe('string')
  })
})

describe('parseJwks', () => {
  it('keeps the valid keys beside junk and reports the rest with safe kids (SEC-124, SEC-144)', () => {
    const parsed = parseJwks(
      body({
        keys: [null, 1, 'x', [], {}, { kty: 'XYZ', kid: 'k\u001b[31m' }, { ...rsa, kid: 'good' }],
      }),
      -1,
    )
    expect(parsed.keys.map((k) => k.kid)).toEqual(['good'])
    expect(parsed.skipped).toHaveLength(6)
    expect(parsed.skipped.map((s) => s.kid)).toContain('k\\u001b[31m')
  })

  it('tolerates a BOM', () => {
    expect(parseJwks(body(`\uFEFF${JSON.stringify({ keys: [rsa] })}`), -1).keys).toHaveLength(1)
  })

  it.each(['<html>…', '{', 'null', '[]', '{}', '{"keys":null}', '{"keys":{}}', '{"keys":"x"}', ''])(
    '%j is not a JWK Set (SEC-109)',
    (text) => {
      expect(() => parseJwks(body(text), -1)).toThrow(KeySetError)
    },
  )

  it('invalid UTF-8 is not a JWK Set', () => {
    expect(() => parseJwks(Buffer.from([0x7b, 0xff, 0x7d]), -1)).toThrow(KeySetError)
  })

  it('maxJwksKeys rejects a larger set; ≤ 0 is unlimited (SEC-127)', () => {
    const doc = body({ keys: [rsa, ec, ed] })
    expect(() => parseJwks(doc, 2)).toThrow(/maxJwksKeys/)
    expect(parseJwks(doc, 3).keys).toHaveLength(3)
    expect(parseJwks(doc, 0).keys).toHaveLength(3)
    expect(parseJwks(doc, -1).keys).toHaveLength(3)
  })

  it('duplicate kids are all kept (tried in turn by the key set)', () => {
    expect(
      parseJwks(
        body({
          keys: [
            { ...rsa, kid: 'same' },
            { ...ec, kid: 'same' },
          ],
        }),
        -1,
      ).keys,
    ).toHaveLength(2)
  })
})
