import { constants, createPrivateKey, verify } from 'node:crypto'
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportPKCS8,
  importSPKI,
  jwtVerify,
} from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  TEST_KEY_ALGORITHMS,
  algNoneToken,
  encodeSegment,
  generateTestKey,
  hmacSigner,
  mintRaw,
  mintToken,
  privateKeyObject,
  signerFor,
  spliceSignature,
  tamperPayload,
  withSignature,
  type TestKey,
} from '../src/index.js'

const fromB64 = (s: string) => Buffer.from(s, 'base64url')

describe('encodeSegment', () => {
  it('objects are JSON, strings exact text, bytes exact bytes; base64url without padding', () => {
    expect(fromB64(encodeSegment({ a: 1 })).toString()).toBe('{"a":1}')
    const dup = '{"alg":"RS256","alg":"none"}'
    expect(fromB64(encodeSegment(dup)).toString()).toBe(dup)
    expect(fromB64(encodeSegment('\uFEFF{"exp":1e309}'))).toEqual(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"exp":1e309}')]),
    )
    expect(fromB64(encodeSegment(new Uint8Array([0xff, 0xfe, 0x7b])))).toEqual(
      Buffer.from([0xff, 0xfe, 0x7b]),
    )
    expect(encodeSegment(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
    expect(encodeSegment('')).toBe('')
    expect(() => encodeSegment(() => 1)).toThrow(TypeError)
  })
})

describe('mintRaw and signerFor', () => {
  const keys = new Map<string, TestKey>()
  beforeAll(async () => {
    for (const alg of TEST_KEY_ALGORITHMS) keys.set(alg, await generateTestKey(alg))
  })

  it.each(TEST_KEY_ALGORITHMS)(
    '%s: a signature jose accepts, over arbitrary header and payload text',
    async (alg) => {
      const key = keys.get(alg)!
      const token = await mintRaw({
        header: `{"alg":"${alg}","kid":"${key.kid}","x":1}`,
        payload: '{"sub":"alice","sub":"mallory"}',
        sign: signerFor(key),
      })
      const { payload, protectedHeader } = await compactVerify(
        token,
        createLocalJWKSet({ keys: [key.publicJwk] }),
      )
      expect(protectedHeader).toEqual({ alg, kid: key.kid, x: 1 })
      expect(new TextDecoder().decode(payload)).toBe('{"sub":"alice","sub":"mallory"}')
    },
  )

  it('ES*: raw R‖S form by default (64 / 96 / 132 bytes); DER on request, which jose rejects', async () => {
    for (const [alg, size] of [
      ['ES256', 64],
      ['ES384', 96],
      ['ES512', 132],
    ] as const) {
      const key = keys.get(alg)!
      const token = await mintRaw({ header: { alg }, payload: { sub: 'a' }, sign: signerFor(key) })
      expect(fromB64(token.split('.')[2]!)).toHaveLength(size)
      const der = await mintRaw({
        header: { alg },
        payload: { sub: 'a' },
        sign: signerFor(key, alg, { dsaEncoding: 'der' }),
      })
      expect(fromB64(der.split('.')[2]!)[0]).toBe(0x30) // ASN.1 SEQUENCE
      const [h, p, s] = der.split('.') as [string, string, string]
      expect(
        verify(`sha${alg.slice(2)}`, Buffer.from(`${h}.${p}`), key.publicKeyPem, fromB64(s)),
      ).toBe(true)
      await expect(compactVerify(der, await importSPKI(key.publicKeyPem, alg))).rejects.toThrow()
    }
  })

  it('PS*: salt = hash length (jose accepts); another salt length verifies with node:crypto only', async () => {
    const key = keys.get('PS384')!
    const good = await mintRaw({ header: { alg: 'PS384' }, payload: {}, sign: signerFor(key) })
    await expect(
      compactVerify(good, await importSPKI(key.publicKeyPem, 'PS384')),
    ).resolves.toBeDefined()
    const zeroSalt = await mintRaw({
      header: { alg: 'PS384' },
      payload: {},
      sign: signerFor(key, 'PS384', { saltLength: 0 }),
    })
    await expect(
      compactVerify(zeroSalt, await importSPKI(key.publicKeyPem, 'PS384')),
    ).rejects.toThrow()
    const [h, p, s] = zeroSalt.split('.') as [string, string, string]
    expect(
      verify(
        'sha384',
        Buffer.from(`${h}.${p}`),
        { key: key.publicKeyPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 },
        fromB64(s),
      ),
    ).toBe(true)
  })

  it('signs any algorithm of the key family (RS256 key → PS512; Ed25519 as alg name); refuses others', async () => {
    const rsa = keys.get('RS256')!
    const token = await mintRaw({
      header: { alg: 'PS512' },
      payload: {},
      sign: signerFor(rsa, 'PS512'),
    })
    await expect(
      compactVerify(token, await importSPKI(rsa.publicKeyPem, 'PS512')),
    ).resolves.toBeDefined()
    const ed = keys.get('EdDSA')!
    const edToken = await mintRaw({
      header: { alg: 'Ed25519' },
      payload: {},
      sign: signerFor(ed, 'Ed25519'),
    })
    await expect(
      compactVerify(edToken, await importSPKI(ed.publicKeyPem, 'Ed25519')),
    ).resolves.toBeDefined()
    await expect(
      mintRaw({ header: {}, payload: {}, sign: signerFor(rsa, 'ES256') }),
    ).rejects.toThrow(TypeError)
    expect(() => signerFor(rsa, 'HS256')).toThrow(TypeError)
    expect(() => signerFor(rsa, 'none')).toThrow(TypeError)
  })

  it('accepts a KeyObject (alg required) and exposes the private KeyObject of a test key', async () => {
    const key = keys.get('ES256')!
    const keyObject = await privateKeyObject(key)
    expect(keyObject).toBe(await privateKeyObject(key))
    expect(keyObject.asymmetricKeyType).toBe('ec')
    const fromPem = createPrivateKey(await exportPKCS8(key.privateKey))
    const token = await mintRaw({
      header: { alg: 'ES256' },
      payload: { a: 1 },
      sign: signerFor(fromPem, 'ES256'),
    })
    await expect(
      compactVerify(token, await importSPKI(key.publicKeyPem, 'ES256')),
    ).resolves.toBeDefined()
    expect(() => signerFor(fromPem)).toThrow(TypeError)
  })

  it('signature verbatim, default empty; sign and signature together are refused', async () => {
    expect(await mintRaw({ header: { alg: 'none' }, payload: { a: 1 } })).toMatch(
      /^[\w-]+\.[\w-]+\.$/,
    )
    expect(await mintRaw({ header: 'h', payload: 'p', signature: 'not base64!' })).toBe(
      `${encodeSegment('h')}.${encodeSegment('p')}.not base64!`,
    )
    await expect(
      mintRaw({ header: {}, payload: {}, signature: 'x', sign: () => new Uint8Array() }),
    ).rejects.toThrow(TypeError)
  })
})

describe('hmacSigner', () => {
  it('HMAC over the exact signing input, keyed with bytes or text (e.g. a PEM)', async () => {
    const key = await generateTestKey('RS256')
    const forged = await mintRaw({
      header: { alg: 'HS256', typ: 'JWT', kid: key.kid },
      payload: { sub: 'admin' },
      sign: hmacSigner(key.publicKeyPem, 'sha256'),
    })
    await expect(
      jwtVerify(forged, new TextEncoder().encode(key.publicKeyPem)),
    ).resolves.toBeDefined()
    const secret = new Uint8Array(64).fill(7)
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      const token = await mintRaw({
        header: { alg },
        payload: { a: 1 },
        sign: hmacSigner(secret, hash),
      })
      await expect(compactVerify(token, secret)).resolves.toBeDefined()
      expect(token).toBe(
        await mintToken({
          key: secret,
          alg,
          kid: null,
          header: { typ: undefined },
          claims: { a: 1, iat: undefined, exp: undefined },
        }),
      )
    }
  })
})

describe('broken-token helpers', () => {
  let key: TestKey
  let token: string
  beforeAll(async () => {
    key = await generateTestKey('ES256')
    token = await mintToken({ key, claims: { sub: 'bob' } })
  })

  it('tamperPayload keeps header and signature; the token no longer verifies', async () => {
    const tampered = tamperPayload(token, { sub: 'admin' })
    const [h, , s] = token.split('.')
    expect(tampered.split('.')[0]).toBe(h)
    expect(tampered.split('.')[2]).toBe(s)
    expect(decodeJwt(tampered)).toEqual({ sub: 'admin' })
    await expect(
      jwtVerify(tampered, createLocalJWKSet({ keys: [key.publicJwk] })),
    ).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
    expect(() => tamperPayload('a.b', {})).toThrow(TypeError)
  })

  it('algNoneToken: alg spelling, extra header members, empty signature', () => {
    const none = algNoneToken({ sub: 'admin' })
    expect(none.endsWith('.')).toBe(true)
    expect(decodeProtectedHeader(none)).toEqual({ alg: 'none', typ: 'JWT' })
    expect(decodeProtectedHeader(algNoneToken({}, 'nOnE', { kid: key.kid }))).toEqual({
      alg: 'nOnE',
      typ: 'JWT',
      kid: key.kid,
    })
    expect(decodeJwt(none)).toEqual({ sub: 'admin' })
  })

  it('withSignature and spliceSignature', async () => {
    expect(withSignature(token, '')).toBe(token.slice(0, token.lastIndexOf('.') + 1))
    const other = await mintToken({ key, claims: { sub: 'eve' } })
    const spliced = spliceSignature(other, token)
    expect(spliced.split('.').slice(0, 2)).toEqual(other.split('.').slice(0, 2))
    expect(spliced.split('.')[2]).toBe(token.split('.')[2])
    await expect(jwtVerify(spliced, createLocalJWKSet({ keys: [key.publicJwk] }))).rejects.toThrow()
  })
})
