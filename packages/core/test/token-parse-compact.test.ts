import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import {
  bearer,
  claims,
  expectAuthFailure,
  hs,
  hsToken,
  mint,
  SECRET,
  SECRET_B64,
  staticAuth,
} from './helpers.js'

const auth = () => staticAuth({ signingKey: SECRET_B64 })
const hsSign = hs(SECRET)
const direct = (token: string) => auth().authenticate({ headers: { authorization: token } })

describe('framing (SEC-001..008)', () => {
  it.each(['abc', 'a.b', 'a.b.c.d', '..', '....', '.e30.'])(
    'wrong number of parts %j → token_malformed',
    async (t) => {
      await expectAuthFailure(direct(t), 'token_malformed')
    },
  )

  it('a JWE (five parts) → token_malformed before any crypto', async () => {
    const jwe = ['eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0', 'a', 'b', 'c', 'd'].join(
      '.',
    )
    await expectAuthFailure(direct(jwe), 'token_malformed')
    const pbes2 = `${Buffer.from(JSON.stringify({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 2147483647 })).toString('base64url')}.a.b.c.d`
    const t0 = performance.now()
    await expectAuthFailure(direct(pbes2), 'token_malformed')
    expect(performance.now() - t0).toBeLessThan(50)
  })

  it('a JSON-serialised JWS → token_malformed (SEC-004)', async () => {
    const json = JSON.stringify({
      protected: 'eyJhbGciOiJIUzI1NiJ9',
      payload: 'e30',
      signature: 'AAAA',
    })
    await expectAuthFailure(direct(json), 'token_malformed')
  })

  it.each(['+', '/', '=', '%', '!', '$', ' ', '\t'])(
    '%j inside any segment → token_malformed (SEC-005, SEC-006)',
    async (ch) => {
      const token = hsToken()
      const parts = token.split('.')
      for (let i = 0; i < 3; i++) {
        const copy = [...parts]
        copy[i] = `${copy[i]?.slice(0, 5)}${ch}${copy[i]?.slice(5)}`
        await expectAuthFailure(auth().authenticate(bearer(copy.join('.'))), 'token_malformed')
      }
    },
  )

  it('a padded signature (valid bytes + "=") → token_malformed (SEC-005, jose differs)', async () => {
    await expectAuthFailure(direct(`${hsToken()}=`), 'token_malformed')
  })

  it('line breaks inside or after the token → token_malformed (SEC-006)', async () => {
    const t = hsToken()
    await expectAuthFailure(direct(`${t.slice(0, -5)}\n${t.slice(-5)}`), 'token_malformed')
    await expectAuthFailure(
      auth().authenticate({ headers: { authorization: `${t}\r\n` } }),
      'token_malformed',
    )
  })

  it('non-canonical base64url (spare bits set) → token_malformed (SEC-007)', async () => {
    const t = hsToken()
    const last = t.at(-1) ?? 'A'
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twin = alphabet[alphabet.indexOf(last) + 1] ?? 'B'
    expect(Buffer.from(`${t.slice(0, -1)}${twin}`.split('.')[2] ?? '', 'base64url')).toEqual(
      Buffer.from(t.split('.')[2] ?? '', 'base64url'),
    )
    await expectAuthFailure(direct(`${t.slice(0, -1)}${twin}`), 'token_malformed')
  })

  it('over maxTokenBytes → token_malformed before decoding; exactly at the limit is processed (SEC-008)', async () => {
    const token = hsToken(claims({ pad: 'x'.repeat(100) }))
    const exact = staticAuth({ signingKey: SECRET_B64, maxTokenBytes: token.length })
    await expect(exact.authenticate(bearer(token))).resolves.toBeDefined()
    const small = staticAuth({ signingKey: SECRET_B64, maxTokenBytes: token.length - 1 })
    await expectAuthFailure(small.authenticate(bearer(token)), 'token_malformed')
    const huge = 'a'.repeat(1024 * 1024)
    const t0 = performance.now()
    await expectAuthFailure(
      auth().authenticate({ headers: { authorization: `Bearer ${huge}.b.c` } }),
      'token_malformed',
    )
    expect(performance.now() - t0).toBeLessThan(50)
  })

  it('non-ASCII characters in the token text → token_malformed (SEC-009)', async () => {
    const t = hsToken()
    await expectAuthFailure(direct(`é${t}`), 'token_malformed')
    await expectAuthFailure(direct(t.replace('.', 'ÿ.')), 'token_malformed')
  })
})

describe('header and payload JSON (SEC-010..016)', () => {
  it.each([
    ['overlong', [0xc0, 0xaf]],
    ['lone continuation', [0x80]],
    ['encoded surrogate', [0xed, 0xa0, 0x80]],
    ['truncated', [0xe2, 0x82]],
  ])('invalid UTF-8 (%s) in a validly signed payload → token_malformed', async (_n, bytes) => {
    const payload = Buffer.concat([Buffer.from('{"sub":"a'), Buffer.from(bytes), Buffer.from('"}')])
    await expectAuthFailure(direct(mint({ alg: 'HS256' }, payload, hsSign)), 'token_malformed')
  })

  it('invalid UTF-8 in the header → token_malformed', async () => {
    const header = Buffer.concat([
      Buffer.from('{"alg":"HS256","x":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ])
    await expectAuthFailure(
      direct(
        mint(header.toString('latin1'), claims(), hsSign).replace(
          /^[^.]+/,
          header.toString('base64url'),
        ),
      ),
      'token_malformed',
    )
  })

  it.each([
    '[{"alg":"HS256"}]',
    '"HS256"',
    'null',
    '{',
    '{"alg":"HS256"}x',
    '{"alg":"HS256",}',
    "{'alg':'HS256'}",
  ])('header %s → token_malformed', async (header) => {
    await expectAuthFailure(direct(mint(header, claims(), hsSign)), 'token_malformed')
  })

  it.each([
    '[]',
    '[{"sub":"admin"}]',
    '0',
    'true',
    'null',
    '""',
    '"{\\"sub\\":\\"admin\\"}"',
    '{',
    '{"sub":NaN}',
    '{"sub":"a"} // c',
    '',
  ])('validly signed payload %s → token_malformed (SEC-011, SEC-012)', async (payload) => {
    await expectAuthFailure(direct(mint({ alg: 'HS256' }, payload, hsSign)), 'token_malformed')
  })

  it('whitespace after the JSON object is valid JSON and accepted (SEC-012)', async () => {
    await expect(
      direct(mint({ alg: 'HS256' }, `${JSON.stringify(claims())}  \n`, hsSign)),
    ).resolves.toBeDefined()
  })

  it('a leading BOM in header or payload is tolerated (SEC-013)', async () => {
    await expect(
      direct(mint(`\uFEFF{"alg":"HS256"}`, `\uFEFF${JSON.stringify(claims())}`, hsSign)),
    ).resolves.toBeDefined()
  })

  it('duplicate member names: the last one wins, in header and payload (SEC-014, DESIGN)', async () => {
    const p = await direct(
      mint(
        '{"alg":"none","alg":"HS256"}',
        `{"sub":"alice","sub":"admin","exp":1,"exp":${claims().exp as number}}`,
        hsSign,
      ),
    )
    expect(p.subject).toBe('admin')
    await expectAuthFailure(
      direct(mint('{"alg":"HS256","alg":"none"}', claims(), hsSign)),
      'alg_not_allowed',
    )
  })

  it('nesting deeper than 32 → token_malformed; 32 is fine (SEC-015)', async () => {
    const nest = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`
    await expect(
      direct(mint({ alg: 'HS256' }, `{"sub":"a","n":${nest(31)}}`, hsSign)),
    ).resolves.toBeDefined()
    await expectAuthFailure(
      direct(mint({ alg: 'HS256' }, `{"sub":"a","n":${nest(32)}}`, hsSign)),
      'token_malformed',
    )
    await expectAuthFailure(
      direct(mint(`{"alg":"HS256","x":${nest(1000)}}`, claims())),
      'token_malformed',
    )
    // Brackets inside strings do not count.
    await expect(
      direct(mint({ alg: 'HS256' }, { sub: 'a', s: '[[[[{{{{'.repeat(20) }, hsSign)),
    ).resolves.toBeDefined()
  })

  it('__proto__ and constructor members stay plain data (SEC-016)', async () => {
    const p = await direct(
      mint(
        '{"alg":"HS256","__proto__":{"alg":"none"}}',
        `{"sub":"alice","__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}`,
        hsSign,
      ),
    )
    expect((p.claims as Record<string, unknown>).admin).toBeUndefined()
    expect(Object.getPrototypeOf(p.claims)).toBe(Object.prototype)
    expect(p.header.alg).toBe('HS256')
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })
})

describe('header parameters (SEC-019, SEC-059..062)', () => {
  it.each(['{}', '{"alg":null}', '{"alg":256}', '{"alg":["HS256"]}', '{"alg":""}'])(
    'missing or non-string alg %s → token_malformed',
    async (h) => {
      await expectAuthFailure(direct(mint(h, claims(), hsSign)), 'token_malformed')
    },
  )

  it.each([
    { crit: ['x'], x: 1 },
    { crit: ['x'] },
    { crit: [] },
    { crit: 'x' },
    { crit: ['alg'] },
    { crit: ['b64', 'b64'] },
  ])('crit %j → token_malformed', async (extra) => {
    await expectAuthFailure(
      direct(mint({ alg: 'HS256', ...extra }, claims(), hsSign)),
      'token_malformed',
    )
  })

  it.each([{ b64: false, crit: ['b64'] }, { b64: false }, { b64: 'false' }])(
    'unencoded payload %j → token_malformed',
    async (extra) => {
      await expectAuthFailure(
        direct(mint({ alg: 'HS256', ...extra }, claims(), hsSign)),
        'token_malformed',
      )
    },
  )

  it('b64: true is the default and accepted', async () => {
    await expect(direct(mint({ alg: 'HS256', b64: true }, claims(), hsSign))).resolves.toBeDefined()
  })

  it.each(['JWT', 'jwt', 'application/jwt'])(
    'cty %s (nested token) → token_malformed',
    async (cty) => {
      await expectAuthFailure(
        direct(mint({ alg: 'HS256', cty }, claims(), hsSign)),
        'token_malformed',
      )
    },
  )

  it.each(['JWT', 'at+jwt', 'application/at+jwt', 'secevent+jwt'])(
    'typ %s is accepted',
    async (typ) => {
      await expect(direct(mint({ alg: 'HS256', typ }, claims(), hsSign))).resolves.toBeDefined()
    },
  )

  it('JWE-only parameters in a three-part token are ignored (SEC-062)', async () => {
    await expect(
      direct(mint({ alg: 'HS256', enc: 'A128GCM', zip: 'DEF', p2c: 2147483647 }, claims(), hsSign)),
    ).resolves.toBeDefined()
  })
})

describe('parsed-header reuse (issue 7)', () => {
  it('tokens sharing a header segment share one frozen header object; payloads stay separate', async () => {
    const a = auth()
    const p1 = await a.authenticate(bearer(hsToken(claims({ sub: 'alice' }))))
    const p2 = await a.authenticate(bearer(hsToken(claims({ sub: 'bob' }))))
    expect(p1.subject).toBe('alice')
    expect(p2.subject).toBe('bob')
    expect(p2.header).toBe(p1.header)
    expect(Object.isFrozen(p1.header)).toBe(true)
  })

  it('a refused header is refused every time, and never poisons a good one', async () => {
    const a = auth()
    const bad = mint({ alg: 'HS256', crit: ['exp'] }, claims(), hsSign)
    for (let i = 0; i < 3; i++)
      await expectAuthFailure(a.authenticate(bearer(bad)), 'token_malformed')
    await expect(a.authenticate(bearer(hsToken(claims())))).resolves.toBeDefined()
  })

  it('a flood of distinct headers neither grows memory without bound nor breaks later tokens', async () => {
    const a = auth()
    for (let i = 0; i < 1000; i++) {
      await expect(
        a.authenticate(bearer(mint({ alg: 'HS256', kid: `k${i}` }, claims(), hsSign))),
      ).resolves.toBeDefined()
    }
    await expect(a.authenticate(bearer(hsToken(claims())))).resolves.toBeDefined()
  })
})
