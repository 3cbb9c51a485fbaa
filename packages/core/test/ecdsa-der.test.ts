// ECDSA: core takes JWA's fixed-length R‖S from the token, checks r and s are in 1..n-1, and
// verifies it in the encoding that is fastest on the runtime (DER on Node 24, R‖S elsewhere).
// These tests pin the conversion against OpenSSL's own DER, its edge cases, both encodings on
// every runtime, and the end-to-end result.
import { sign, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  ECDSA_ENCODING,
  ecdsaEncodingFor,
  ecdsaRawToDer,
  verifyEcdsa,
} from '../src/verify/signature.js'
import {
  bearer,
  claims,
  EC256,
  EC384,
  EC521,
  expectAuthFailure,
  mint,
  pem,
  staticAuth,
} from './helpers.js'

const ORDERS = {
  256: Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex'),
  384: Buffer.from(
    'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
    'hex',
  ),
  521: Buffer.from(
    '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    'hex',
  ),
} as const
const CURVES = [
  { bits: 256, alg: 'ES256', hash: 'sha256', key: EC256 },
  { bits: 384, alg: 'ES384', hash: 'sha384', key: EC384 },
  { bits: 521, alg: 'ES512', hash: 'sha512', key: EC521 },
] as const

/** Test-side DER reader (independent of the code under test): SEQUENCE { INTEGER, INTEGER }. */
function derToRaw(der: Buffer, half: number): Buffer {
  let o = 2
  if (der[1] === 0x81) o = 3
  const ints: Buffer[] = []
  for (let k = 0; k < 2; k++) {
    expect(der[o]).toBe(0x02)
    const len = der[o + 1] as number
    let v = der.subarray(o + 2, o + 2 + len)
    o += 2 + len
    while (v.length > half) v = v.subarray(1)
    ints.push(Buffer.concat([Buffer.alloc(half - v.length), v]))
  }
  expect(o).toBe(der.length)
  return Buffer.concat(ints)
}

const big = (b: Buffer): bigint => BigInt(`0x${b.toString('hex') || '0'}`)
const fixed = (v: bigint, half: number): Buffer =>
  Buffer.from(v.toString(16).padStart(half * 2, '0'), 'hex')

describe('ecdsaRawToDer', () => {
  it.each(CURVES)(
    '$alg: R‖S → DER gives exactly the bytes OpenSSL signs with (200 signatures)',
    ({ bits, hash, key }) => {
      const n = ORDERS[bits]
      for (let i = 0; i < 200; i++) {
        const der = sign(hash, Buffer.from(`message ${i}`), key.privateKey) // DER by default
        expect(ecdsaRawToDer(derToRaw(der, n.length), n)?.toString('hex')).toBe(der.toString('hex'))
      }
    },
  )

  it('drops leading zero bytes, and puts 0x00 before a set high bit', () => {
    const n = ORDERS[256]
    const r = Buffer.alloc(32, 0x11)
    r.fill(0, 0, 3) // 00 00 00 11 …: 29 significant bytes
    const s = Buffer.alloc(32, 0x22)
    s[0] = 0x80 // high bit set: 00 80 22 …, 33 bytes
    const der = ecdsaRawToDer(Buffer.concat([r, s]), n)
    expect(der?.toString('hex')).toBe(`3042021d${'11'.repeat(29)}022100${s.toString('hex')}`)
    // A leading zero followed by a high bit: the zero is dropped and 0x00 put back once.
    const r2 = Buffer.alloc(32, 0xaa)
    r2[0] = 0
    const der2 = ecdsaRawToDer(Buffer.concat([r2, s]), n)
    expect(der2?.subarray(2, 4).toString('hex')).toBe('0220')
    expect(der2?.subarray(4, 6).toString('hex')).toBe('00aa')
  })

  it('r or s = 1 (all zero but the last byte) encodes as a one-byte INTEGER', () => {
    const one = fixed(1n, 32)
    expect(ecdsaRawToDer(Buffer.concat([one, one]), ORDERS[256])?.toString('hex')).toBe(
      '3006020101020101',
    )
  })

  it.each(CURVES)('$alg: r or s = 0, = n, > n, all ones → refused', ({ bits }) => {
    const n = ORDERS[bits]
    const half = n.length
    const N = big(n)
    const good = fixed(N - 1n, half)
    const bad = [0n, N, N + 1n, 2n ** BigInt(half * 8) - 1n].map((v) => fixed(v, half))
    for (const b of bad) {
      expect(ecdsaRawToDer(Buffer.concat([b, good]), n)).toBeUndefined()
      expect(ecdsaRawToDer(Buffer.concat([good, b]), n)).toBeUndefined()
    }
    // n - 1 is the largest value in range; P-521 needs the long form of the DER length.
    const der = ecdsaRawToDer(Buffer.concat([good, good]), n)
    expect(der).toBeDefined()
    expect(derToRaw(der as Buffer, half).equals(Buffer.concat([good, good]))).toBe(true)
    if (bits === 521) expect(der?.subarray(0, 2).toString('hex')).toBe('3081')
  })

  it('a length other than twice the order is refused', () => {
    const n = ORDERS[256]
    expect(ecdsaRawToDer(Buffer.alloc(63, 1), n)).toBeUndefined()
    expect(ecdsaRawToDer(Buffer.alloc(65, 1), n)).toBeUndefined()
  })
})

describe('ECDSA end to end: the edge cases of R‖S verify', () => {
  /** Signs until `want(r, s)` holds (each case below is at worst about 1 in 512). */
  function grind(key: KeyObject, hash: string, want: (r: Buffer, s: Buffer) => boolean) {
    const header = Buffer.from(JSON.stringify({ alg: `ES${hash.slice(3)}` })).toString('base64url')
    for (let i = 0; i < 20_000; i++) {
      const input = `${header}.${Buffer.from(JSON.stringify(claims({ jti: String(i) }))).toString('base64url')}`
      const sig = sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      const half = sig.length / 2
      if (want(sig.subarray(0, half), sig.subarray(half)))
        return `${input}.${sig.toString('base64url')}`
    }
    throw new Error('no such signature found')
  }
  const auth256 = () => staticAuth({ signingKey: pem(EC256.publicKey) })

  it.each([
    ['r with a leading zero byte', (r: Buffer) => r[0] === 0],
    ['s with a leading zero byte', (_r: Buffer, s: Buffer) => s[0] === 0],
    [
      'r with a leading zero byte and then a high bit',
      (r: Buffer) => r[0] === 0 && (r[1] as number) >= 0x80,
    ],
    [
      'r and s with the high bit set',
      (r: Buffer, s: Buffer) => (r[0] as number) >= 0x80 && (s[0] as number) >= 0x80,
    ],
    [
      'r and s without the high bit',
      (r: Buffer, s: Buffer) => (r[0] as number) < 0x80 && (s[0] as number) < 0x80,
    ],
  ])('ES256, %s: accepted, and refused once tampered', async (_name, want) => {
    const token = grind(EC256.privateKey, 'sha256', want)
    await expect(auth256().authenticate(bearer(token))).resolves.toMatchObject({ subject: 'alice' })
    const [h, p, s] = token.split('.')
    const sig = Buffer.from(s ?? '', 'base64url')
    sig[63] = (sig[63] as number) ^ 1
    await expectAuthFailure(
      auth256().authenticate(bearer(`${h}.${p}.${sig.toString('base64url')}`)),
      'signature_invalid',
    )
  })

  it('ES512 with a zero first byte of r (P-521 R‖S: 66 bytes each, long DER length) verifies', async () => {
    const token = grind(EC521.privateKey, 'sha512', (r) => r[0] === 0)
    const auth = staticAuth({ signingKey: pem(EC521.publicKey) })
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'alice' })
  })

  it('r = n - 1 and s = n - 1 (in range, not a valid signature) → signature_invalid', async () => {
    const input = mint({ alg: 'ES256' }, claims()).slice(0, -1)
    const nm1 = fixed(big(ORDERS[256]) - 1n, 32)
    await expectAuthFailure(
      auth256().authenticate(bearer(`${input}.${Buffer.concat([nm1, nm1]).toString('base64url')}`)),
      'signature_invalid',
    )
  })
})

describe('both encodings, on every runtime: the same verdicts', () => {
  it('DER on every supported Node, decided once', () => {
    for (const v of ['20.19.0', '20.20.2', '22.23.3', '24.21.0', '25.0.0', '26.10.0']) {
      expect(ecdsaEncodingFor(v)).toBe('der')
    }
    // An unsupported (older) or unparsable version keeps node:crypto's R‖S input.
    expect(ecdsaEncodingFor('18.20.4')).toBe('ieee-p1363')
    expect(ecdsaEncodingFor('x')).toBe('ieee-p1363')
    expect(ECDSA_ENCODING).toBe('der')
  })

  for (const { bits, hash, key } of CURVES) {
    const order = ORDERS[bits]
    const half = order.length
    const input = 'eyJhbGciOiJFUyJ9.eyJzdWIiOiJhbGljZSJ9'
    const good = sign(hash, Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    const n = big(order)
    const cases: [string, Buffer, boolean][] = [
      ['a valid signature', good, true],
      ['a flipped bit', Buffer.from(good.map((b, i) => (i === half - 1 ? b ^ 1 : b))), false],
      ['r = 0', Buffer.concat([Buffer.alloc(half), good.subarray(half)]), false],
      ['s = 0', Buffer.concat([good.subarray(0, half), Buffer.alloc(half)]), false],
      ['r = n', Buffer.concat([fixed(n, half), good.subarray(half)]), false],
      ['s = n', Buffer.concat([good.subarray(0, half), fixed(n, half)]), false],
      [
        's = n + s (the same value mod n)',
        Buffer.concat([
          good.subarray(0, half),
          fixed((n + big(good.subarray(half))) % 2n ** BigInt(half * 8), half),
        ]),
        false,
      ],
      ['r = s = n - 1', Buffer.concat([fixed(n - 1n, half), fixed(n - 1n, half)]), false],
      ['one byte short', good.subarray(1), false],
    ]
    for (const encoding of ['der', 'ieee-p1363'] as const) {
      it.each(cases)(`P-${bits} via ${encoding}: %s → %s`, (_name, sig, ok) => {
        expect(verifyEcdsa(hash, order, key.publicKey, input, sig, encoding)).toBe(ok)
      })
    }
  }
})
