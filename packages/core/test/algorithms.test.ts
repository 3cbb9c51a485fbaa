import { constants, createHmac, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/index.js'
import {
  bearer,
  claims,
  der64,
  EC256,
  EC384,
  EC521,
  ED,
  expectAuthFailure,
  hs,
  joseToken,
  mint,
  pem,
  RSA,
  SECRET,
  SECRET64,
  SECRET_B64,
  signer,
  staticAuth,
} from './helpers.js'

const P256_ORDER = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
)

describe('every algorithm verifies with a token minted by jose', () => {
  const cases = [
    ['HS256', SECRET, SECRET_B64],
    ['HS384', SECRET64, SECRET64.toString('base64')],
    ['HS512', SECRET64, SECRET64.toString('base64')],
    ['RS256', RSA.privateKey, pem(RSA.publicKey)],
    ['RS384', RSA.privateKey, pem(RSA.publicKey)],
    ['RS512', RSA.privateKey, pem(RSA.publicKey)],
    ['PS256', RSA.privateKey, pem(RSA.publicKey)],
    ['PS384', RSA.privateKey, pem(RSA.publicKey)],
    ['PS512', RSA.privateKey, pem(RSA.publicKey)],
    ['ES256', EC256.privateKey, pem(EC256.publicKey)],
    ['ES384', EC384.privateKey, pem(EC384.publicKey)],
    ['ES512', EC521.privateKey, pem(EC521.publicKey)],
    ['EdDSA', ED.privateKey, pem(ED.publicKey)],
  ] as const
  it.each(cases)('%s', async (alg, privateKey, signingKey) => {
    const token = await joseToken(alg, privateKey)
    const principal = await staticAuth({ signingKey }).authenticate(bearer(token))
    expect(principal.header.alg).toBe(alg)
    expect(principal.subject).toBe('alice')
  })

  it('Ed25519 (RFC 9864 fully-specified name) verifies with an Ed25519 key', async () => {
    const token = mint({ alg: 'Ed25519' }, claims(), signer('Ed25519', ED.privateKey))
    await expect(
      staticAuth({ signingKey: pem(ED.publicKey) }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
  })
})

describe('allow-list inferred from the keys and narrowed by `algorithms`', () => {
  it('a 32-byte secret verifies HS256 only; HS384/HS512 are not allowed (SEC-032)', async () => {
    const auth = staticAuth({ signingKey: SECRET_B64 })
    await expectAuthFailure(
      auth.authenticate(bearer(mint({ alg: 'HS384' }, claims(), hs(SECRET, 'sha384')))),
      'alg_not_allowed',
    )
    await expectAuthFailure(
      auth.authenticate(bearer(mint({ alg: 'HS512' }, claims(), hs(SECRET, 'sha512')))),
      'alg_not_allowed',
    )
  })

  it('`algorithms` narrows: RS256 only rejects a valid PS256 and RS512 token (SEC-021)', async () => {
    const auth = staticAuth({ signingKey: pem(RSA.publicKey), algorithms: ['RS256'] })
    for (const alg of ['PS256', 'RS512']) {
      await expectAuthFailure(
        auth.authenticate(bearer(await joseToken(alg, RSA.privateKey))),
        'alg_not_allowed',
      )
    }
    await expect(
      auth.authenticate(bearer(await joseToken('RS256', RSA.privateKey))),
    ).resolves.toBeDefined()
  })

  it('naming an algorithm no key can verify is a ConfigError (SEC-035)', () => {
    expect(() => staticAuth({ signingKey: pem(RSA.publicKey), algorithms: ['HS256'] })).toThrow(
      ConfigError,
    )
    expect(() => staticAuth({ signingKey: SECRET_B64, algorithms: ['HS512'] })).toThrow(
      /algorithms\[0\]/,
    )
  })

  it.each([
    'HS257',
    'ES256K',
    'RS1',
    'ML-DSA-44',
    'Ed448',
    'hs256',
    'Hs256',
    'HS256 ',
    ' HS256',
    'HS256\u0000',
  ])('unknown or mis-cased alg %j → alg_not_allowed (SEC-018, SEC-020)', async (alg) => {
    const token = mint({ alg }, claims(), hs(SECRET))
    await expectAuthFailure(
      staticAuth({ signingKey: SECRET_B64 }).authenticate(bearer(token)),
      'alg_not_allowed',
    )
  })

  it('a JSON-escaped alg decodes to HS256 and is accepted (SEC-018)', async () => {
    const token = mint('{"alg":"H\\u0053256"}', claims(), hs(SECRET))
    await expect(
      staticAuth({ signingKey: SECRET_B64 }).authenticate(bearer(token)),
    ).resolves.toBeDefined()
  })
})

describe('alg none is never accepted (SEC-017)', () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    it(`${alg}, empty and non-empty signature, with HMAC and RSA keys`, async () => {
      for (const signingKey of [SECRET_B64, pem(RSA.publicKey)]) {
        const auth = staticAuth({ signingKey })
        await expectAuthFailure(
          auth.authenticate(bearer(mint({ alg }, claims()))),
          'alg_not_allowed',
        )
        await expectAuthFailure(
          auth.authenticate(bearer(mint({ alg }, claims(), hs(SECRET)))),
          'alg_not_allowed',
        )
      }
    })
  }
})

describe('algorithm confusion: a public key is never an HMAC secret (SEC-026, SEC-027)', () => {
  const rsaPem = pem(RSA.publicKey)
  const variants: [string, string | Buffer][] = [
    ['PEM text', rsaPem],
    ['PEM with CRLF', rsaPem.replace(/\n/g, '\r\n')],
    ['PEM without final newline', rsaPem.trimEnd()],
    ['PKCS#1 PEM', RSA.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['DER bytes', RSA.publicKey.export({ type: 'spki', format: 'der' })],
    ['base64 DER', der64(RSA.publicKey)],
    ['JWK JSON', JSON.stringify(RSA.publicKey.export({ format: 'jwk' }))],
    ['raw n', String(RSA.publicKey.export({ format: 'jwk' }).n)],
  ]
  for (const configured of [
    rsaPem,
    der64(RSA.publicKey),
    RSA.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  ]) {
    it.each(variants)(
      `HS256 keyed with the RSA key's %s → alg_not_allowed`,
      async (_name, macKey) => {
        const auth = staticAuth({ signingKey: configured })
        for (const [alg, hash] of [
          ['HS256', 'sha256'],
          ['HS384', 'sha384'],
          ['HS512', 'sha512'],
        ] as const) {
          const token = mint({ alg }, claims(), (i) => createHmac(hash, macKey).update(i).digest())
          await expectAuthFailure(auth.authenticate(bearer(token)), 'alg_not_allowed')
        }
      },
    )
  }

  it.each([
    ['EC', EC256.publicKey],
    ['Ed25519', ED.publicKey],
  ] as const)(
    'HS256 keyed with the %s public key (PEM, DER, JWK) → alg_not_allowed',
    async (_n, key) => {
      const auth = staticAuth({ signingKey: pem(key) })
      for (const macKey of [
        pem(key),
        key.export({ type: 'spki', format: 'der' }),
        JSON.stringify(key.export({ format: 'jwk' })),
      ]) {
        await expectAuthFailure(
          auth.authenticate(bearer(mint({ alg: 'HS256' }, claims(), hs(macKey)))),
          'alg_not_allowed',
        )
      }
    },
  )

  it('PEM decorated with a comment line is still a public key, never a secret (SEC-028)', async () => {
    const decorated = `# issued by our IdP\n  ${pem(RSA.publicKey)}`
    const auth = staticAuth({ signingKey: decorated })
    await expectAuthFailure(
      auth.authenticate(bearer(mint({ alg: 'HS256' }, claims(), hs(decorated)))),
      'alg_not_allowed',
    )
  })
})

describe('family and curve binding (SEC-022, SEC-023)', () => {
  it.each([
    ['RS256 token, EC key', 'RS256', RSA.privateKey, EC256.publicKey],
    ['ES256 token, RSA key', 'ES256', EC256.privateKey, RSA.publicKey],
    ['EdDSA token, EC key', 'EdDSA', ED.privateKey, EC256.publicKey],
    ['ES256 token, Ed25519 key', 'ES256', EC256.privateKey, ED.publicKey],
    ['ES384 token, P-256 key', 'ES384', EC384.privateKey, EC256.publicKey],
    ['ES256 token, P-384 key', 'ES256', EC256.privateKey, EC384.publicKey],
  ] as const)('%s → alg_not_allowed', async (_name, alg, privateKey, publicKey) => {
    const token = mint({ alg }, claims(), signer(alg, privateKey))
    await expectAuthFailure(
      staticAuth({ signingKey: pem(publicKey) }).authenticate(bearer(token)),
      'alg_not_allowed',
    )
  })

  it('a P-256 signature over SHA-384 under an ES384 header with a P-256 key → alg_not_allowed', async () => {
    const token = mint({ alg: 'ES384' }, claims(), (i) =>
      sign('sha384', Buffer.from(i), { key: EC256.privateKey, dsaEncoding: 'ieee-p1363' }),
    )
    await expectAuthFailure(
      staticAuth({ signingKey: pem(EC256.publicKey) }).authenticate(bearer(token)),
      'alg_not_allowed',
    )
  })
})

describe('signature checks (SEC-039..049)', () => {
  const ecAuth = () => staticAuth({ signingKey: pem(EC256.publicKey) })
  const ecInput = () =>
    `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`
  const withSig = (input: string, sig: Buffer) => `${input}.${sig.toString('base64url')}`

  it('tampered payload → signature_invalid', async () => {
    const [h, , s] = mint({ alg: 'HS256' }, claims(), hs(SECRET)).split('.')
    const forged = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}.${s}`
    await expectAuthFailure(
      staticAuth({ signingKey: SECRET_B64 }).authenticate(bearer(forged)),
      'signature_invalid',
    )
  })

  it('signature spliced from another token → signature_invalid', async () => {
    const a = mint({ alg: 'HS256' }, claims(), hs(SECRET))
    const b = mint({ alg: 'HS256' }, claims({ sub: 'admin' }), hs(SECRET))
    const spliced = `${b.split('.').slice(0, 2).join('.')}.${a.split('.')[2]}`
    await expectAuthFailure(
      staticAuth({ signingKey: SECRET_B64 }).authenticate(bearer(spliced)),
      'signature_invalid',
    )
  })

  it.each([
    ['HS256', SECRET_B64],
    ['RS256', pem(RSA.publicKey)],
    ['ES256', pem(EC256.publicKey)],
    ['EdDSA', pem(ED.publicKey)],
  ])('empty signature with alg %s → signature_invalid (SEC-041)', async (alg, signingKey) => {
    await expectAuthFailure(
      staticAuth({ signingKey }).authenticate(bearer(mint({ alg }, claims()))),
      'signature_invalid',
    )
  })

  it('HMAC signatures of the wrong length → signature_invalid (SEC-042)', async () => {
    const token = mint({ alg: 'HS256' }, claims(), hs(SECRET))
    const [h, p, s] = token.split('.')
    const mac = Buffer.from(s ?? '', 'base64url')
    const auth = staticAuth({ signingKey: SECRET_B64 })
    for (const sig of [
      mac.subarray(0, 31),
      Buffer.concat([mac, Buffer.alloc(1)]),
      Buffer.concat([mac, mac]),
    ]) {
      await expectAuthFailure(
        auth.authenticate(bearer(`${h}.${p}.${sig.toString('base64url')}`)),
        'signature_invalid',
      )
    }
    const hs384UnderHs256 = mint({ alg: 'HS256' }, claims(), hs(SECRET, 'sha384'))
    await expectAuthFailure(auth.authenticate(bearer(hs384UnderHs256)), 'signature_invalid')
  })

  it('psychic ECDSA signatures: r = s = 0, r = s = n, r = 0, s = 0, all-ones (SEC-043)', async () => {
    const input = ecInput()
    const valid = sign('sha256', Buffer.from(input), {
      key: EC256.privateKey,
      dsaEncoding: 'ieee-p1363',
    })
    const r = valid.subarray(0, 32)
    const s = valid.subarray(32)
    const zero = Buffer.alloc(32)
    const ones = Buffer.alloc(32, 0xff)
    for (const sig of [
      Buffer.alloc(64),
      Buffer.concat([P256_ORDER, P256_ORDER]),
      Buffer.concat([zero, s]),
      Buffer.concat([r, zero]),
      Buffer.concat([ones, ones]),
    ]) {
      await expectAuthFailure(
        ecAuth().authenticate(bearer(withSig(input, sig))),
        'signature_invalid',
      )
    }
  })

  it('ECDSA: DER-encoded signatures and wrong lengths are rejected (SEC-044)', async () => {
    const input = ecInput()
    const derSig = sign('sha256', Buffer.from(input), EC256.privateKey)
    const raw = sign('sha256', Buffer.from(input), {
      key: EC256.privateKey,
      dsaEncoding: 'ieee-p1363',
    })
    for (const sig of [derSig, raw.subarray(0, 63), Buffer.concat([raw, Buffer.alloc(1)])]) {
      await expectAuthFailure(
        ecAuth().authenticate(bearer(withSig(input, sig))),
        'signature_invalid',
      )
    }
  })

  it('ECDSA high-S twin is a valid signature and is accepted (SEC-045, agrees with jose)', async () => {
    const input = ecInput()
    const raw = sign('sha256', Buffer.from(input), {
      key: EC256.privateKey,
      dsaEncoding: 'ieee-p1363',
    })
    const n = BigInt(`0x${P256_ORDER.toString('hex')}`)
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`)
    const highS = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')
    await expect(
      ecAuth().authenticate(bearer(withSig(input, Buffer.concat([raw.subarray(0, 32), highS])))),
    ).resolves.toBeDefined()
  })

  it('RSA signature with a byte removed or added → signature_invalid (SEC-046)', async () => {
    const token = mint({ alg: 'RS256' }, claims(), signer('RS256', RSA.privateKey))
    const [h, p, s] = token.split('.')
    const sig = Buffer.from(s ?? '', 'base64url')
    const auth = staticAuth({ signingKey: pem(RSA.publicKey) })
    for (const bad of [sig.subarray(1), Buffer.concat([Buffer.alloc(1), sig])]) {
      await expectAuthFailure(
        auth.authenticate(bearer(`${h}.${p}.${bad.toString('base64url')}`)),
        'signature_invalid',
      )
    }
  })

  it('RSA-PSS with salt length 0 or 64 under PS256 → signature_invalid (SEC-047)', async () => {
    const auth = staticAuth({ signingKey: pem(RSA.publicKey) })
    for (const saltLength of [0, 64]) {
      const token = mint({ alg: 'PS256' }, claims(), (i) =>
        sign('sha256', Buffer.from(i), {
          key: RSA.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength,
        }),
      )
      await expectAuthFailure(auth.authenticate(bearer(token)), 'signature_invalid')
    }
  })

  it('padding family swap: RS256 header with a PSS signature and vice versa (SEC-048)', async () => {
    const auth = staticAuth({ signingKey: pem(RSA.publicKey) })
    await expectAuthFailure(
      auth.authenticate(bearer(mint({ alg: 'RS256' }, claims(), signer('PS256', RSA.privateKey)))),
      'signature_invalid',
    )
    await expectAuthFailure(
      auth.authenticate(bearer(mint({ alg: 'PS256' }, claims(), signer('RS256', RSA.privateKey)))),
      'signature_invalid',
    )
  })

  it('Ed25519 with S + L (non-canonical) and wrong lengths → signature_invalid (SEC-049)', async () => {
    const input = `${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`
    const sig = sign(null, Buffer.from(input), ED.privateKey)
    const L = (1n << 252n) + 27742317777372353535851937790883648493n
    const sLe = Buffer.from(sig.subarray(32)).reverse()
    const s = BigInt(`0x${sLe.toString('hex')}`)
    const sPlusL = Buffer.from((s + L).toString(16).padStart(64, '0'), 'hex').reverse()
    const auth = staticAuth({ signingKey: pem(ED.publicKey) })
    for (const bad of [
      Buffer.concat([sig.subarray(0, 32), sPlusL]),
      sig.subarray(0, 63),
      Buffer.concat([sig, Buffer.alloc(1)]),
    ]) {
      await expectAuthFailure(auth.authenticate(bearer(withSig(input, bad))), 'signature_invalid')
    }
  })

  it('checks the signature before the claims: expired + bad signature → signature_invalid (SEC-070)', async () => {
    const token = mint({ alg: 'HS256' }, claims({ exp: 1 }), hs(Buffer.alloc(32, 9)))
    await expectAuthFailure(
      staticAuth({ signingKey: SECRET_B64 }).authenticate(bearer(token)),
      'signature_invalid',
    )
  })

  it('embedded key headers (jwk, jku, x5u, x5c) are never used (SEC-051..054)', async () => {
    const attacker = (await import('node:crypto')).generateKeyPairSync('rsa', {
      modulusLength: 2048,
    })
    const jwk = attacker.publicKey.export({ format: 'jwk' })
    const auth = staticAuth({ signingKey: pem(RSA.publicKey) })
    for (const extra of [
      { jwk },
      { jku: 'http://127.0.0.1:9/jwks' },
      { x5u: 'http://127.0.0.1:9/x' },
      { x5c: ['AAAA'] },
    ]) {
      const token = mint({ alg: 'RS256', ...extra }, claims(), signer('RS256', attacker.privateKey))
      await expectAuthFailure(auth.authenticate(bearer(token)), 'signature_invalid')
    }
  })

  it('kid is ignored with static keys, except that an unusable kid fails fast (SEC-055)', async () => {
    const auth = staticAuth({ signingKey: SECRET_B64 })
    await expect(
      auth.authenticate(
        bearer(mint({ alg: 'HS256', kid: '../../dev/null' }, claims(), hs(SECRET))),
      ),
    ).resolves.toBeDefined()
    await expect(
      auth.authenticate(bearer(mint({ alg: 'HS256', kid: '' }, claims(), hs(SECRET)))),
    ).resolves.toBeDefined()
    for (const kid of ['x'.repeat(257), 'a\u0000b', 'a\r\nX-Injected: 1', 1, null, ['k']]) {
      await expectAuthFailure(
        auth.authenticate(bearer(mint({ alg: 'HS256', kid }, claims(), hs(SECRET)))),
        'key_not_found',
      )
    }
  })
})
