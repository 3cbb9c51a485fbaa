// SECURITY-CATALOGUE.md sections 1, 2, 4 and 5 (framing, alg, signatures, crit/b64/typ/cty),
// against static authenticators. One test per case; each asserts the exact error code of DESIGN.md.
import { createHmac } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { beforeAll, describe, expect, it } from 'vitest'
import { CompactEncrypt, importSPKI } from 'jose'
import type { Authenticator } from '@jwtgate/core'
import { algNoneToken, spliceSignature, tamperPayload, withSignature } from '@jwtgate/testing'
import {
  accept,
  b64,
  b64url,
  baseClaims,
  bytes,
  encodeSegment,
  expectCode,
  expectToken,
  getFixtures,
  hs256,
  NOW,
  sign,
  signerFor,
  staticAuth,
  type Fixtures,
} from './helpers.js'

let F: Fixtures
let hs: Authenticator
let rs: Authenticator
let es: Authenticator
let es384: Authenticator
let es521: Authenticator
let ed: Authenticator
/** A valid HS256 token (base claims) and its parts. */
let good: string

const HS = { alg: 'HS256', typ: 'JWT' }

beforeAll(async () => {
  F = await getFixtures()
  hs = staticAuth(b64(F.S))
  rs = staticAuth(F.RK.publicKeyPem)
  es = staticAuth(F.EK.publicKeyPem)
  es384 = staticAuth(F.EK384.publicKeyPem)
  es521 = staticAuth(F.EK521.publicKeyPem)
  ed = staticAuth(F.OK.publicKeyPem)
  good = await sign(HS, baseClaims(), hs256(F.S))
})

const parts = (t: string): [string, string, string] => t.split('.') as [string, string, string]
const hsSign = (header: Parameters<typeof sign>[0], payload: Parameters<typeof sign>[1]) =>
  sign(header, payload, hs256(F.S))

describe('1. token framing and encoding', () => {
  it('SEC-000 positive control: a valid HS256 token is accepted', async () => {
    const p = await accept(hs, good)
    expect(p.subject).toBe('alice')
  })

  it('SEC-001 `Authorization: Bearer` with nothing after it → token_malformed', async () => {
    await expectCode(hs.authenticate({ headers: { authorization: 'Bearer' } }), 'token_malformed')
    await expectCode(hs.authenticate({ headers: { authorization: 'Bearer ' } }), 'token_malformed')
  })
  it('SEC-001 no Authorization header at all → token_missing', async () => {
    const err = await expectCode(hs.authenticate({ headers: {} }), 'token_missing')
    expect(err.wwwAuthenticate).not.toContain('error=')
  })

  it.each([
    ['one part', () => 'abc'],
    ['two parts', () => parts(good).slice(0, 2).join('.')],
    ['four parts', () => `${good}.x`],
    ['two dots only', () => '..'],
    ['four dots only', () => '....'],
  ])('SEC-002 %s → token_malformed', async (_n, make) => {
    await expectToken(hs, make(), 'token_malformed')
  })

  it('SEC-003a real compact JWE (RSA-OAEP-256 / A256GCM) → token_malformed by the part count, before any crypto', async () => {
    const pub = await importSPKI(F.RK.publicKeyPem, 'RSA-OAEP-256')
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{"sub":"admin"}'))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
      .encrypt(pub)
    expect(jwe.split('.')).toHaveLength(5)
    // Decided by the first structural check (no stopwatch: timing flakes on a loaded machine).
    const err = await expectToken(rs, jwe, 'token_malformed')
    expect(err.message).toBe('The token must have exactly three parts')
  })
  it('SEC-003b JWE wrapping an alg:none JWT → token_malformed', async () => {
    const pub = await importSPKI(F.RK.publicKeyPem, 'RSA-OAEP-256')
    const inner = algNoneToken({ sub: 'admin' })
    const jwe = await new CompactEncrypt(new TextEncoder().encode(inner))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT' })
      .encrypt(pub)
    await expectToken(rs, jwe, 'token_malformed')
  })
  it('SEC-003c five-part token with PBES2 p2c = 2^31−1 → token_malformed by the part count, no PBKDF2', async () => {
    const h = encodeSegment({
      alg: 'PBES2-HS512+A256KW',
      enc: 'A256GCM',
      p2c: 2147483647,
      p2s: 'AAAA',
    })
    const t = `${h}.AAAA.AAAA.AAAA.AAAA`
    const err = await expectToken(hs, t, 'token_malformed')
    expect(err.message).toBe('The token must have exactly three parts')
  })
  it('SEC-003d five-part token with zip:DEF → token_malformed, no inflate', async () => {
    const h = encodeSegment({ alg: 'dir', enc: 'A256GCM', zip: 'DEF' })
    await expectToken(hs, `${h}..AAAA.AAAA.AAAA`, 'token_malformed')
  })

  it('SEC-004 JSON-serialised JWS → token_malformed', async () => {
    const [h, p, s] = parts(good)
    const json = JSON.stringify({ protected: h, payload: p, signature: s })
    await expectToken(hs, json, 'token_malformed')
  })
  it('SEC-004 python-jwt polyglot (forged compact token as a member name) → token_malformed', async () => {
    const [h, p, s] = parts(good)
    const forged = `${h}.${encodeSegment({ sub: 'admin' })}.`
    const poly = `{"${forged}":"","protected":"${h}","payload":"${p}","signature":"${s}"}`
    await expectToken(hs, poly, 'token_malformed')
  })

  describe('SEC-005 characters outside the base64url alphabet', () => {
    const chars = ['+', '/', '=', '%', '!', '$']
    const cases = (['header', 'payload', 'signature'] as const).flatMap((seg) =>
      chars.map((c) => [seg, c] as const),
    )
    it.each(cases)('SEC-005 %s segment with %s → token_malformed', async (seg, c) => {
      const p = parts(good)
      const i = seg === 'header' ? 0 : seg === 'payload' ? 1 : 2
      p[i] = `${p[i].slice(0, 4)}${c}${p[i].slice(5)}`
      await expectToken(hs, p.join('.'), 'token_malformed')
    })
    it('SEC-005 valid HS256 signature + "=" padding (44 chars) → token_malformed (jose accepts: differential exception)', async () => {
      const t = `${good}=`
      expect(parts(t)[2]).toHaveLength(44)
      await expectToken(hs, t, 'token_malformed')
    })
  })

  describe('SEC-006 whitespace and line breaks inside the token', () => {
    const direct = (token: string) =>
      expectCode(
        hs.authenticate({ headers: { authorization: `Bearer ${token}` } }),
        'token_malformed',
      )
    it('SEC-006 space inside the signature → token_malformed', async () => {
      const [h, p, s] = parts(good)
      await direct(`${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`)
    })
    it('SEC-006 line feed inside the signature → token_malformed', async () => {
      const [h, p, s] = parts(good)
      await direct(`${h}.${p}.${s.slice(0, 10)}\n${s.slice(10)}`)
    })
    it('SEC-006 trailing line feed → token_malformed', async () => {
      await direct(`${good}\n`)
    })
    it('SEC-006 tab between segments → token_malformed', async () => {
      const [h, p, s] = parts(good)
      await direct(`${h}.\t${p}.${s}`)
    })
    it('SEC-006 trailing CR LF on a direct API call → token_malformed', async () => {
      await direct(`${good}\r\n`)
    })
    it('SEC-006 %0A inside a URL-parameter token → token_malformed', async () => {
      const auth = staticAuth(b64(F.S), { jwtUrlParameter: 'jwt' })
      const [h, p, s] = parts(good)
      await expectCode(
        auth.authenticate({
          headers: {},
          url: `/x?jwt=${h}.${p}.${s.slice(0, 5)}%0A${s.slice(5)}`,
        }),
        'token_malformed',
      )
    })
  })

  it('SEC-007 non-canonical base64url (spare bits set in the last char) → token_malformed (jose accepts)', async () => {
    const [h, p, s] = parts(good)
    expect(s).toHaveLength(43)
    const last = s.at(-1) ?? ''
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twin = alphabet[alphabet.indexOf(last) ^ 1] ?? ''
    const t = `${h}.${p}.${s.slice(0, -1)}${twin}`
    expect(Buffer.from(parts(t)[2], 'base64url')).toEqual(Buffer.from(s, 'base64url'))
    await expectToken(hs, t, 'token_malformed')
  })

  describe('SEC-008 oversized tokens', () => {
    async function tokenOfLength(n: number): Promise<string> {
      const base = await hsSign(HS, baseClaims({ pad: '' }))
      const overhead = base.length
      // each 3 bytes of padding add 4 base64url chars
      const padBytes = Math.floor(((n - overhead) * 3) / 4)
      for (let extra = padBytes - 4; extra <= padBytes + 4; extra++) {
        const t = await hsSign(HS, baseClaims({ pad: 'x'.repeat(extra) }))
        if (t.length === n) return t
      }
      throw new Error(`could not build a token of ${n} bytes`)
    }
    it('SEC-008 exactly maxTokenBytes (16 384) → processed normally (accepted)', async () => {
      const t = await tokenOfLength(16_384)
      expect(t).toHaveLength(16_384)
      await accept(hs, t)
    })
    it('SEC-008 maxTokenBytes + 1 (16 385), validly signed → token_malformed', async () => {
      const t = await tokenOfLength(16_385)
      await expectToken(hs, t, 'token_malformed')
    })
    it('SEC-008 a 1 MB token → token_malformed by the length check, before any decoding', async () => {
      // Proved by what fails, not by a stopwatch (timing assertions flake on a loaded machine):
      // the length check's message, also for a 1 MB token whose segments would not even decode.
      const big = await hsSign(HS, baseClaims({ pad: 'x'.repeat(800_000) }))
      expect(big.length).toBeGreaterThan(1_000_000)
      const err = await expectCode(hs.authenticate(bearer1(big)), 'token_malformed')
      expect(err.message).toBe('The token is too long')
      const undecodable = `${'!'.repeat(500_000)}.${'!'.repeat(500_000)}.!`
      const err2 = await expectCode(hs.authenticate(bearer1(undecodable)), 'token_malformed')
      expect(err2.message).toBe('The token is too long')
    })
  })

  it('SEC-009 "é" inside the payload segment → token_malformed', async () => {
    const [h, p, s] = parts(good)
    await expectToken(hs, `${h}.${p.slice(0, 5)}é${p.slice(6)}.${s}`, 'token_malformed')
  })
  it('SEC-009 latin-1 "ÿ" (raw 0xFF header byte) inside the header segment → token_malformed', async () => {
    const [h, p, s] = parts(good)
    await expectToken(hs, `${h.slice(0, 5)}ÿ${h.slice(6)}.${p}.${s}`, 'token_malformed')
  })

  describe('SEC-010 invalid UTF-8 in a validly signed payload / header', () => {
    const prefix = [...Buffer.from('{"sub":"')]
    const suffix = [...Buffer.from(`","exp":${NOW + 300}}`)]
    it.each([
      ['overlong C0 AF', [0xc0, 0xaf]],
      ['lone continuation 80', [0x80]],
      ['UTF-8-encoded surrogate ED A0 80', [0xed, 0xa0, 0x80]],
      ['truncated sequence E2 82', [0xe2, 0x82]],
      ['non-UTF-8 byte FF', [0xff]],
    ])('SEC-010 payload with %s → token_malformed', async (_n, bad) => {
      const t = await hsSign(HS, bytes(...prefix, ...bad, ...suffix))
      await expectToken(hs, t, 'token_malformed')
    })
    it('SEC-010 header with a non-UTF-8 byte → token_malformed', async () => {
      const t = await hsSign(
        bytes(...Buffer.from('{"alg":"HS256","x":"'), 0xff, 0x22, 0x7d),
        baseClaims(),
      )
      await expectToken(hs, t, 'token_malformed')
    })
  })

  describe('SEC-011 header or payload is not a JSON object', () => {
    it.each(['[{"alg":"HS256"}]', '"HS256"', 'null'])(
      'SEC-011 header %s → token_malformed',
      async (h) => {
        await expectToken(hs, await hsSign(h, baseClaims()), 'token_malformed')
      },
    )
    it.each(['[]', '[{"sub":"admin"}]', '0', 'true', 'null', '""', '"{\\"sub\\":\\"admin\\"}"'])(
      'SEC-011 payload %s → token_malformed',
      async (p) => {
        await expectToken(hs, await hsSign(HS, p), 'token_malformed')
      },
    )
  })

  describe('SEC-012 broken JSON', () => {
    it.each([
      '{',
      '{"alg":"HS256"}x',
      '{"alg":"HS256",}',
      "{'alg':'HS256'}",
      '{"alg":NaN}',
      '{"alg":"HS256"//c\n}',
    ])('SEC-012 header %s → token_malformed', async (h) => {
      await expectToken(hs, await hsSign(h, baseClaims()), 'token_malformed')
    })
    it('SEC-012 whitespace after the payload object is valid JSON → accepted', async () => {
      const p = `${JSON.stringify(baseClaims())}  \n`
      await accept(hs, await hsSign(HS, p))
    })
  })

  it('SEC-013 BOM before the header and the payload → accepted (mirrors jose)', async () => {
    const t = await hsSign(`\uFEFF${JSON.stringify(HS)}`, `\uFEFF${JSON.stringify(baseClaims())}`)
    expect((await accept(hs, t)).subject).toBe('alice')
  })

  describe('SEC-014 duplicate member names (DESIGN: last one wins, as JSON.parse and jose)', () => {
    it('SEC-014 header {"alg":"none","alg":"HS256"} → accepted as HS256', async () => {
      const p = await accept(hs, await hsSign('{"alg":"none","alg":"HS256"}', baseClaims()))
      expect(p.header.alg).toBe('HS256')
    })
    it('SEC-014 header {"alg":"HS256","alg":"none"} → alg_not_allowed', async () => {
      await expectToken(
        hs,
        await hsSign('{"alg":"HS256","alg":"none"}', baseClaims()),
        'alg_not_allowed',
      )
    })
    it('SEC-014 payload {"sub":"alice","sub":"admin"} → subject admin', async () => {
      const body = JSON.stringify(baseClaims()).replace(
        '"sub":"alice"',
        '"sub":"alice","sub":"admin"',
      )
      expect((await accept(hs, await hsSign(HS, body))).subject).toBe('admin')
    })
    it('SEC-014 payload {"exp":1,"exp":now+300} → accepted (the later exp counts)', async () => {
      const body = `{"sub":"alice","exp":1,"exp":${NOW + 300}}`
      await accept(hs, await hsSign(HS, body))
    })
    it('SEC-014 payload {"exp":now+300,"exp":1} → token_expired', async () => {
      await expectToken(
        hs,
        await hsSign(HS, `{"sub":"alice","exp":${NOW + 300},"exp":1}`),
        'token_expired',
      )
    })
    it('SEC-014 payload {"aud":"x","aud":AUD} with requiredAudience → accepted', async () => {
      const auth = staticAuth(b64(F.S), { requiredAudience: 'api' })
      await accept(auth, await hsSign(HS, `{"sub":"alice","aud":"x","aud":"api"}`))
      await expectToken(
        auth,
        await hsSign(HS, `{"sub":"alice","aud":"api","aud":"x"}`),
        'audience_mismatch',
      )
    })
  })

  describe('SEC-015 deep nesting', () => {
    const nested = (depth: number) => `{"sub":"alice","a":${'['.repeat(depth)}${']'.repeat(depth)}}`
    it('SEC-015 payload of depth 5 000, validly signed → token_malformed', async () => {
      await expectToken(hs, await hsSign(HS, nested(5000)), 'token_malformed')
    })
    it('SEC-015 payload of depth 32 (the limit) → accepted; depth 33 → token_malformed', async () => {
      await accept(hs, await hsSign(HS, nested(31)))
      await expectToken(hs, await hsSign(HS, nested(32)), 'token_malformed')
    })
    it('SEC-015 header of depth 1 000 with a bad signature → token_malformed (before signature work)', async () => {
      const h = `{"alg":"HS256","x":${'['.repeat(1000)}${']'.repeat(1000)}}`
      const t = `${encodeSegment(h)}.${encodeSegment(baseClaims())}.${'A'.repeat(43)}`
      await expectToken(hs, t, 'token_malformed')
    })
    it('SEC-015 header with a 10 000-entry crit → token_malformed', async () => {
      const crit = Array.from({ length: 10_000 }, (_, i) => `c${i}`)
      const t = `${encodeSegment({ alg: 'HS256', crit })}.${encodeSegment(baseClaims())}.AAAA`
      await expectToken(hs, t, 'token_malformed')
    })
  })

  it('SEC-016 prototype-named members stay plain members', async () => {
    const body =
      '{"sub":"alice","__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"exp":' +
      String(NOW + 300) +
      '}'
    const t = await hsSign('{"alg":"HS256","__proto__":{"alg":"none"}}', body)
    const p = await accept(hs, t)
    expect((p.claims as Record<string, unknown>).admin).toBeUndefined()
    expect(Object.getPrototypeOf(p.claims)).toBe(Object.prototype)
    expect(p.header.alg).toBe('HS256')
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })
})

const bearer1 = (t: string) => ({ headers: { authorization: `Bearer ${t}` } })

describe('2. the alg header', () => {
  describe('SEC-017 unsecured JWT', () => {
    const spellings = ['none', 'None', 'NONE', 'nOnE']
    it.each(spellings)(
      'SEC-017 alg %s, empty signature, static HMAC → alg_not_allowed',
      async (alg) => {
        await expectToken(hs, algNoneToken(baseClaims(), alg), 'alg_not_allowed')
      },
    )
    it.each(spellings)(
      'SEC-017 alg %s, empty signature, static RSA → alg_not_allowed',
      async (alg) => {
        await expectToken(rs, algNoneToken(baseClaims(), alg), 'alg_not_allowed')
      },
    )
    it.each(spellings)(
      'SEC-017 alg %s with a non-empty signature → alg_not_allowed',
      async (alg) => {
        await expectToken(
          hs,
          withSignature(algNoneToken(baseClaims(), alg), parts(good)[2]),
          'alg_not_allowed',
        )
      },
    )
  })

  it.each(['hs256', 'Hs256', 'HS256 ', ' HS256', 'HS256\u0000'])(
    'SEC-018 alg %j (case / padding variant) → alg_not_allowed',
    async (alg) => {
      await expectToken(hs, await hsSign({ alg }, baseClaims()), 'alg_not_allowed')
    },
  )
  it('SEC-018 JSON-escaped "H\\u0053256" decodes to HS256 → accepted', async () => {
    await accept(hs, await hsSign('{"alg":"H\\u0053256"}', baseClaims()))
  })

  it.each([
    ['{}', '{}'],
    ['null', '{"alg":null}'],
    ['256', '{"alg":256}'],
    ['["HS256"]', '{"alg":["HS256"]}'],
    ['""', '{"alg":""}'],
  ])('SEC-019 alg %s (missing or not a string) → token_malformed', async (_n, h) => {
    await expectToken(hs, await hsSign(h, baseClaims()), 'token_malformed')
  })

  it.each(['HS257', 'ES256K', 'RS1', 'PS256K', 'ML-DSA-44'])(
    'SEC-020 unknown alg %s → alg_not_allowed',
    async (alg) => {
      await expectToken(hs, await hsSign({ alg }, baseClaims()), 'alg_not_allowed')
    },
  )
  it('SEC-020 EdDSA when no OKP key is configured → alg_not_allowed', async () => {
    await expectToken(
      rs,
      await sign({ alg: 'EdDSA' }, baseClaims(), signerFor(F.OK)),
      'alg_not_allowed',
    )
  })

  it.each(['PS256', 'RS512'])(
    'SEC-021 %s correctly signed, outside algorithms:["RS256"] → alg_not_allowed',
    async (alg) => {
      const auth = staticAuth(F.RK.publicKeyPem, { algorithms: ['RS256'] })
      await expectToken(
        auth,
        await sign({ alg }, baseClaims(), signerFor(F.RK, alg)),
        'alg_not_allowed',
      )
    },
  )

  describe('SEC-022 family mismatch between token and key', () => {
    it('SEC-022 RS256 token against an EC key → alg_not_allowed', async () => {
      await expectToken(
        es,
        await sign({ alg: 'RS256' }, baseClaims(), signerFor(F.RK)),
        'alg_not_allowed',
      )
    })
    it('SEC-022 ES256 token against an RSA key → alg_not_allowed', async () => {
      await expectToken(
        rs,
        await sign({ alg: 'ES256' }, baseClaims(), signerFor(F.EK)),
        'alg_not_allowed',
      )
    })
    it('SEC-022 EdDSA token against an EC key → alg_not_allowed', async () => {
      await expectToken(
        es,
        await sign({ alg: 'EdDSA' }, baseClaims(), signerFor(F.OK)),
        'alg_not_allowed',
      )
    })
    it('SEC-022 ES256 token against an Ed25519 key → alg_not_allowed', async () => {
      await expectToken(
        ed,
        await sign({ alg: 'ES256' }, baseClaims(), signerFor(F.EK)),
        'alg_not_allowed',
      )
    })
  })

  describe('SEC-023 curve / hash binding', () => {
    it('SEC-023 P-256 key + ES384 token → alg_not_allowed', async () => {
      const t = await sign({ alg: 'ES384' }, baseClaims(), signerFor(F.EK, 'ES384'))
      await expectToken(es, t, 'alg_not_allowed')
    })
    it('SEC-023 P-384 key + ES256 token → alg_not_allowed', async () => {
      const t = await sign({ alg: 'ES256' }, baseClaims(), signerFor(F.EK384, 'ES256'))
      await expectToken(es384, t, 'alg_not_allowed')
    })
    it('SEC-023 P-521 key + ES512 token → accepted', async () => {
      await accept(es521, await sign({ alg: 'ES512' }, baseClaims(), signerFor(F.EK521)))
    })
  })

  it('SEC-024 PS256 with a bare RSA key → accepted (DESIGN infers RS* and PS* from an RSA key)', async () => {
    await accept(rs, await sign({ alg: 'PS256' }, baseClaims(), signerFor(F.RK, 'PS256')))
  })

  describe('SEC-025 EdDSA naming', () => {
    it.each(['EdDSA', 'Ed25519'])('SEC-025 alg %s with an Ed25519 key → accepted', async (alg) => {
      await accept(ed, await sign({ alg }, baseClaims(), signerFor(F.OK, alg)))
    })
    it('SEC-025 alg Ed448 → alg_not_allowed', async () => {
      await expectToken(
        ed,
        await sign({ alg: 'Ed448' }, baseClaims(), signerFor(F.OK)),
        'alg_not_allowed',
      )
    })
  })
})

describe('4. signature checks', () => {
  it('SEC-039 tampered payload (alice → admin) → signature_invalid', async () => {
    await expectToken(hs, tamperPayload(good, baseClaims({ sub: 'admin' })), 'signature_invalid')
  })
  it('SEC-040 signature of another token (same key) → signature_invalid', async () => {
    const other = await hsSign(HS, baseClaims({ sub: 'bob' }))
    await expectToken(hs, spliceSignature(good, other), 'signature_invalid')
  })
  describe('SEC-041 empty signature with a real alg', () => {
    it.each([
      ['HS256', () => hs],
      ['RS256', () => rs],
      ['ES256', () => es],
      ['EdDSA', () => ed],
    ] as const)('SEC-041 %s with an empty signature → signature_invalid', async (alg, auth) => {
      await expectToken(
        auth(),
        `${encodeSegment({ alg })}.${encodeSegment(baseClaims())}.`,
        'signature_invalid',
      )
    })
  })
  describe('SEC-042 HMAC signature of the wrong length', () => {
    const mac = (n: number) => {
      const [h, p] = parts(good)
      const full = createHmac('sha512', F.S).update(`${h}.${p}`).digest()
      return withSignature(good, b64url(full.subarray(0, n)))
    }
    it.each([31, 33, 64])('SEC-042 HS256 signature of %i bytes → signature_invalid', async (n) => {
      if (n <= 32) {
        const s = Buffer.from(parts(good)[2], 'base64url').subarray(0, n)
        await expectToken(hs, withSignature(good, b64url(s)), 'signature_invalid')
      } else {
        await expectToken(hs, mac(n), 'signature_invalid')
      }
    })
    it('SEC-042 truncated to 0 bytes → signature_invalid', async () => {
      await expectToken(hs, withSignature(good, ''), 'signature_invalid')
    })
    it('SEC-042 an HS384 MAC under an HS256 header → signature_invalid', async () => {
      const [h, p] = parts(good)
      const m = createHmac('sha384', F.S).update(`${h}.${p}`).digest()
      await expectToken(hs, withSignature(good, b64url(m)), 'signature_invalid')
    })
  })

  describe('SEC-043 psychic ECDSA signatures (CVE-2022-21449)', () => {
    const N = {
      ES256: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
      ES384:
        'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
      ES512:
        '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    } as const
    const size = { ES256: 32, ES384: 48, ES512: 66 } as const
    const auths = { ES256: () => es, ES384: () => es384, ES512: () => es521 } as const
    const keys = { ES256: () => F.EK, ES384: () => F.EK384, ES512: () => F.EK521 } as const
    const pad = (hex: string, n: number) => Buffer.from(hex.padStart(n * 2, '0'), 'hex')
    const shapes = (alg: keyof typeof N) => {
      const n = size[alg]
      const order = pad(N[alg], n)
      const zero = Buffer.alloc(n)
      const ones = Buffer.alloc(n, 0xff)
      return [
        ['r = s = 0', () => Buffer.concat([zero, zero])],
        ['r = s = n', () => Buffer.concat([order, order])],
        ['r = s = 2^k − 1 (≥ n)', () => Buffer.concat([ones, ones])],
        [
          'r ≥ n (r = n + genuine r)',
          (genuine: Buffer) => Buffer.concat([order, genuine.subarray(n)]),
        ],
        ['r = 0 with a genuine s', (genuine: Buffer) => Buffer.concat([zero, genuine.subarray(n)])],
        [
          's = 0 with a genuine r',
          (genuine: Buffer) => Buffer.concat([genuine.subarray(0, n), zero]),
        ],
        [
          's = n with a genuine r',
          (genuine: Buffer) => Buffer.concat([genuine.subarray(0, n), order]),
        ],
      ] as const
    }
    const cases = (['ES256', 'ES384', 'ES512'] as const).flatMap((alg) =>
      shapes(alg).map(([name, make]) => [alg, name, make] as const),
    )
    it.each(cases)('SEC-043 %s %s → signature_invalid', async (alg, _name, make) => {
      const genuineToken = await sign({ alg }, baseClaims(), signerFor(keys[alg]()))
      const genuine = Buffer.from(parts(genuineToken)[2], 'base64url')
      const forged = withSignature(
        `${encodeSegment({ alg })}.${encodeSegment(baseClaims({ sub: 'admin' }))}.x`,
        b64url(make(genuine)),
      )
      await expectToken(auths[alg](), forged, 'signature_invalid')
      // and the same shape on the genuine signing input
      await expectToken(
        auths[alg](),
        withSignature(genuineToken, b64url(make(genuine))),
        'signature_invalid',
      )
    })
  })

  describe('SEC-044 ECDSA encoding', () => {
    it('SEC-044 DER-encoded ES256 signature → signature_invalid', async () => {
      const t = await sign(
        { alg: 'ES256' },
        baseClaims(),
        signerFor(F.EK, 'ES256', { dsaEncoding: 'der' }),
      )
      await expectToken(es, t, 'signature_invalid')
    })
    it.each([63, 65])('SEC-044 raw ES256 signature of %i bytes → signature_invalid', async (n) => {
      const t = await sign({ alg: 'ES256' }, baseClaims(), signerFor(F.EK))
      const s = Buffer.from(parts(t)[2], 'base64url')
      const bad = n < 64 ? s.subarray(0, n) : Buffer.concat([s, Buffer.alloc(1)])
      await expectToken(es, withSignature(t, b64url(bad)), 'signature_invalid')
    })
    it.each([131, 133])('SEC-044 ES512 signature of %i bytes → signature_invalid', async (n) => {
      const t = await sign({ alg: 'ES512' }, baseClaims(), signerFor(F.EK521))
      const s = Buffer.from(parts(t)[2], 'base64url')
      const bad = n < 132 ? s.subarray(0, n) : Buffer.concat([s, Buffer.alloc(1)])
      await expectToken(es521, withSignature(t, b64url(bad)), 'signature_invalid')
    })
  })

  it('SEC-045 ECDSA high-S twin (s → n − s) → accepted (valid signature; token string is not an identity)', async () => {
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')
    const t = await sign({ alg: 'ES256' }, baseClaims(), signerFor(F.EK))
    const sig = Buffer.from(parts(t)[2], 'base64url')
    const s = BigInt(`0x${sig.subarray(32).toString('hex')}`)
    const twin = Buffer.concat([
      sig.subarray(0, 32),
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
    ])
    const t2 = withSignature(t, b64url(twin))
    expect(t2).not.toBe(t)
    await accept(es, t2)
  })

  describe('SEC-046 RSA signature length', () => {
    it('SEC-046 RS256 signature with a byte removed (255) → signature_invalid', async () => {
      const t = await sign({ alg: 'RS256' }, baseClaims(), signerFor(F.RK))
      const s = Buffer.from(parts(t)[2], 'base64url')
      await expectToken(rs, withSignature(t, b64url(s.subarray(1))), 'signature_invalid')
    })
    it('SEC-046 RS256 signature with an extra leading 0x00 (257) → signature_invalid', async () => {
      const t = await sign({ alg: 'RS256' }, baseClaims(), signerFor(F.RK))
      const s = Buffer.from(parts(t)[2], 'base64url')
      await expectToken(
        rs,
        withSignature(t, b64url(Buffer.concat([Buffer.alloc(1), s]))),
        'signature_invalid',
      )
    })
  })

  it.each([0, 64])('SEC-047 PS256 with salt length %i → signature_invalid', async (saltLength) => {
    const t = await sign({ alg: 'PS256' }, baseClaims(), signerFor(F.RK, 'PS256', { saltLength }))
    await expectToken(rs, t, 'signature_invalid')
  })

  describe('SEC-048 padding family swap', () => {
    it('SEC-048 RS256 header carrying a PSS signature → signature_invalid', async () => {
      const pss = await sign({ alg: 'RS256' }, baseClaims(), signerFor(F.RK, 'PS256'))
      await expectToken(rs, pss, 'signature_invalid')
    })
    it('SEC-048 PS256 header carrying a PKCS#1 v1.5 signature → signature_invalid', async () => {
      const v15 = await sign({ alg: 'PS256' }, baseClaims(), signerFor(F.RK, 'RS256'))
      await expectToken(rs, v15, 'signature_invalid')
    })
    it('SEC-048 PS256 when only RS256 is allowed → alg_not_allowed', async () => {
      const auth = staticAuth(F.RK.publicKeyPem, { algorithms: ['RS256'] })
      const v15 = await sign({ alg: 'PS256' }, baseClaims(), signerFor(F.RK, 'RS256'))
      await expectToken(auth, v15, 'alg_not_allowed')
    })
  })

  describe('SEC-049 Ed25519 non-canonical signatures', () => {
    const L = (1n << 252n) + 27742317777372353535851937790883648493n
    it('SEC-049 S replaced by S + L → signature_invalid', async () => {
      const t = await sign({ alg: 'EdDSA' }, baseClaims(), signerFor(F.OK))
      const sig = Buffer.from(parts(t)[2], 'base64url')
      const sLe = Buffer.from(sig.subarray(32)).reverse()
      const s = BigInt(`0x${sLe.toString('hex')}`) + L
      const sBytes = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse()
      await expectToken(
        ed,
        withSignature(t, b64url(Buffer.concat([sig.subarray(0, 32), sBytes]))),
        'signature_invalid',
      )
    })
    it.each([63, 65])('SEC-049 Ed25519 signature of %i bytes → signature_invalid', async (n) => {
      const t = await sign({ alg: 'EdDSA' }, baseClaims(), signerFor(F.OK))
      const s = Buffer.from(parts(t)[2], 'base64url')
      const bad = n < 64 ? s.subarray(0, n) : Buffer.concat([s, Buffer.alloc(1)])
      await expectToken(ed, withSignature(t, b64url(bad)), 'signature_invalid')
    })
  })
})

describe('5. crit, b64, typ, cty and JWE-only parameters', () => {
  it.each([
    ['crit:["x"] with x present', { alg: 'HS256', crit: ['x'], x: 1 }],
    ['crit:["x"] with x absent', { alg: 'HS256', crit: ['x'] }],
    ['crit:[]', { alg: 'HS256', crit: [] }],
    ['crit:"x"', { alg: 'HS256', crit: 'x', x: 1 }],
    ['crit:["alg"]', { alg: 'HS256', crit: ['alg'] }],
    ['crit:["exp"] + header exp', { alg: 'HS256', crit: ['exp'], exp: NOW + 300 }],
    ['crit:["b64","b64"]', { alg: 'HS256', crit: ['b64', 'b64'], b64: true }],
  ])('SEC-059 %s → token_malformed', async (_n, header) => {
    await expectToken(hs, await hsSign(header, baseClaims()), 'token_malformed')
  })

  it('SEC-060a b64:false + crit:["b64"], signed over the raw payload → token_malformed', async () => {
    const h = encodeSegment({ alg: 'HS256', b64: false, crit: ['b64'] })
    const payload = JSON.stringify(baseClaims())
    const mac = createHmac('sha256', F.S).update(`${h}.${payload}`).digest()
    await expectCode(hs.authenticate(bearer1(`${h}.${payload}.${b64url(mac)}`)), 'token_malformed')
    // and the detached form (empty payload segment)
    await expectToken(hs, `${h}..${b64url(mac)}`, 'token_malformed')
  })
  it('SEC-060b b64:false without crit, signed over the base64url payload → token_malformed (jose accepts)', async () => {
    await expectToken(
      hs,
      await hsSign({ alg: 'HS256', b64: false }, baseClaims()),
      'token_malformed',
    )
  })
  it('SEC-060c b64:"false" (a string) → token_malformed', async () => {
    await expectToken(
      hs,
      await hsSign({ alg: 'HS256', b64: 'false' }, baseClaims()),
      'token_malformed',
    )
  })

  it.each(['JWT', 'at+jwt', 'application/at+jwt', undefined, 'dpop+jwt', 'secevent+jwt'])(
    'SEC-061 typ %s → accepted by default',
    async (typ) => {
      await accept(hs, await hsSign({ alg: 'HS256', typ }, baseClaims()))
    },
  )
  it.each(['JWT', 'jwt', 'application/jwt'])(
    'SEC-061 nested JWT: cty %s with a JSON-object payload → token_malformed (jose ignores cty)',
    async (cty) => {
      await expectToken(hs, await hsSign({ alg: 'HS256', cty }, baseClaims()), 'token_malformed')
    },
  )
  it('SEC-061 nested JWT: cty JWT whose payload is an inner compact JWT → token_malformed', async () => {
    const inner = algNoneToken({ sub: 'admin' })
    await expectToken(hs, await hsSign({ alg: 'HS256', cty: 'JWT' }, inner), 'token_malformed')
  })

  it('SEC-062 JWE-only parameters in a 3-part token are ignored → accepted, quickly', async () => {
    const header = { alg: 'HS256', enc: 'A128GCM', zip: 'DEF', p2c: 2147483647, epk: { kty: 'EC' } }
    const t = await hsSign(header, baseClaims())
    const t0 = performance.now()
    await accept(hs, t)
    expect(performance.now() - t0).toBeLessThan(50)
  })
})
