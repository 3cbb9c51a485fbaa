// Micro-benchmark: the same tokens through the raw node:crypto floor, @jwtgate/core (token cache
// off and on), jose, fast-jwt (cache off and on) and jsonwebtoken, per algorithm.
//
// The floor is the fastest way node:crypto verifies the signature on this runtime: for ECDSA the
// better of R‖S given as `ieee-p1363` and R‖S converted to DER in JavaScript (Node 24's p1363
// path is about a third slower than its DER path), so that a runtime regression shows up as a
// gap to the floor rather than as a slower floor.
import {
  constants,
  createHmac,
  createSecretKey,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto'
import { createStaticAuthenticator, type AuthRequest } from '@jwtgate/core'
import { createVerifier } from 'fast-jwt'
import { importSPKI, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { median, pairedRatio, throughputAsync, throughputSync, type Op } from './measure.js'
import { ALGS, AUD, ISS, makeKey, mintMany, tampered, type Alg, type BenchKey } from './tokens.js'

/** Contender names, in table order. */
export const CONTENDERS = [
  'raw node:crypto',
  'raw node:crypto (DER)',
  'jwtgate',
  'jwtgate (cache)',
  'fast-jwt',
  'fast-jwt (cache)',
  'jose',
  'jsonwebtoken',
] as const
/** One contender. */
export type Contender = (typeof CONTENDERS)[number]

/** One cell of the micro-benchmark table. */
export interface MicroResult {
  alg: Alg
  contender: Contender
  /** Operations per second (median of the rounds), or null when the library cannot verify `alg`. */
  opsPerSec: number | null
  /** Microseconds per operation. */
  usPerOp: number | null
  /** opsPerSec / the floor's opsPerSec (the faster of the raw node:crypto rows). */
  ratioToRaw: number | null
  /** This row is the floor of its algorithm. */
  floor?: boolean
  /**
   * jwtgate and fast-jwt (uncached): speed against the floor measured in alternating pairs of
   * short batches (`pairedRatio`), what the "× floor" targets use.
   */
  pairedToFloor?: number
  /** jwtgate (uncached): speed against fast-jwt, measured in pairs the same way. */
  pairedToFastJwt?: number
  /** Why a contender was skipped. */
  note?: string
}

interface Runner {
  contender: Contender
  async: boolean
  op: Op
  /** Called once with a valid and a tampered token: must accept the first, refuse the second. */
  check: (valid: string, bad: string) => Promise<void>
}

const TOKENS = 1024 // distinct tokens per algorithm; a power of two for the index mask
const MASK = TOKENS - 1

/**
 * R‖S (two 32-byte halves) as a minimal DER SEQUENCE of two INTEGERs, in one allocation: the
 * cheapest JavaScript conversion, so that the DER floor is not held back by its own overhead.
 */
function p1363ToDer(sig: Buffer): Buffer {
  const half = sig.length >> 1
  let r = 0
  while (r < half - 1 && sig[r] === 0) r++
  let s = half
  while (s < sig.length - 1 && sig[s] === 0) s++
  const rPad = (sig[r] as number) >> 7
  const sPad = (sig[s] as number) >> 7
  const rLen = half - r + rPad
  const sLen = sig.length - s + sPad
  const out = Buffer.allocUnsafe(6 + rLen + sLen)
  out[0] = 0x30
  out[1] = 4 + rLen + sLen
  out[2] = 0x02
  out[3] = rLen
  out[4] = 0
  sig.copy(out, 4 + rPad, r, half)
  const o = 4 + rLen
  out[o] = 0x02
  out[o + 1] = sLen
  out[o + 2] = 0
  sig.copy(out, o + 2 + sPad, s)
  return out
}

/**
 * The floor: split, verify the signature with node:crypto, decode and JSON.parse the payload.
 * `der`: ECDSA R‖S converted to DER first (verified with `dsaEncoding: 'der'`).
 */
function rawVerifier(key: BenchKey, der = false): (token: string) => Record<string, unknown> {
  // HMAC with the secret as a KeyObject, made once: on Node 24.21 `createHmac` with a raw Buffer
  // secret costs about 4.8× as much (measured 2026-11), and the floor is the fastest way.
  const hmacKey = key.secret === undefined ? undefined : createSecretKey(key.secret)
  const verifyOne =
    hmacKey !== undefined
      ? (input: string, sig: Buffer) => {
          const mac = createHmac('sha256', hmacKey).update(input).digest()
          return mac.length === sig.length && timingSafeEqual(mac, sig)
        }
      : key.alg === 'RS256'
        ? (input: string, sig: Buffer) => verify('sha256', Buffer.from(input), key.verifyKey, sig)
        : key.alg === 'PS256'
          ? (input: string, sig: Buffer) =>
              verify(
                'sha256',
                Buffer.from(input),
                {
                  key: key.verifyKey as KeyObject,
                  padding: constants.RSA_PKCS1_PSS_PADDING,
                  saltLength: 32,
                },
                sig,
              )
          : key.alg === 'ES256'
            ? der
              ? (input: string, sig: Buffer) =>
                  verify(
                    'sha256',
                    Buffer.from(input),
                    { key: key.verifyKey as KeyObject, dsaEncoding: 'der' },
                    p1363ToDer(sig),
                  )
              : (input: string, sig: Buffer) =>
                  verify(
                    'sha256',
                    Buffer.from(input),
                    { key: key.verifyKey as KeyObject, dsaEncoding: 'ieee-p1363' },
                    sig,
                  )
            : (input: string, sig: Buffer) => verify(null, Buffer.from(input), key.verifyKey, sig)
  return (token) => {
    const d1 = token.indexOf('.')
    const d2 = token.lastIndexOf('.')
    if (!verifyOne(token.slice(0, d2), Buffer.from(token.slice(d2 + 1), 'base64url'))) {
      throw new Error('invalid signature')
    }
    return JSON.parse(Buffer.from(token.slice(d1 + 1, d2), 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >
  }
}

async function expectRefusal(fn: () => unknown): Promise<void> {
  let refused = false
  try {
    await fn()
  } catch {
    refused = true
  }
  if (!refused) throw new Error('accepted a tampered token')
}

async function runners(key: BenchKey, tokens: readonly string[]): Promise<Runner[]> {
  const requests: AuthRequest[] = tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }))
  const request = (t: string): AuthRequest => ({ headers: { authorization: `Bearer ${t}` } })
  const options = { signingKey: key.signingKey, requiredAudience: AUD, requiredIssuer: ISS }
  const off = createStaticAuthenticator({ ...options, tokenCache: false })
  const on = createStaticAuthenticator(options)
  // What the adapters call: synchronous with static keys (`authenticate` wraps it in a Promise,
  // and core's tests prove the two agree).
  const offNow = off.authenticateNow?.bind(off)
  const onNow = on.authenticateNow?.bind(on)
  if (offNow === undefined || onNow === undefined) throw new Error('authenticateNow is missing')
  const raw = rawVerifier(key)
  const fastKey = key.secret ?? key.publicPem
  const fastOff: (token: string) => unknown = createVerifier({
    key: fastKey,
    algorithms: [key.alg],
    allowedAud: AUD,
    allowedIss: ISS,
  })
  const fastOn: (token: string) => unknown = createVerifier({
    key: fastKey,
    algorithms: [key.alg],
    allowedAud: AUD,
    allowedIss: ISS,
    cache: 10_000,
  })
  const joseKey =
    key.secret !== undefined
      ? new Uint8Array(key.secret)
      : await importSPKI(key.publicPem as string, key.alg)
  const joseOptions = { algorithms: [key.alg], audience: AUD, issuer: ISS }
  const jwtOptions: jsonwebtoken.VerifyOptions = {
    algorithms: [key.alg as jsonwebtoken.Algorithm],
    audience: AUD,
    issuer: ISS,
  }
  const t = (i: number): string => tokens[i & MASK] as string
  /**
   * One contender: `verify` must accept the valid token and refuse the tampered one before it is
   * timed; `op` defaults to `verify` over the token list; `fill` runs after the check (caches).
   */
  const runner = (
    contender: Contender,
    verify: (token: string) => unknown,
    more: { async?: boolean; op?: Op; fill?: () => void } = {},
  ): Runner => ({
    contender,
    async: more.async ?? false,
    op: more.op ?? ((i) => verify(t(i))),
    check: async (v, b) => {
      await verify(v)
      await expectRefusal(() => verify(b))
      more.fill?.()
    },
  })
  return [
    runner('raw node:crypto', raw),
    ...(key.alg === 'ES256' ? [runner('raw node:crypto (DER)', rawVerifier(key, true))] : []),
    // Prebuilt request objects, so the timed loop allocates none.
    runner('jwtgate', (tok) => offNow(request(tok)), {
      op: (i) => offNow(requests[i & MASK] as AuthRequest),
    }),
    runner('jwtgate (cache)', (tok) => onNow(request(tok)), {
      op: (i) => onNow(requests[i & MASK] as AuthRequest),
      fill: () => {
        for (const r of requests) void onNow(r) // the run measures hits
      },
    }),
    runner('fast-jwt', fastOff),
    runner('fast-jwt (cache)', fastOn, {
      fill: () => {
        for (const token of tokens) fastOn(token)
      },
    }),
    runner('jose', (tok) => jwtVerify(tok, joseKey, joseOptions), { async: true }),
    runner('jsonwebtoken', (tok) => jsonwebtoken.verify(tok, key.publicPem, jwtOptions)),
  ]
}

/** A full collection, when the process runs with --expose-gc (as `pnpm bench` does). */
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

/** Settings of one micro-benchmark run. */
export interface MicroSettings {
  /** Interleaved rounds; each contender's figure is the median. */
  rounds: number
  /** Milliseconds per contender per round. */
  ms: number
  log: (line: string) => void
}

/** Runs the micro-benchmark for every algorithm. */
export async function runMicro(settings: MicroSettings): Promise<MicroResult[]> {
  const results: MicroResult[] = []
  for (const alg of ALGS) {
    const key = makeKey(alg)
    const tokens = mintMany(key, TOKENS)
    const valid = tokens[0] as string
    const bad = tampered(valid)
    const usable: Runner[] = []
    const skipped = new Map<Contender, string>()
    for (const r of await runners(key, tokens)) {
      try {
        await r.check(valid, bad)
        usable.push(r)
      } catch (err) {
        skipped.set(r.contender, err instanceof Error ? err.message : String(err))
      }
    }
    const samples = new Map<Contender, number[]>()
    for (const r of usable) {
      // warm-up (JIT), not recorded
      if (r.async) await throughputAsync(r.op, Math.min(200, settings.ms))
      else throughputSync(r.op, Math.min(200, settings.ms))
    }
    for (let round = 0; round < settings.rounds; round++) {
      // The order rotates every round, and each slice starts on a collected heap, so that no
      // contender pays for the garbage of the one before it.
      const order = [
        ...usable.slice(round % usable.length),
        ...usable.slice(0, round % usable.length),
      ]
      for (const r of order) {
        collectGarbage()
        const ops = r.async
          ? await throughputAsync(r.op, settings.ms)
          : throughputSync(r.op, settings.ms)
        const list = samples.get(r.contender) ?? []
        list.push(ops)
        samples.set(r.contender, list)
      }
    }
    // The floor: the fastest raw row.
    let floorName: Contender = 'raw node:crypto'
    for (const name of ['raw node:crypto (DER)'] as const) {
      const s = samples.get(name)
      if (s !== undefined && median(s) > median(samples.get(floorName) ?? [0])) floorName = name
    }
    const rawOps = median(samples.get(floorName) ?? [Number.NaN])
    // The targets' ratios, measured in pairs (see pairedRatio): jwtgate and fast-jwt against the
    // floor, and jwtgate against fast-jwt.
    const byName = (c: Contender): Runner | undefined => usable.find((r) => r.contender === c)
    const floorRunner = byName(floorName)
    const paired = new Map<Contender, { floor?: number; fast?: number }>()
    const pairMs = settings.ms * 2
    const jwtgate = byName('jwtgate')
    const fastJwt = byName('fast-jwt')
    for (const r of [jwtgate, fastJwt]) {
      if (r === undefined || floorRunner === undefined) continue
      collectGarbage()
      paired.set(r.contender, { floor: pairedRatio(floorRunner.op, r.op, pairMs) })
    }
    if (jwtgate !== undefined && fastJwt !== undefined) {
      collectGarbage()
      const entry = paired.get('jwtgate') ?? {}
      entry.fast = pairedRatio(fastJwt.op, jwtgate.op, pairMs)
      paired.set('jwtgate', entry)
    }
    for (const contender of CONTENDERS) {
      const s = samples.get(contender)
      if (s === undefined && !skipped.has(contender) && contender.startsWith('raw node:crypto ('))
        continue // a floor variant this algorithm does not have
      const ops = s === undefined ? null : median(s)
      const row: MicroResult = {
        alg,
        contender,
        opsPerSec: ops,
        usPerOp: ops === null ? null : 1e6 / ops,
        ratioToRaw: ops === null ? null : ops / rawOps,
      }
      const note = skipped.get(contender)
      if (note !== undefined) row.note = note
      if (contender === floorName) row.floor = true
      const pair = paired.get(contender)
      if (pair?.floor !== undefined) row.pairedToFloor = pair.floor
      if (pair?.fast !== undefined) row.pairedToFastJwt = pair.fast
      results.push(row)
      settings.log(
        `  ${alg.padEnd(6)} ${contender.padEnd(21)} ${
          ops === null
            ? `n/a (${note ?? ''})`
            : `${Math.round(ops).toLocaleString('en-US').padStart(10)} ops/s  ${(1e6 / ops).toFixed(2).padStart(7)} µs  ${(ops / rawOps).toFixed(2)}× floor${contender === floorName ? ' (floor)' : ''}${pair?.floor === undefined ? '' : `  paired: ${pair.floor.toFixed(3)}× floor`}${pair?.fast === undefined ? '' : `, ${pair.fast.toFixed(3)}× fast-jwt`}`
        }`,
      )
    }
  }
  return results
}
