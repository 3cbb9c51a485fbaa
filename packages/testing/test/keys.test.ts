import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  TEST_KEY_ALGORITHMS,
  generateTestKey,
  isTestKey,
  mintToken,
  type TestKey,
  type TestKeyAlgorithm,
} from '../src/index.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

describe('generateTestKey', () => {
  it.each(TEST_KEY_ALGORITHMS)(
    '%s: key pair, public JWK, PEM; mintToken output verifies',
    async (alg) => {
      const key = await generateTestKey(alg)
      expect(key.alg).toBe(alg)
      expect(key.kid).toMatch(new RegExp(`^${alg.toLowerCase()}-[0-9a-f]{8}$`))
      expect(key.publicJwk).toMatchObject({ kid: key.kid, alg, use: 'sig' })
      for (const member of PRIVATE_MEMBERS) expect(key.publicJwk).not.toHaveProperty(member)
      expect(
        Object.keys(key.publicJwk).every((m) =>
          ['kid', 'alg', 'use', 'kty', 'crv', 'x', 'y', 'n', 'e'].includes(m),
        ),
      ).toBe(true)
      expect(key.publicKeyPem).toMatch(
        /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n?$/,
      )
      expect(key.privateKey.type).toBe('private')
      expect(key.privateKey.extractable).toBe(true)
      expect(isTestKey(key)).toBe(true)

      const token = await mintToken({ key, claims: { sub: 'alice' } })
      const jwks = createLocalJWKSet({ keys: [key.publicJwk] })
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { algorithms: [alg] })
      expect(protectedHeader).toEqual({ alg, kid: key.kid, typ: 'JWT' })
      expect(payload.sub).toBe('alice')
      // The PEM is the same public key.
      await expect(jwtVerify(token, await importSPKI(key.publicKeyPem, alg))).resolves.toBeDefined()
    },
  )

  it('key types match the algorithm (EdDSA → Ed25519, ES384 → P-384, RSA 2048 bits)', async () => {
    const ed = await generateTestKey('EdDSA')
    expect(ed.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' })
    const ec = await generateTestKey('ES384')
    expect(ec.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-384' })
    const rsa = await generateTestKey('PS256', { kid: 'mine' })
    expect(rsa.kid).toBe('mine')
    expect(rsa.publicJwk.kty).toBe('RSA')
    expect(createPublicKey(rsa.publicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048)
  })

  it('honours modulusLength, including weak keys under 2048 bits (signed through node:crypto)', async () => {
    const big = await generateTestKey('RS256', { modulusLength: 3072 })
    expect(createPublicKey(big.publicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(3072)
    const weak = await generateTestKey('RS256', { modulusLength: 1024 })
    expect(createPublicKey(weak.publicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(1024)
    const token = await mintToken({ key: weak, claims: { sub: 'w' } })
    const [h, p, s] = token.split('.') as [string, string, string]
    expect(
      verify('sha256', Buffer.from(`${h}.${p}`), weak.publicKeyPem, Buffer.from(s, 'base64url')),
    ).toBe(true)
    // jose itself refuses such a key.
    await expect(jwtVerify(token, await importSPKI(weak.publicKeyPem, 'RS256'))).rejects.toThrow()
  })

  it('rejects an unsupported algorithm', async () => {
    await expect(generateTestKey('HS256' as TestKeyAlgorithm)).rejects.toThrow(TypeError)
    expect(isTestKey({ kid: 'x' })).toBe(false)
  })
})

describe('mintToken', () => {
  let key: TestKey
  const now = 1_700_000_000
  beforeAll(async () => {
    key = await generateTestKey('ES256', { kid: 'k1' })
  })

  it('defaults: typ JWT, kid, iat = now, exp = now + 300', async () => {
    const token = await mintToken({ key, now, claims: { sub: 'a' } })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'JWT' })
    expect(decodeJwt(token)).toEqual({ sub: 'a', iat: now, exp: now + 300 })
  })

  it('expiresIn, expiresIn: null, explicit claims override defaults, undefined removes', async () => {
    expect(decodeJwt(await mintToken({ key, now, expiresIn: 10 })).exp).toBe(now + 10)
    expect(decodeJwt(await mintToken({ key, now, expiresIn: null }))).toEqual({ iat: now })
    expect(
      decodeJwt(await mintToken({ key, now, claims: { exp: 5, iat: 'x', nbf: now } })),
    ).toEqual({
      exp: 5,
      iat: 'x',
      nbf: now,
    })
    expect(
      decodeJwt(
        await mintToken({ key, now, claims: { iat: undefined, exp: undefined, sub: 's' } }),
      ),
    ).toEqual({
      sub: 's',
    })
  })

  it('kid: null leaves the kid out; kid and header override; undefined header members are removed', async () => {
    expect(decodeProtectedHeader(await mintToken({ key, kid: null }))).toEqual({
      alg: 'ES256',
      typ: 'JWT',
    })
    expect(decodeProtectedHeader(await mintToken({ key, kid: 'other' })).kid).toBe('other')
    const header = decodeProtectedHeader(
      await mintToken({
        key,
        header: { typ: undefined, cty: 'x', jku: 'https://evil.example/jwks' },
      }),
    )
    expect(header).toEqual({ alg: 'ES256', kid: 'k1', cty: 'x', jku: 'https://evil.example/jwks' })
  })

  it('a default token verifies now, and its claims are checked by jose', async () => {
    const token = await mintToken({ key, claims: { sub: 'a', aud: 'api', iss: 'me' } })
    const jwks = createLocalJWKSet({ keys: [key.publicJwk] })
    await expect(jwtVerify(token, jwks, { audience: 'api', issuer: 'me' })).resolves.toBeDefined()
    const expired = await mintToken({ key, now: now - 1000 })
    await expect(jwtVerify(expired, jwks)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })

  it('HMAC secret bytes → HS256 by default, HS512 when asked', async () => {
    const secret = new TextEncoder().encode('s'.repeat(64))
    const hs256 = await mintToken({ key: secret, claims: { sub: 'h' } })
    expect(decodeProtectedHeader(hs256)).toEqual({ alg: 'HS256', typ: 'JWT' })
    await expect(jwtVerify(hs256, secret)).resolves.toBeDefined()
    const hs512 = await mintToken({ key: secret, alg: 'HS512', kid: 'h' })
    expect(decodeProtectedHeader(hs512)).toMatchObject({ alg: 'HS512', kid: 'h' })
    await expect(jwtVerify(hs512, secret)).resolves.toBeDefined()
  })

  it('a test key signs another algorithm of its family (RS256 key → PS384)', async () => {
    const rsa = await generateTestKey('RS256')
    const token = await mintToken({ key: rsa, alg: 'PS384' })
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'PS384', kid: rsa.kid })
    await expect(
      jwtVerify(token, await importSPKI(rsa.publicKeyPem, 'PS384')),
    ).resolves.toBeDefined()
    // header.alg decides the signing algorithm too
    const viaHeader = await mintToken({ key: rsa, header: { alg: 'RS512' } })
    await expect(
      jwtVerify(viaHeader, await importSPKI(rsa.publicKeyPem, 'RS512')),
    ).resolves.toBeDefined()
    await expect(mintToken({ key: rsa, alg: 'ES256' })).rejects.toThrow()
  })

  it('infers alg from a CryptoKey or KeyObject', async () => {
    const ec = await generateTestKey('ES512')
    expect(decodeProtectedHeader(await mintToken({ key: ec.privateKey })).alg).toBe('ES512')
    const ed = await generateTestKey('EdDSA')
    expect(decodeProtectedHeader(await mintToken({ key: ed.privateKey })).alg).toBe('EdDSA')
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const token = await mintToken({ key: privateKey, kid: 'node' })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES384', kid: 'node', typ: 'JWT' })
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    expect(decodeProtectedHeader(await mintToken({ key: rsa.privateKey })).alg).toBe('RS256')
    const pem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' })
    expect(
      decodeProtectedHeader(await mintToken({ key: createPrivateKey(pem), alg: 'PS512' })).alg,
    ).toBe('PS512')
  })
})
