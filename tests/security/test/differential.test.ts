// Differential fuzzing: jwtgate against jose 6 (the independent oracle), configured the same way
// (same key, same allow-list, same issuer / audience, same clock and leeway). fast-check builds
// valid tokens and mutates header, payload, signature, algorithm and key; both verifiers must
// agree on accept / reject for every case, and on accept the claims must be equal.
//
// Where DESIGN.md deliberately differs from jose (SECURITY-CATALOGUE.md section 13), a
// disagreement is allowed only when jwtgate is the stricter side, its error code is the one
// DESIGN.md gives for that difference, and the token really has the property in question; the
// classifier below looks at the token itself, never at jwtgate's internals. Each exception is
// also pinned by a named test at the end of this file.
//
// `pnpm test` runs 5,000 cases; `pnpm test:fuzz` runs 200,000 (FUZZ_RUNS). FUZZ_SEED replays.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type KeyObject,
} from 'node:crypto'
import fc from 'fast-check'
import { jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, type Authenticator, type AuthErrorCode } from '@jwtgate/core'
import { exportPKCS8 } from 'jose'
import {
  AUD,
  b64,
  bearer,
  getFixtures,
  ISS,
  NOW,
  signerFor,
  SKEW,
  staticAuth,
  type Fixtures,
} from './helpers.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 5000)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)

type Family = 'HS' | 'RSA' | 'EC' | 'ED'
interface Verifier {
  family: Family
  jwtgate: Authenticator
  joseKey: KeyObject
  /** jwtgate's inferred allow-list, given to jose too (catalogue §13 item 11). */
  algorithms: string[]
  /** Signs with the configured key's private half (or the secret). */
  sign: (alg: string, input: string) => Promise<Buffer>
  /** Signs with an attacker key of the same family. */
  signAttacker: (alg: string, input: string) => Promise<Buffer>
}

let F: Fixtures
const verifiers = new Map<Family, Verifier>()
/** Counts of each outcome, printed at the end for the report. */
const tally = new Map<string, number>()
const bump = (k: string): void => {
  tally.set(k, (tally.get(k) ?? 0) + 1)
}

const SECRET = Buffer.alloc(64)
const ATTACKER_SECRET = Buffer.alloc(64, 0x41)

function hmac(alg: string, secret: Buffer, input: string): Buffer {
  const bits = /^HS(256|384|512)$/.exec(alg)?.[1] ?? '256'
  return createHmac(`sha${bits}`, secret).update(input).digest()
}

beforeAll(async () => {
  F = await getFixtures()
  for (let i = 0; i < SECRET.length; i++) SECRET[i] = (i * 37 + 11) & 0xff
  const asym = async (
    family: Family,
    key: Fixtures['RK'],
    attacker: Fixtures['RK'],
    algorithms: string[],
    fallback: string,
  ): Promise<Verifier> => {
    const own = createPrivateKey(await exportPKCS8(key.privateKey))
    const evil = createPrivateKey(await exportPKCS8(attacker.privateKey))
    const pick = (alg: string) => (algorithms.includes(alg) ? alg : fallback)
    return {
      family,
      jwtgate: staticAuth(key.publicKeyPem, { requiredIssuer: ISS, requiredAudience: AUD }),
      joseKey: createPublicKey(key.publicKeyPem),
      algorithms,
      sign: async (alg, input) => Buffer.from(await signerFor(own, pick(alg))(input)),
      signAttacker: async (alg, input) => Buffer.from(await signerFor(evil, pick(alg))(input)),
    }
  }
  const ed2 = await (await import('@jwtgate/testing')).generateTestKey('EdDSA')
  const list: Verifier[] = [
    {
      family: 'HS',
      jwtgate: staticAuth(b64(SECRET), { requiredIssuer: ISS, requiredAudience: AUD }),
      joseKey: createSecretKey(SECRET),
      algorithms: ['HS256', 'HS384', 'HS512'],
      sign: (alg, input) => Promise.resolve(hmac(alg, SECRET, input)),
      signAttacker: (alg, input) => Promise.resolve(hmac(alg, ATTACKER_SECRET, input)),
    },
    await asym('RSA', F.RK, F.AK, ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'], 'RS256'),
    await asym('EC', F.EK, F.AKEC, ['ES256'], 'ES256'),
    await asym('ED', F.OK, ed2, ['EdDSA', 'Ed25519'], 'EdDSA'),
  ]
  for (const v of list) verifiers.set(v.family, v)
})

afterAll(() => {
  const summary = Object.fromEntries([...tally].sort())
  console.log(`differential: ${RUNS} runs`, JSON.stringify(summary))
})

// ---------------------------------------------------------------------------------------------
// Generators

const INF = '"__INF__"'
const NINF = '"__NINF__"'
const ALGS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]

const numericDate = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(0, 29, 30, 31, 300, -29, -30, -31, -300, 29.5, 30.5, -29.5, -30.5)
      .map((d) => NOW + d),
  },
  { weight: 6, arbitrary: fc.constant(undefined).map(() => '__VALID__') },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0, 1e20, 2 ** 53 + 2, NOW + 1e10) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(String(NOW), null, true, [NOW], {}, '', INF, NINF),
  },
  { weight: 1, arbitrary: fc.integer({ min: NOW - 100_000, max: NOW + 100_000 }) },
)
const claimArb = <T>(arb: fc.Arbitrary<T>, absentWeight = 1) =>
  fc.oneof(
    { weight: absentWeight, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: arb },
  )

const subArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('alice', 'bob', 'admin') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      '',
      '   ',
      123,
      1.5,
      {},
      [],
      true,
      null,
      'a\u0000b',
      ' alice ',
      'x\ny',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
)
const issArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant(ISS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      ISS.slice(0, -1),
      `${ISS}/`,
      ISS.toUpperCase(),
      [ISS],
      5,
      {},
      null,
      `${ISS} `,
    ),
  },
)
const audArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(AUD) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      [AUD],
      ['evil', AUD],
      [],
      ['evil'],
      'evil',
      `evil,${AUD}`,
      AUD.toUpperCase(),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      5,
      true,
      { [AUD]: 1 },
      [[AUD]],
      [null, AUD],
      [AUD, 5],
      null,
    ),
  },
)

const payloadArb = fc.record({
  sub: claimArb(subArb, 1),
  iss: claimArb(issArb, 1),
  aud: claimArb(audArb, 1),
  exp: claimArb(numericDate, 2),
  nbf: claimArb(numericDate, 4),
  iat: claimArb(numericDate, 2),
  extra: fc.option(
    fc.dictionary(
      fc.constantFrom('roles', 'scope', 'jti', 'x', '__proto__'),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 2 },
    ),
    { nil: undefined },
  ),
})

const headerArb = (family: Family) =>
  fc.record({
    alg: fc.oneof(
      { weight: 12, arbitrary: fc.constant<unknown>('__RIGHT__') },
      { weight: 3, arbitrary: fc.constantFrom<unknown>(...ALGS) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<unknown>(
          'none',
          'None',
          'NONE',
          'hs256',
          'HS256 ',
          '',
          null,
          256,
          ['HS256'],
          'Ed448',
          'ES256K',
        ),
      },
    ),
    typ: fc.option(fc.constantFrom('JWT', 'at+jwt', 'application/jwt'), { nil: undefined }),
    kid: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom<unknown>(`${family}-1`, 'rsa-1', '') },
      {
        weight: 1,
        arbitrary: fc.constantFrom<unknown>(
          5,
          null,
          {},
          ['k'],
          'k'.repeat(300),
          'a\u0000b',
          '../../dev/null',
        ),
      },
    ),
    extra: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      fc.constantFrom<Record<string, unknown> | undefined>(
        { crit: ['exp'], exp: 1 },
        { crit: [] },
        { crit: ['b64'], b64: true },
        { b64: false },
        { b64: false, crit: ['b64'] },
        { b64: true },
        { cty: 'JWT' },
        { cty: 'json' },
        { jku: 'http://127.0.0.1:9/jwks' },
        { jwk: { kty: 'oct', k: 'AAAA' } },
        { x5u: 'http://127.0.0.1:9/x' },
        { enc: 'A128GCM', zip: 'DEF' },
        { deep: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) as unknown },
      ),
    ),
  })

const textMutationArb = fc.oneof(
  { weight: 24, arbitrary: fc.constant('none') },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'bom',
      'trailing-ws',
      'dup-first',
      'dup-last',
      'deep',
      'invalid-utf8',
      'array',
    ),
  },
)
const sigMutationArb = fc.oneof(
  { weight: 30, arbitrary: fc.constant('none') },
  {
    weight: 10,
    arbitrary: fc.constantFrom(
      'attacker',
      'flip',
      'truncate',
      'extend',
      'empty',
      'pad=',
      'space',
      'newline',
      'noncanonical',
      'other-token',
      'high-s',
      'zero',
      'der',
    ),
  },
)
const segMutationArb = fc.oneof(
  { weight: 30, arbitrary: fc.constant('none') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'header-char',
      'payload-char',
      'extra-dot',
      'drop-sig',
      'five-parts',
      'payload-plus',
      'header-ws',
    ),
  },
)

interface Case {
  family: Family
  header: Record<string, unknown>
  payload: Record<string, unknown>
  headerText: string
  payloadText: string
  sigMutation: string
  segMutation: string
  pos: number
}

const caseArb: fc.Arbitrary<Case> = fc
  .constantFrom<Family>('HS', 'HS', 'RSA', 'EC', 'EC', 'ED', 'ED')
  .chain((family) =>
    fc.record({
      family: fc.constant(family),
      h: headerArb(family),
      p: payloadArb,
      ht: textMutationArb,
      pt: textMutationArb,
      sigMutation: sigMutationArb,
      segMutation: segMutationArb,
      pos: fc.nat({ max: 1000 }),
    }),
  )
  .map(({ family, h, p, ht, pt, sigMutation, segMutation, pos }) => {
    const header: Record<string, unknown> = {}
    header.alg = h.alg === '__RIGHT__' ? rightAlg(family, pos) : h.alg
    if (h.typ !== undefined) header.typ = h.typ
    if (h.kid !== undefined) header.kid = h.kid
    Object.assign(header, h.extra)
    const payload: Record<string, unknown> = {}
    const valid: Record<string, unknown> = { exp: NOW + 300, nbf: NOW - 10, iat: NOW - 10 }
    for (const k of ['sub', 'iss', 'aud', 'exp', 'nbf', 'iat'] as const) {
      if (p[k] !== undefined) payload[k] = p[k] === '__VALID__' ? valid[k] : p[k]
    }
    if (p.extra)
      for (const [k, v] of Object.entries(p.extra))
        if (!(k in payload))
          Object.defineProperty(payload, k, {
            value: v,
            enumerable: true,
            writable: true,
            configurable: true,
          })
    return {
      family,
      header,
      payload,
      headerText: mutateText(
        JSON.stringify(header),
        ht === 'invalid-utf8' || ht === 'array' ? 'none' : ht,
        'alg',
      ),
      payloadText: mutateText(JSON.stringify(payload), pt, 'sub'),
      sigMutation,
      segMutation,
      pos,
    }
  })

function rightAlg(family: Family, pos: number): string {
  const by: Record<Family, string[]> = {
    HS: ['HS256', 'HS384', 'HS512'],
    RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
    EC: ['ES256'],
    ED: ['EdDSA', 'Ed25519'],
  }
  const list = by[family]
  return list[pos % list.length] ?? 'HS256'
}

/** Text-level changes to a JSON object: BOM, whitespace, duplicate members, nesting, bad UTF-8. */
function mutateText(json: string, how: string, member: string): string {
  json = json.replaceAll(INF, '1e309').replaceAll(NINF, '-1e309')
  const inner = json.slice(1, -1)
  const sep = inner === '' ? '' : ','
  switch (how) {
    case 'bom':
      return `\uFEFF${json}`
    case 'trailing-ws':
      return `${json} \n`
    case 'dup-first':
      return `{"${member}":"mallory"${sep}${inner}}`
    case 'dup-last':
      return `{${inner}${sep}"${member}":"mallory"}`
    case 'deep':
      return `{${inner}${sep}"d":${'['.repeat(33)}${']'.repeat(33)}}`
    case 'invalid-utf8':
      return `{${inner}${sep}"u":"\uDC00"}` // lone surrogate → encoded below as invalid bytes
    case 'array':
      return `[${json}]`
    default:
      return json
  }
}

function encodeText(text: string): string {
  if (text.includes('\uDC00')) {
    const [a = '', b = ''] = text.split('\uDC00')
    return Buffer.concat([
      Buffer.from(a),
      Buffer.from([0xed, 0xb0, 0x80]),
      Buffer.from(b),
    ]).toString('base64url')
  }
  return Buffer.from(text, 'utf8').toString('base64url')
}

const EC_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')

async function buildToken(c: Case): Promise<string> {
  const v = verifiers.get(c.family)
  if (v === undefined) throw new Error('no verifier')
  const alg = typeof c.header.alg === 'string' ? c.header.alg : 'none'
  const h = encodeText(c.headerText)
  const p = encodeText(c.payloadText)
  const input = `${h}.${p}`
  let sig: Buffer =
    c.sigMutation === 'attacker' ? await v.signAttacker(alg, input) : await v.sign(alg, input)
  let sigText: string | undefined
  const at = sig.length === 0 ? 0 : c.pos % sig.length
  switch (c.sigMutation) {
    case 'flip':
      sig = Buffer.from(sig)
      sig[at] = (sig[at] ?? 0) ^ (1 << (c.pos % 8))
      break
    case 'truncate':
      sig = sig.subarray(0, at)
      break
    case 'extend':
      sig = Buffer.concat([sig, Buffer.from([c.pos & 0xff])])
      break
    case 'empty':
      sig = Buffer.alloc(0)
      break
    case 'zero':
      sig = Buffer.alloc(sig.length)
      break
    case 'other-token':
      sig = await v.sign(alg, `${h}.${encodeText('{"sub":"other"}')}`)
      break
    case 'high-s':
      if (c.family === 'EC' && sig.length === 64) {
        const s = BigInt(`0x${sig.subarray(32).toString('hex')}`)
        sig = Buffer.concat([
          sig.subarray(0, 32),
          Buffer.from((EC_N - s).toString(16).padStart(64, '0'), 'hex'),
        ])
      }
      break
    case 'der':
      if (c.family === 'EC' && sig.length === 64) sig = derEncode(sig)
      break
    default:
      break
  }
  const sigB64 = sig.toString('base64url')
  switch (c.sigMutation) {
    case 'pad=':
      sigText = `${sigB64}=`
      break
    case 'space':
      sigText = `${sigB64.slice(0, 4)} ${sigB64.slice(4)}`
      break
    case 'newline':
      sigText = `${sigB64}\n`
      break
    case 'noncanonical': {
      const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const last = sigB64.at(-1)
      sigText =
        last === undefined || sigB64.length % 4 === 0
          ? sigB64
          : `${sigB64.slice(0, -1)}${A[A.indexOf(last) ^ 1] ?? 'A'}`
      break
    }
    default:
      sigText = sigB64
  }
  let token = `${input}.${sigText}`
  const i = (seg: string) => (seg.length === 0 ? 0 : c.pos % seg.length)
  switch (c.segMutation) {
    case 'header-char':
      token = `${h.slice(0, i(h))}${h[i(h)] === 'A' ? 'B' : 'A'}${h.slice(i(h) + 1)}.${p}.${sigText}`
      break
    case 'payload-char':
      token = `${h}.${p.slice(0, i(p))}${p[i(p)] === 'A' ? 'B' : 'A'}${p.slice(i(p) + 1)}.${sigText}`
      break
    case 'extra-dot':
      token = `${token}.`
      break
    case 'drop-sig':
      token = input
      break
    case 'five-parts':
      token = `${token}.AAAA.AAAA`
      break
    case 'payload-plus':
      token = `${h}.${p}+.${sigText}`
      break
    case 'header-ws':
      token = `${h} .${p}.${sigText}`
      break
    default:
      break
  }
  return token
}

function derEncode(raw: Buffer): Buffer {
  const int = (b: Buffer) => {
    let i = 0
    while (i < b.length - 1 && b[i] === 0) i++
    let v = b.subarray(i)
    if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v])
    return Buffer.concat([Buffer.from([0x02, v.length]), v])
  }
  const body = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

// ---------------------------------------------------------------------------------------------
// The two verifiers and the exception classifier

type Outcome = { ok: true; claims: Record<string, unknown> } | { ok: false; code: string }

async function runJwtgate(v: Verifier, token: string): Promise<Outcome> {
  try {
    const p = await v.jwtgate.authenticate(bearer(token))
    return { ok: true, claims: { ...p.claims } }
  } catch (e) {
    if (e instanceof AuthError) return { ok: false, code: e.code }
    throw e // I1: anything else is a bug
  }
}

async function runJose(v: Verifier, token: string): Promise<Outcome> {
  try {
    const { payload } = await jwtVerify(token, v.joseKey, {
      algorithms: v.algorithms,
      issuer: ISS,
      audience: AUD,
      clockTolerance: SKEW,
      currentDate: new Date(NOW * 1000),
    })
    return { ok: true, claims: { ...payload } }
  } catch (e) {
    // catalogue §13 item 9: jose throws bare TypeError / DataError too; any throw is a reject
    return { ok: false, code: (e as { code?: string }).code ?? (e as Error).name }
  }
}

const canonical = (seg: string): boolean =>
  /^[A-Za-z0-9_-]*$/.test(seg) && Buffer.from(seg, 'base64url').toString('base64url') === seg
const utf8 = new TextDecoder('utf-8', { fatal: true })
function decodeJson(seg: string): unknown {
  return JSON.parse(utf8.decode(Buffer.from(seg, 'base64url')).replace(/^\uFEFF/, ''))
}
function depth(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0
  let d = 0
  for (const x of Object.values(v)) d = Math.max(d, depth(x))
  return d + 1
}
// eslint-disable-next-line no-control-regex -- control characters are what the rule is about
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

/**
 * The documented reasons jwtgate may reject a token jose accepts, each with the code DESIGN.md
 * gives for it. Derived from the token text only.
 */
function allowedStricter(token: string): Map<string, AuthErrorCode> {
  const reasons = new Map<string, AuthErrorCode>()
  if (token.length > 16_384) reasons.set('size > maxTokenBytes', 'token_malformed')
  const parts = token.split('.')
  if (parts.length !== 3) return reasons
  const [hs = '', ps = '', ss = ''] = parts
  // §13.4 lenient signature segment (padding, whitespace, spare bits) — and the same in any segment
  if (![hs, ps, ss].every(canonical))
    reasons.set('§13.4 non-canonical base64url', 'token_malformed')
  let header: Record<string, unknown>
  let payload: Record<string, unknown>
  try {
    header = decodeJson(hs) as Record<string, unknown>
    payload = decodeJson(ps) as Record<string, unknown>
  } catch {
    return reasons
  }
  if (
    typeof header !== 'object' ||
    typeof payload !== 'object' ||
    header === null ||
    payload === null
  )
    return reasons
  if (header.b64 !== undefined && header.b64 !== true)
    reasons.set('§13.3 b64 without crit', 'token_malformed')
  if (header.crit !== undefined) reasons.set('crit is never processed (DESIGN)', 'token_malformed')
  if (typeof header.cty === 'string' && /^(application\/)?jwt$/i.test(header.cty))
    reasons.set('§13.6 cty JWT', 'token_malformed')
  if (depth(header) > 32 || depth(payload) > 32)
    reasons.set('nesting > 32 (DESIGN)', 'token_malformed')
  const kid = header.kid
  if (kid !== undefined && (typeof kid !== 'string' || kid.length > 256 || CONTROL.test(kid))) {
    reasons.set('kid shape (DESIGN: > 256 chars, control chars, non-string)', 'key_not_found')
  }
  for (const name of ['exp', 'nbf', 'iat']) {
    const v = payload[name]
    if (typeof v === 'number' && !Number.isFinite(v))
      reasons.set(`§13.1 non-finite ${name}`, 'claim_invalid')
  }
  const aud = payload.aud
  if (Array.isArray(aud) && aud.some((a) => typeof a !== 'string'))
    reasons.set('§13.2 aud array with non-strings', 'claim_invalid')
  const iat = payload.iat
  if (typeof iat === 'number' && iat > NOW + SKEW)
    reasons.set('§13.8 iat in the future', 'token_issued_in_future')
  const sub = payload.sub
  // DESIGN, Second wave: control characters (C0, DEL, C1, bidi) on the raw value, then only ASCII
  // spaces trimmed; a number only when it is a safe integer.
  const usable =
    (typeof sub === 'string' &&
      sub.replace(/^ +| +$/g, '') !== '' &&
      !CONTROL.test(sub) &&
      !/[\uD800-\uDFFF]/.test(sub.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) ||
    (typeof sub === 'number' && Number.isSafeInteger(sub))
  if (!usable) reasons.set('DESIGN subject rule (jose does not read sub)', 'subject_missing')
  return reasons
}

interface Verdict {
  agree: boolean
  reason?: string
  detail: string
}

async function compare(c: Case): Promise<Verdict> {
  const v = verifiers.get(c.family)
  if (v === undefined) throw new Error('no verifier')
  const token = await buildToken(c)
  const [ours, theirs] = await Promise.all([runJwtgate(v, token), runJose(v, token)])
  const detail = `token=${token.slice(0, 400)} jwtgate=${JSON.stringify(ours)} jose=${JSON.stringify(theirs)}`
  if (ours.ok && theirs.ok) {
    bump('both accept')
    const same = JSON.stringify(ours.claims) === JSON.stringify(theirs.claims)
    return { agree: same, detail: same ? detail : `claims differ: ${detail}` }
  }
  if (!ours.ok && !theirs.ok) {
    bump(`both reject (${ours.code})`)
    return { agree: true, detail }
  }
  if (!ours.ok && theirs.ok) {
    for (const [reason, code] of allowedStricter(token)) {
      if (code === ours.code) {
        bump(`exception: ${reason}`)
        return { agree: true, reason, detail }
      }
    }
  }
  bump('DISAGREEMENT')
  return { agree: false, detail }
}

describe(`differential fuzzing against jose (${RUNS} cases)`, () => {
  it(`SEC-143 jwtgate and jose agree on accept / reject for ${RUNS} generated and mutated tokens (every jwtgate failure an AuthError)`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const verdict = await compare(c)
        if (!verdict.agree) throw new Error(`disagreement: ${verdict.detail}`)
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    )
    // the generator must exercise both sides: real accepts and many kinds of rejects
    expect(tally.get('both accept') ?? 0).toBeGreaterThan(RUNS / 20)
    expect([...tally.keys()].filter((k) => k.startsWith('both reject')).length).toBeGreaterThan(6)
  }, 600_000)
})

// ---------------------------------------------------------------------------------------------
// Named tests: every documented exception, asserted both ways (jwtgate's code, jose's accept).

describe('differential exceptions (DESIGN.md differs from jose on purpose)', () => {
  const hs = () => verifiers.get('HS') as Verifier
  const base = { sub: 'alice', iss: ISS, aud: AUD, iat: NOW, exp: NOW + 300 }
  function mint(headerText: string, payloadText: string): Promise<string> {
    const input = `${encodeText(headerText)}.${encodeText(payloadText)}`
    return Promise.resolve(`${input}.${hmac('HS256', SECRET, input).toString('base64url')}`)
  }
  async function pin(token: string, code: AuthErrorCode): Promise<void> {
    const ours = await runJwtgate(hs(), token)
    const theirs = await runJose(hs(), token)
    expect(ours).toEqual({ ok: false, code })
    expect(theirs.ok).toBe(true)
    expect([...allowedStricter(token).values()]).toContain(code)
  }
  const H = '{"alg":"HS256"}'
  it('§13.1 exp: 1e309 (Infinity) → jwtgate claim_invalid, jose accepts', async () => {
    await pin(
      await mint(H, JSON.stringify(base).replace(`"exp":${NOW + 300}`, '"exp":1e309')),
      'claim_invalid',
    )
  })
  it('§13.2 aud [null, AUD] → jwtgate claim_invalid, jose accepts', async () => {
    await pin(await mint(H, JSON.stringify({ ...base, aud: [null, AUD] })), 'claim_invalid')
  })
  it('§13.3 b64:false without crit → jwtgate token_malformed, jose accepts', async () => {
    await pin(await mint('{"alg":"HS256","b64":false}', JSON.stringify(base)), 'token_malformed')
  })
  it('§13.4 "=" padding on the signature → jwtgate token_malformed, jose accepts', async () => {
    await pin(`${await mint(H, JSON.stringify(base))}=`, 'token_malformed')
  })
  it('§13.4 non-canonical last signature character → jwtgate token_malformed, jose accepts', async () => {
    const t = await mint(H, JSON.stringify(base))
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = t.at(-1) ?? 'A'
    await pin(`${t.slice(0, -1)}${A[A.indexOf(last) ^ 1] ?? 'A'}`, 'token_malformed')
  })
  it('§13.6 cty JWT with a JSON-object payload → jwtgate token_malformed, jose accepts', async () => {
    await pin(await mint('{"alg":"HS256","cty":"JWT"}', JSON.stringify(base)), 'token_malformed')
  })
  it('§13.8 iat 31 s in the future → jwtgate token_issued_in_future, jose accepts (no maxTokenAge)', async () => {
    await pin(await mint(H, JSON.stringify({ ...base, iat: NOW + 31 })), 'token_issued_in_future')
  })
  it('DESIGN subject rule: no sub → jwtgate subject_missing, jose accepts', async () => {
    await pin(await mint(H, JSON.stringify({ ...base, sub: undefined })), 'subject_missing')
  })
  it('DESIGN kid rule: a 300-char kid → jwtgate key_not_found, jose accepts (static key)', async () => {
    await pin(
      await mint(`{"alg":"HS256","kid":"${'k'.repeat(300)}"}`, JSON.stringify(base)),
      'key_not_found',
    )
  })
  it('DESIGN nesting rule: a payload 33 deep → jwtgate token_malformed, jose accepts', async () => {
    await pin(
      await mint(
        H,
        JSON.stringify({ ...base, d: JSON.parse(`${'['.repeat(33)}${']'.repeat(33)}`) as unknown }),
      ),
      'token_malformed',
    )
  })
  it('agreement pinned: duplicate members, last one wins in both (DESIGN)', async () => {
    const t = await mint(
      '{"alg":"none","alg":"HS256"}',
      JSON.stringify(base).replace('"sub":"alice"', '"sub":"alice","sub":"admin"'),
    )
    const ours = await runJwtgate(hs(), t)
    const theirs = await runJose(hs(), t)
    expect(ours.ok && ours.claims.sub).toBe('admin')
    expect(theirs.ok && theirs.claims.sub).toBe('admin')
  })
  it('agreement pinned: BOM before the JSON is accepted by both', async () => {
    const t = await mint(`\uFEFF${H}`, `\uFEFF${JSON.stringify(base)}`)
    expect((await runJwtgate(hs(), t)).ok).toBe(true)
    expect((await runJose(hs(), t)).ok).toBe(true)
  })
})
