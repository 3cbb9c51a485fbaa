// Load with rotation (`pnpm test:load`, never in the default run). For LOAD_DURATION_S (20 s):
// - autocannon sends valid tokens to the Fastify adapter, always signed with the IdP's current key;
// - the IdP (MockJwksServer) rotates every ROTATE_MS (2 s): each key is published OVERLAP_MS
//   before the IdP starts signing with it and retired OVERLAP_MS after it stops (OIDC Core
//   §10.1.1 pre-publication);
// - a second autocannon floods random kids and forged tokens (attacker key under a real kid,
//   alg none, HS256 keyed with the published JWK, tampered payloads).
// Asserted: zero non-2xx for valid tokens after the overlap window, zero forged tokens accepted,
// IdP fetch count within the refresh rate limit. The figures are printed for the report.
import { createHmac, randomUUID } from 'node:crypto'
import autocannon, { type Result } from 'autocannon'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { jwtAuth } from '@jwtgate/fastify'
import {
  algNoneToken,
  generateTestKey,
  mintToken,
  MockJwksServer,
  tamperPayload,
  type TestKey,
} from '@jwtgate/testing'

const DURATION_S = Number(process.env.LOAD_DURATION_S ?? 20)
const ROTATE_MS = 2000
const RATE_WINDOW_MS = 10_000
const RATE_COUNT = 10
/** Pre-publication and retirement lead; one rate-limit window plus one rotation of margin. */
const OVERLAP_MS = Number(process.env.LOAD_OVERLAP_MS ?? RATE_WINDOW_MS + ROTATE_MS)
const AUD = 'load-api'

let idp: MockJwksServer
let app: FastifyInstance
let url: string
const publishedAt = new Map<string, number>()
/** Keys in signing order; keys[signing] signs now. */
const keys: TestKey[] = []
let signing = 0
const tokens = new Map<string, string>()
let attacker: TestKey
const events = new Map<string, number>()

/** Server-side tally: client ('valid' | 'flood') → status → count; plus valid failures by key age. */
const tally = { valid: new Map<number, number>(), flood: new Map<number, number>() }
const validFailures: { status: number; kid: string; keyAgeMs: number }[] = []

async function tokenFor(key: TestKey): Promise<string> {
  let t = tokens.get(key.kid)
  if (t === undefined) {
    t = await mintToken({
      key,
      claims: { sub: 'load-user', aud: AUD, iss: idp.issuer },
      expiresIn: 600,
    })
    tokens.set(key.kid, t)
  }
  return t
}

beforeAll(async () => {
  const needed = Math.ceil((DURATION_S * 1000) / ROTATE_MS) + Math.ceil(OVERLAP_MS / ROTATE_MS) + 3
  for (let i = 0; i < needed; i++) keys.push(await generateTestKey('ES256', { kid: `es-${i}` }))
  attacker = await generateTestKey('ES256', { kid: 'attacker' })
  const ahead = Math.ceil(OVERLAP_MS / ROTATE_MS)
  const first = keys[0]
  if (first === undefined) throw new Error('no keys')
  idp = await MockJwksServer.start({ keys: [first], cacheControl: 'max-age=30' })
  publishedAt.set(first.kid, Date.now() - OVERLAP_MS)
  for (let i = 1; i <= ahead; i++) {
    const k = keys[i]
    if (k !== undefined) {
      idp.publish(k)
      publishedAt.set(k.kid, Date.now())
    }
  }
  for (const k of keys) await tokenFor(k)

  app = Fastify()
  await app.register(jwtAuth, {
    jwksUri: idp.jwksUri,
    requiredAudience: AUD,
    refreshRateLimitTimeWindowMs: RATE_WINDOW_MS,
    refreshRateLimitCount: RATE_COUNT,
    onEvent: (e) => events.set(e.type, (events.get(e.type) ?? 0) + 1),
  })
  app.addHook('onResponse', (request, reply, done) => {
    const header = request.headers['x-client']
    if (header !== 'valid' && header !== 'flood') {
      done() // the warm-up request
      return
    }
    const client = header
    const m = tally[client]
    m.set(reply.statusCode, (m.get(reply.statusCode) ?? 0) + 1)
    if (client === 'valid' && reply.statusCode !== 200) {
      const kid = String(request.headers['x-kid'])
      validFailures.push({
        status: reply.statusCode,
        kid,
        keyAgeMs: Date.now() - (publishedAt.get(kid) ?? 0),
      })
    }
    done()
  })
  app.get('/me', (request) => ({ sub: request.auth?.subject }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}, 120_000)

afterAll(async () => {
  await app.close()
  await idp.close()
})

function rotate(): void {
  signing++
  const ahead = Math.ceil(OVERLAP_MS / ROTATE_MS)
  const next = keys[signing + ahead]
  if (next !== undefined) {
    idp.publish(next)
    publishedAt.set(next.kid, Date.now())
  }
  // retire the key that stopped signing OVERLAP_MS ago
  const old = keys[signing - 1 - ahead]
  if (old !== undefined) idp.retire(old.kid)
}

it(`SEC-131/132/139 ${DURATION_S} s of valid traffic with rotation every ${ROTATE_MS} ms and a random-kid / forged flood`, async () => {
  const current = keys[0]
  if (current === undefined) throw new Error('no keys')
  // warm up: the first fetch has happened at start-up
  expect(
    (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${await tokenFor(current)}` } }))
      .status,
  ).toBe(200)
  idp.resetCounts()

  // Forged tokens: built once, picked at random by the flood client.
  const real = keys[0] as TestKey
  const forged: string[] = []
  for (let i = 0; i < 200; i++) {
    forged.push(
      await mintToken({
        key: attacker,
        kid: `rnd-${randomUUID()}`,
        claims: { sub: 'x', aud: AUD, iss: idp.issuer },
      }),
    )
  }
  for (let i = 0; i < 20; i++) {
    forged.push(
      await mintToken({
        key: attacker,
        kid: keys[i]?.kid ?? 'es-0',
        claims: { sub: 'admin', aud: AUD, iss: idp.issuer },
      }),
    )
  }
  forged.push(algNoneToken({ sub: 'admin', aud: AUD }, 'none', { kid: real.kid }))
  const hsInput = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: real.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'admin', aud: AUD })).toString('base64url')}`
  forged.push(
    `${hsInput}.${createHmac('sha256', JSON.stringify(real.publicJwk)).update(hsInput).digest('base64url')}`,
  )
  forged.push(tamperPayload(await tokenFor(real), { sub: 'admin', aud: AUD, exp: 9_999_999_999 }))

  const started = Date.now()
  const timer = setInterval(rotate, ROTATE_MS)
  let validResult: Result
  let floodResult: Result
  try {
    ;[validResult, floodResult] = await Promise.all([
      autocannon({
        url: `${url}/me`,
        connections: 8,
        duration: DURATION_S,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const k = keys[signing] ?? current
              return {
                ...req,
                headers: {
                  ...req.headers,
                  authorization: `Bearer ${tokens.get(k.kid) ?? ''}`,
                  'x-client': 'valid',
                  'x-kid': k.kid,
                },
              }
            },
          },
        ],
      }),
      autocannon({
        url: `${url}/me`,
        connections: 4,
        duration: DURATION_S,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const t = forged[Math.floor(Math.random() * forged.length)] ?? ''
              return {
                ...req,
                headers: { ...req.headers, authorization: `Bearer ${t}`, 'x-client': 'flood' },
              }
            },
          },
        ],
      }),
    ])
  } finally {
    clearInterval(timer)
  }
  const elapsedMs = Date.now() - started
  const fetches = idp.requestCount
  // Initial fetch is before resetCounts; budgeted refreshes per window; lifetime refreshes (≥ 30 s).
  const maxFetches =
    RATE_COUNT * (Math.ceil(elapsedMs / RATE_WINDOW_MS) + 1) + Math.ceil(elapsedMs / 30_000) + 1
  const validAfterWindow = validFailures.filter((f) => f.keyAgeMs >= OVERLAP_MS)
  const figures = {
    durationS: DURATION_S,
    rotations: signing,
    overlapMs: OVERLAP_MS,
    valid: {
      requests: validResult.requests.total,
      rps: Math.round(validResult.requests.average),
      latencyMs: {
        p50: validResult.latency.p50,
        p99: validResult.latency.p99,
        max: validResult.latency.max,
      },
      statuses: Object.fromEntries(tally.valid),
      non2xxTotal: validFailures.length,
      non2xxAfterOverlap: validAfterWindow.length,
      errors: validResult.errors,
    },
    flood: {
      requests: floodResult.requests.total,
      rps: Math.round(floodResult.requests.average),
      statuses: Object.fromEntries(tally.flood),
      accepted2xx: tally.flood.get(200) ?? 0,
    },
    idp: {
      fetches,
      maxAllowed: maxFetches,
      rateLimitedEvents: events.get('jwks.rate_limited') ?? 0,
    },
    events: Object.fromEntries(events),
  }
  console.log(`load figures: ${JSON.stringify(figures, null, 2)}`)
  if (validFailures.length > 0)
    console.log('valid failures (first 10):', validFailures.slice(0, 10))

  expect(validResult.requests.total).toBeGreaterThan(1000)
  expect(floodResult.requests.total).toBeGreaterThan(1000)
  expect(validAfterWindow).toEqual([])
  expect(tally.flood.get(200) ?? 0).toBe(0)
  expect(fetches).toBeLessThanOrEqual(maxFetches)
  expect(signing).toBeGreaterThanOrEqual(Math.floor((DURATION_S * 1000) / ROTATE_MS) - 1)
}, 180_000)
