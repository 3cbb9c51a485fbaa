import { describe, expect, it } from 'vitest'
import {
  bearer,
  claims,
  expectAuthFailure,
  hs,
  hsToken,
  mint,
  NOW,
  SECRET,
  SECRET_B64,
  staticAuth,
} from './helpers.js'

const auth = (extra: Record<string, unknown> = {}) =>
  staticAuth({ signingKey: SECRET_B64, ...extra })
const raw = (payloadText: string) => mint({ alg: 'HS256' }, payloadText, hs(SECRET))

describe('exp (SEC-063..067)', () => {
  it.each([
    [NOW - 31, 'token_expired'],
    [NOW - 30, 'token_expired'],
    [NOW - 30.5, 'token_expired'],
    [-1, 'token_expired'],
    [0, 'token_expired'],
    [NOW - 29, null],
    [NOW - 29.5, null],
    [NOW + 1e10, null],
    [1e20, null],
  ] as const)('skew 30, exp %d → %s', async (exp, code) => {
    const p = auth().authenticate(bearer(hsToken(claims({ exp }))))
    if (code === null) await expect(p).resolves.toBeDefined()
    else await expectAuthFailure(p, code)
  })

  it('skew 0: exp = now is expired, exp = now + 1 is not', async () => {
    await expectAuthFailure(
      auth({ clockSkewToleranceSeconds: 0 }).authenticate(bearer(hsToken(claims({ exp: NOW })))),
      'token_expired',
    )
    await expect(
      auth({ clockSkewToleranceSeconds: 0 }).authenticate(
        bearer(hsToken(claims({ exp: NOW + 1 }))),
      ),
    ).resolves.toBeDefined()
  })

  it.each(['"1700000000"', 'null', 'true', '[1]', '{}', '""', '1e309', '-1e309'])(
    'exp %s → claim_invalid',
    async (v) => {
      await expectAuthFailure(
        auth().authenticate(bearer(raw(`{"sub":"a","exp":${v}}`))),
        'claim_invalid',
      )
    },
  )

  it('a missing exp is accepted unless requireExp', async () => {
    const t = hsToken({ sub: 'alice' })
    await expect(auth().authenticate(bearer(t))).resolves.toBeDefined()
    await expectAuthFailure(auth({ requireExp: true }).authenticate(bearer(t)), 'claim_invalid')
  })
})

describe('nbf and iat (SEC-068, SEC-069)', () => {
  it.each([
    [NOW + 31, 'token_not_yet_valid'],
    [NOW + 30, null],
    [NOW + 29, null],
  ] as const)('nbf %d → %s', async (nbf, code) => {
    const p = auth().authenticate(bearer(hsToken(claims({ nbf }))))
    if (code === null) await expect(p).resolves.toBeDefined()
    else await expectAuthFailure(p, code)
  })

  it.each([
    [NOW + 31, 'token_issued_in_future'],
    [NOW + 30, null],
    [-1, null],
  ] as const)('iat %d → %s', async (iat, code) => {
    const p = auth().authenticate(bearer(hsToken(claims({ iat }))))
    if (code === null) await expect(p).resolves.toBeDefined()
    else await expectAuthFailure(p, code)
  })

  it.each(['nbf', 'iat'])('%s of the wrong type or non-finite → claim_invalid', async (claim) => {
    for (const v of ['"x"', '1e309', 'null', '[]']) {
      await expectAuthFailure(
        auth().authenticate(bearer(raw(`{"sub":"a","${claim}":${v}}`))),
        'claim_invalid',
      )
    }
  })

  it('the skew option is honoured', async () => {
    await expectAuthFailure(
      auth({ clockSkewToleranceSeconds: 5 }).authenticate(
        bearer(hsToken(claims({ nbf: NOW + 6 }))),
      ),
      'token_not_yet_valid',
    )
    await expect(
      auth({ clockSkewToleranceSeconds: 5 }).authenticate(
        bearer(hsToken(claims({ nbf: NOW + 5 }))),
      ),
    ).resolves.toBeDefined()
  })
})

describe('issuer (SEC-074, SEC-075)', () => {
  const ISS = 'https://idp.example/realms/main'
  const a = () => auth({ requiredIssuer: ISS })

  it('exact match is accepted; one of a list is accepted', async () => {
    await expect(a().authenticate(bearer(hsToken(claims({ iss: ISS }))))).resolves.toBeDefined()
    await expect(
      auth({ requiredIssuer: ['https://other', ISS] }).authenticate(
        bearer(hsToken(claims({ iss: ISS }))),
      ),
    ).resolves.toBeDefined()
  })

  it.each([
    `${ISS}/`,
    ISS.toUpperCase(),
    'HTTPS://idp.example/realms/main',
    'https://idp.example:443/realms/main',
    `${ISS}#x`,
    `${ISS}?x`,
    `${ISS}\u0000.evil`,
    `${ISS} `,
    'https://idp.exаmple/realms/main',
  ])('near miss %j → issuer_mismatch', async (iss) => {
    await expectAuthFailure(a().authenticate(bearer(hsToken(claims({ iss })))), 'issuer_mismatch')
  })

  it('missing iss → issuer_mismatch', async () => {
    await expectAuthFailure(a().authenticate(bearer(hsToken(claims()))), 'issuer_mismatch')
  })

  it.each([[[`https://attacker/`, ISS]], [5], [{}], [null]])(
    'iss %j of the wrong type → claim_invalid',
    async (iss) => {
      await expectAuthFailure(a().authenticate(bearer(hsToken(claims({ iss })))), 'claim_invalid')
    },
  )

  it('iss is not checked when no issuer is required', async () => {
    await expect(auth().authenticate(bearer(hsToken(claims({ iss: 5 }))))).resolves.toBeDefined()
  })
})

describe('audience (SEC-071..073)', () => {
  const a = () => auth({ requiredAudience: 'api' })

  it.each([['api'], [['evil', 'api']], [['api']]])('aud %j is accepted', async (aud) => {
    await expect(a().authenticate(bearer(hsToken(claims({ aud }))))).resolves.toBeDefined()
  })

  it('a comma-separated config matches any listed audience', async () => {
    await expect(
      auth({ requiredAudience: 'a,b' }).authenticate(bearer(hsToken(claims({ aud: ['b'] })))),
    ).resolves.toBeDefined()
  })

  it.each([['API'], ['api '], [[]], ['evil,api'], ['аpi'], ['evil']])(
    'aud %j → audience_mismatch',
    async (aud) => {
      await expectAuthFailure(
        a().authenticate(bearer(hsToken(claims({ aud })))),
        'audience_mismatch',
      )
    },
  )

  it('missing aud → audience_mismatch', async () => {
    await expectAuthFailure(a().authenticate(bearer(hsToken(claims()))), 'audience_mismatch')
  })

  it.each([[5], [true], [{ api: 1 }], [[['api']]], [[null, 'api']], [['api', 5]]])(
    'aud %j of the wrong type → claim_invalid',
    async (aud) => {
      await expectAuthFailure(a().authenticate(bearer(hsToken(claims({ aud })))), 'claim_invalid')
    },
  )

  it('aud is ignored when no audience is required, and a config warning is emitted', async () => {
    const events: unknown[] = []
    const x = staticAuth({ signingKey: SECRET_B64, onEvent: (e) => events.push(e) })
    await expect(x.authenticate(bearer(hsToken(claims({ aud: 5 }))))).resolves.toBeDefined()
    expect(events).toContainEqual(expect.objectContaining({ type: 'config.warning' }))
  })

  it('a throwing event listener is ignored', () => {
    expect(() =>
      staticAuth({
        signingKey: SECRET_B64,
        onEvent: () => {
          throw new Error('listener bug')
        },
      }),
    ).not.toThrow()
  })
})

describe('check order (SEC-070)', () => {
  it('expired with the wrong audience → token_expired (time before audience)', async () => {
    await expectAuthFailure(
      auth({ requiredAudience: 'api' }).authenticate(bearer(hsToken(claims({ exp: 1, aud: 'x' })))),
      'token_expired',
    )
  })

  it('wrong issuer and wrong audience → issuer_mismatch (issuer before audience)', async () => {
    await expectAuthFailure(
      auth({ requiredAudience: 'api', requiredIssuer: 'i' }).authenticate(
        bearer(hsToken(claims({ iss: 'x', aud: 'x' }))),
      ),
      'issuer_mismatch',
    )
  })

  it('valid claims but no subject → subject_missing (subject after audience)', async () => {
    await expectAuthFailure(
      auth({ requiredAudience: 'api' }).authenticate(
        bearer(hsToken({ aud: 'api', exp: NOW + 60 })),
      ),
      'subject_missing',
    )
  })
})
