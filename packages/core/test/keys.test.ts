import { createSecretKey, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, createStaticAuthenticator, fromAiven } from '../src/index.js'
import {
  bearer,
  claims,
  der64,
  EC256,
  ED,
  expectAuthFailure,
  hs,
  joseToken,
  mint,
  pem,
  RSA,
  RSA_OTHER,
  SECRET,
  SECRET_B64,
  signer,
  staticAuth,
} from './helpers.js'

const rsToken = (): string => mint({ alg: 'RS256' }, claims(), signer('RS256', RSA.privateKey))

function expectKeyConfigError(signingKey: unknown, key = 'signingKey'): ConfigError {
  let caught: unknown
  try {
    createStaticAuthenticator({ signingKey: signingKey as string })
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect((caught as ConfigError).key).toBe(key)
  return caught as ConfigError
}

/** A self-signed certificate for RSA, made with the openssl CLI (test-only). */
function selfSignedCert(): { certPem: string; privateKeyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jwtgate-cert-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=jwtgate-test',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  )
  return {
    certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    privateKeyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
  }
}

describe('signing key forms', () => {
  it('base64 HMAC secret (with and without padding, with line breaks)', async () => {
    const token = mint({ alg: 'HS256' }, claims(), hs(SECRET))
    for (const key of [
      SECRET_B64,
      SECRET_B64.replace(/=+$/, ''),
      SECRET_B64.replace(/(.{10})/g, '$1\n'),
    ]) {
      await expect(
        staticAuth({ signingKey: key }).authenticate(bearer(token)),
      ).resolves.toMatchObject({
        subject: 'alice',
      })
    }
  })

  it('PEM SPKI public key, also with CRLF line endings and surrounding text', async () => {
    const text = pem(RSA.publicKey)
    for (const key of [
      text,
      text.replace(/\n/g, '\r\n'),
      `Our IdP key:\n${text}\nend of file\n`,
      `\uFEFF${text}`,
    ]) {
      await expect(
        staticAuth({ signingKey: key }).authenticate(bearer(rsToken())),
      ).resolves.toBeDefined()
    }
  })

  it('PEM PKCS#1 RSA PUBLIC KEY', async () => {
    const pkcs1 = RSA.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()
    expect(pkcs1).toContain('BEGIN RSA PUBLIC KEY')
    await expect(
      staticAuth({ signingKey: pkcs1 }).authenticate(bearer(rsToken())),
    ).resolves.toBeDefined()
  })

  it('base64 DER SPKI without PEM armour', async () => {
    await expect(
      staticAuth({ signingKey: der64(RSA.publicKey) }).authenticate(bearer(rsToken())),
    ).resolves.toBeDefined()
  })

  it('PEM X.509 certificate (its public key is used), and base64 DER of it', async () => {
    const { certPem, privateKeyPem } = selfSignedCert()
    const { createPrivateKey } = await import('node:crypto')
    const token = mint({ alg: 'RS256' }, claims(), signer('RS256', createPrivateKey(privateKeyPem)))
    await expect(
      staticAuth({ signingKey: certPem }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
    const der = new X509Certificate(certPem).raw.toString('base64')
    await expect(staticAuth({ signingKey: der }).authenticate(bearer(token))).resolves.toBeDefined()
  })

  it('a KeyObject (public or secret) through the typed API', async () => {
    await expect(
      staticAuth({ signingKey: RSA.publicKey }).authenticate(bearer(rsToken())),
    ).resolves.toBeDefined()
    const token = mint({ alg: 'HS256' }, claims(), hs(SECRET))
    await expect(
      staticAuth({ signingKey: createSecretKey(SECRET) }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
  })

  it('a list of keys: any may verify, each only with its own algorithms (SEC-037)', async () => {
    const auth = staticAuth({ signingKey: [SECRET_B64, pem(RSA.publicKey)] })
    await expect(
      auth.authenticate(bearer(mint({ alg: 'HS256' }, claims(), hs(SECRET)))),
    ).resolves.toBeDefined()
    await expect(auth.authenticate(bearer(rsToken()))).resolves.toBeDefined()
    // HMAC keyed with the configured PEM text: HS256 is allowed (the secret), but only S is tried.
    await expectAuthFailure(
      auth.authenticate(bearer(mint({ alg: 'HS256' }, claims(), hs(pem(RSA.publicKey))))),
      'signature_invalid',
    )
    await expectAuthFailure(
      auth.authenticate(
        bearer(mint({ alg: 'RS256' }, claims(), signer('RS256', RSA_OTHER.privateKey))),
      ),
      'signature_invalid',
    )
  })

  it('many keys: the token signed by the last of five RSA keys verifies (at most 4 tried per alg)', async () => {
    const keys = Array.from({ length: 3 }, () =>
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    )
    const auth = staticAuth({
      signingKey: [...keys.map((k) => pem(k.publicKey)), pem(RSA.publicKey)],
    })
    await expect(auth.authenticate(bearer(rsToken()))).resolves.toBeDefined()
  })
})

describe('signing key errors are ConfigErrors naming the key', () => {
  it('an HMAC secret under 32 bytes (SEC-032)', () => {
    for (const n of [1, 16, 31]) expectKeyConfigError(Buffer.alloc(n, 1).toString('base64'))
  })

  it('text that is neither PEM nor standard base64 (SEC-033)', () => {
    for (const key of ['not base64!!', SECRET.toString('base64url') + '-_', 'abc def', 'QUJD=A']) {
      expectKeyConfigError(key)
    }
  })

  it('an RSA key under 2048 bits (SEC-036)', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
    expect(expectKeyConfigError(pem(small.publicKey)).message).toMatch(/2048/)
  })

  it('a private key in PEM or DER (SEC-031)', () => {
    expectKeyConfigError(RSA.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
    expectKeyConfigError(RSA.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())
    expectKeyConfigError(EC256.privateKey.export({ type: 'sec1', format: 'pem' }).toString())
    expectKeyConfigError(RSA.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'))
    expectKeyConfigError(RSA.privateKey)
  })

  it('unsupported key types: Ed448, X25519, DSA, secp256k1, P-224 (SEC-029), never an HMAC fallback', () => {
    const keys = [
      generateKeyPairSync('ed448').publicKey,
      generateKeyPairSync('x25519').publicKey,
      generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'P-224' }).publicKey,
    ]
    for (const k of keys) {
      expectKeyConfigError(pem(k))
      expectKeyConfigError(der64(k))
    }
  })

  it('an RSA-PSS-restricted key', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
    expectKeyConfigError(pem(pss.publicKey))
  })

  it('truncated or corrupt DER is key material that must parse (SEC-030)', () => {
    const der = RSA.publicKey.export({ type: 'spki', format: 'der' })
    const corrupt = Buffer.from(der)
    corrupt[8] = (corrupt[8] ?? 0) ^ 0xff // inside the algorithm OID
    expectKeyConfigError(corrupt.toString('base64'))
    // A truncated public key is still key material: never an HMAC secret, which anyone
    // holding the public key could forge with.
    expectKeyConfigError(der.subarray(0, der.length - 10).toString('base64'))
    expectKeyConfigError(der.subarray(0, 40).toString('base64'))
    const ec = EC256.publicKey.export({ type: 'spki', format: 'der' })
    expectKeyConfigError(ec.subarray(0, ec.length - 1).toString('base64'))
  })

  it('PEM with two blocks, an unknown block type, or a broken body', () => {
    expectKeyConfigError(pem(RSA.publicKey) + pem(EC256.publicKey))
    expectKeyConfigError('-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n')
    expectKeyConfigError('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')
    expectKeyConfigError('-----BEGIN PUBLIC KEY-----\nAAAA')
  })

  it('a PEM whose line breaks are literal \\n sequences (an environment-variable accident) says so', () => {
    const escaped = pem(RSA.publicKey).replace(/\n/g, '\\n')
    expect(escaped).toContain('\\n')
    expect(escaped).not.toContain('\n')
    const err = expectKeyConfigError(escaped)
    expect(err.message).toContain('contains literal \\n sequences')
    expect(err.message).toContain('"signingKey"')
    // CRLF escaped the same way, and an entry of a list is named.
    const crlf = pem(EC256.publicKey).replace(/\n/g, '\\r\\n')
    expect(expectKeyConfigError([SECRET_B64, crlf], 'signingKey[1]').message).toContain(
      'contains literal \\n sequences',
    )
  })

  it('names the entry of a list', () => {
    expectKeyConfigError([SECRET_B64, 'tooshort'], 'signingKey[1]')
  })

  it('is required, and createStaticAuthenticator refuses JWKS and disabled configs', () => {
    expect(() => createStaticAuthenticator({})).toThrow(ConfigError)
    expect(() => createStaticAuthenticator({ jwksUri: 'https://idp.example/jwks' })).toThrow(
      /createAuthenticator/,
    )
    expect(() => createStaticAuthenticator(fromAiven({ 'jwt.enabled': false }))).toThrow(
      ConfigError,
    )
  })

  it('never puts key material in the message', () => {
    const err = expectKeyConfigError('-----BEGIN FOO-----\nSECRETSTUFF\n-----END FOO-----\n')
    expect(err.message).not.toContain('SECRETSTUFF')
  })
})

describe('joseToken helper interoperability', () => {
  it('Ed25519 tokens minted by jose verify', async () => {
    const token = await joseToken('EdDSA', ED.privateKey)
    await expect(
      staticAuth({ signingKey: pem(ED.publicKey) }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
  })
})

describe('a static list of keys', () => {
  it('any key may verify, however many share the algorithm (not capped like a remote set)', async () => {
    const pairs = Array.from({ length: 6 }, () =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    )
    const auth = staticAuth({ signingKey: pairs.map((p) => pem(p.publicKey)) })
    for (const p of pairs) {
      const principal = await auth.authenticate(bearer(await joseToken('ES256', p.privateKey)))
      expect(principal.subject).toBe('alice')
    }
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await expectAuthFailure(
      auth.authenticate(bearer(await joseToken('ES256', stranger.privateKey))),
      'signature_invalid',
    )
  })
})
