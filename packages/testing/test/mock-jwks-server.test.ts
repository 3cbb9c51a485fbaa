import { connect } from 'node:net'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWK,
} from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MockJwksServer, generateTestKey, type MockJwksFault } from '../src/index.js'

let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['RS256', 'ES256', 'EdDSA'] })
})
afterAll(async () => {
  await server.close()
})
afterEach(() => {
  server.clearFaults()
  server.setJwksBody(null)
  server.setDiscovery(null)
  server.resetCounts()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const jwksOf = async (res: Response) => ((await res.json()) as { keys: JWK[] }).keys

/** Sends raw bytes and collects everything the server sends until it closes the connection. */
function rawGet(url: string): Promise<Buffer> {
  const { port, pathname } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
    })
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('close', () => resolve(Buffer.concat(chunks)))
    socket.on('error', reject)
  })
}

describe('serving keys', () => {
  it('listens on 127.0.0.1 with the documented URLs', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.jwksUri).toBe(`${server.url}/.well-known/jwks.json`)
    expect(server.discoveryUrl).toBe(`${server.url}/.well-known/openid-configuration`)
    expect(server.issuer).toBe(server.url)
    expect(server.keys.map((k) => k.alg)).toEqual(['RS256', 'ES256', 'EdDSA'])
    expect(server.signingKey).toBe(server.keys[2])
  })

  it('publishes public JWKs only, with JSON content type, Cache-Control and a strong ETag', async () => {
    const res = await fetch(server.jwksUri)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('cache-control')).toBe('max-age=300')
    expect(res.headers.get('etag')).toMatch(/^"[\w-]+"$/)
    const keys = await jwksOf(res)
    expect(keys).toEqual(server.keys.map((k) => k.publicJwk))
    for (const jwk of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(member)
    }
  })

  it('server.sign tokens verify with jose through the remote key set (every key)', async () => {
    const remote = createRemoteJWKSet(new URL(server.jwksUri))
    for (const key of server.keys) {
      const token = await server.sign({ sub: key.alg }, { kid: key.kid }) // the kid picks the key
      const { payload, protectedHeader } = await jwtVerify(token, remote, { issuer: server.issuer })
      expect(payload.sub).toBe(key.alg)
      expect(protectedHeader.alg).toBe(key.alg)
    }
    const local = createLocalJWKSet({ keys: server.keys.map((k) => k.publicJwk) })
    await expect(jwtVerify(await server.sign({ sub: 'x' }), local)).resolves.toBeDefined()
  })

  it('sign: default iss and key, overrides of kid, header, claims and lifetime', async () => {
    const token = await server.sign(
      { sub: 'a' },
      { kid: 'ghost', header: { typ: 'at+jwt' }, expiresIn: null },
    )
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: 'ghost', typ: 'at+jwt' })
    expect(decodeJwt(token)).toEqual({ iss: server.issuer, sub: 'a', iat: expect.any(Number) })
    expect(decodeJwt(await server.sign({ iss: undefined }, { now: 100 }))).toEqual({
      iat: 100,
      exp: 400,
    })
  })

  it('answers If-None-Match with 304 and no body; a changed set gets a new ETag', async () => {
    const first = await fetch(server.jwksUri)
    const etag = first.headers.get('etag')!
    await first.arrayBuffer()
    const again = await fetch(server.jwksUri, { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    expect(await again.text()).toBe('')
    expect(
      (await fetch(server.jwksUri, { headers: { 'if-none-match': `W/${etag}, "x"` } })).status,
    ).toBe(304)
    expect((await fetch(server.jwksUri, { headers: { 'if-none-match': '"other"' } })).status).toBe(
      200,
    )
    const key = await server.rotate({ alg: 'ES256' })
    try {
      const changed = await fetch(server.jwksUri, { headers: { 'if-none-match': etag } })
      expect(changed.status).toBe(200)
      expect(changed.headers.get('etag')).not.toBe(etag)
      await changed.arrayBuffer()
    } finally {
      server.retire(key.kid)
    }
  })

  it('counts JWKS and discovery requests separately and records them (bounded)', async () => {
    await (await fetch(`${server.jwksUri}?x=1`, { headers: { 'x-test': 'yes' } })).arrayBuffer()
    await (await fetch(server.jwksUri, { method: 'HEAD' })).arrayBuffer()
    await (await fetch(server.discoveryUrl)).arrayBuffer()
    const notFound = await fetch(`${server.url}/nope`)
    expect(notFound.status).toBe(404)
    await notFound.arrayBuffer()
    expect(server.requestCount).toBe(2)
    expect(server.discoveryRequestCount).toBe(1)
    expect(server.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', '/.well-known/jwks.json?x=1'],
      ['HEAD', '/.well-known/jwks.json'],
      ['GET', '/.well-known/openid-configuration'],
      ['GET', '/nope'],
    ])
    expect(server.requests[0]!.headers['x-test']).toBe('yes')
    expect(server.requests[0]!.at).toBeLessThanOrEqual(Date.now())
    server.resetCounts()
    expect([server.requestCount, server.discoveryRequestCount, server.requests.length]).toEqual([
      0, 0, 0,
    ])
    const worker = async () => {
      for (let i = 0; i < 201; i++) await (await fetch(`${server.url}/x`)).arrayBuffer()
    }
    await Promise.all([worker(), worker(), worker(), worker(), worker()])
    expect(server.requests).toHaveLength(1000)
  })

  it('serves the discovery document, overridable with setDiscovery', async () => {
    const doc = await (await fetch(server.discoveryUrl)).json()
    expect(doc).toEqual({
      issuer: server.issuer,
      jwks_uri: server.jwksUri,
      token_endpoint: `${server.url}/token`,
      id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
    })
    server.setDiscovery({ issuer: 'https://other.example', jwks_uri: undefined, extra: true })
    expect(await (await fetch(server.discoveryUrl)).json()).toEqual({
      issuer: 'https://other.example',
      token_endpoint: `${server.url}/token`,
      id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
      extra: true,
    })
  })

  it('setJwksBody serves an exact value or text; null restores the generated set', async () => {
    server.setJwksBody({ keys: [] })
    expect(await (await fetch(server.jwksUri)).json()).toEqual({ keys: [] })
    server.setJwksBody('{"keys":[],"keys":[1]}')
    expect(await (await fetch(server.jwksUri)).text()).toBe('{"keys":[],"keys":[1]}')
    server.setJwksBody(null)
    expect(await jwksOf(await fetch(server.jwksUri))).toHaveLength(3)
  })
})

describe('options', () => {
  it('custom jwksPath, issuer, no Cache-Control, no ETag, ready TestKeys', async () => {
    const key = await generateTestKey('ES384', { kid: 'fixed' })
    const custom = await MockJwksServer.start({
      keys: [key],
      jwksPath: '/keys',
      issuer: 'https://issuer.example',
      cacheControl: null,
      etag: false,
    })
    try {
      expect(custom.jwksUri).toBe(`${custom.url}/keys`)
      const res = await fetch(custom.jwksUri)
      expect(res.headers.get('cache-control')).toBeNull()
      expect(res.headers.get('etag')).toBeNull()
      expect(await jwksOf(res)).toEqual([key.publicJwk])
      expect(decodeJwt(await custom.sign({})).iss).toBe('https://issuer.example')
      const doc = await (await fetch(custom.discoveryUrl)).json()
      expect(doc).toMatchObject({ issuer: 'https://issuer.example', jwks_uri: custom.jwksUri })
      expect((await fetch(`${custom.url}/.well-known/jwks.json`)).status).toBe(404)
    } finally {
      await custom.close()
    }
  })
})

describe('rotation', () => {
  it('rotate publishes a new signing key; retire: true drops the older ones; publish and retire', async () => {
    const s = await MockJwksServer.start({ keys: ['ES256', 'ES256'] })
    try {
      const [a, b] = s.keys as [typeof s.signingKey, typeof s.signingKey]
      const c = await s.rotate()
      expect(c.alg).toBe('ES256')
      expect(s.keys).toEqual([a, b, c])
      expect(s.signingKey).toBe(c)
      expect(decodeProtectedHeader(await s.sign({})).kid).toBe(c.kid)

      const d = await s.rotate({ alg: 'PS256', kid: 'd', retire: [a.kid] })
      expect(d.kid).toBe('d')
      expect(s.keys.map((k) => k.kid)).toEqual([b.kid, c.kid, 'd'])
      expect((await jwksOf(await fetch(s.jwksUri))).map((k) => k.kid)).toEqual([b.kid, c.kid, 'd'])

      expect(s.retire(c.kid)).toBe(true)
      expect(s.retire('unknown')).toBe(false)
      s.publish(a)
      expect(s.keys).toEqual([b, d, a])
      s.publish(b)
      expect(s.keys).toEqual([d, a, b])

      const e = await s.rotate({ retire: true })
      expect(s.keys).toEqual([e])
      expect(e.alg).toBe('ES256')
      expect(await jwksOf(await fetch(s.jwksUri))).toEqual([e.publicJwk])
      // A token of a retired key no longer verifies through the remote set.
      const remote = createRemoteJWKSet(new URL(s.jwksUri))
      await expect(jwtVerify(await s.sign({}, { key: a }), remote)).rejects.toMatchObject({
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      })
      await expect(jwtVerify(await s.sign({}), remote)).resolves.toBeDefined()

      s.retire(e.kid)
      expect(() => s.signingKey).toThrow(/no key/)
      expect(await jwksOf(await fetch(s.jwksUri))).toEqual([])
    } finally {
      await s.close()
    }
  })
})

describe('faults', () => {
  it('delay: answers normally after at least ms', async () => {
    server.injectFault({ type: 'delay', ms: 150 })
    const started = performance.now()
    const res = await fetch(server.jwksUri)
    expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    expect(await jwksOf(res)).toHaveLength(3)
  })

  it('status: 500, 404, 204, 429 with Retry-After and custom bodies', async () => {
    server.injectFault({ type: 'status', status: 500 }, { times: 1 })
    server.injectFault({ type: 'status', status: 404, body: 'gone' }, { times: 1 })
    server.injectFault({ type: 'status', status: 204 }, { times: 1 })
    server.injectFault(
      { type: 'status', status: 429, headers: { 'retry-after': '120' }, body: { e: 1 } },
      { times: 1 },
    )
    const r500 = await fetch(server.jwksUri)
    expect(r500.status).toBe(500)
    expect(await r500.json()).toMatchObject({ status: 500 })
    const r404 = await fetch(server.jwksUri)
    expect([r404.status, await r404.text()]).toEqual([404, 'gone'])
    const r204 = await fetch(server.jwksUri)
    expect([r204.status, await r204.text()]).toEqual([204, ''])
    const r429 = await fetch(server.jwksUri)
    expect(r429.status).toBe(429)
    expect(r429.headers.get('retry-after')).toBe('120')
    expect(await r429.json()).toEqual({ e: 1 })
    expect((await fetch(server.jwksUri)).status).toBe(200)
    expect(server.requestCount).toBe(5)
  })

  it('times: faults are consumed in order; without times a fault stays until cleared', async () => {
    server.injectFault({ type: 'status', status: 502 }, { times: 2 })
    server.injectFault({ type: 'status', status: 503 })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await fetch(server.jwksUri)).status)
    expect(statuses).toEqual([502, 502, 503, 503])
    server.clearFaults()
    expect((await fetch(server.jwksUri)).status).toBe(200)
    expect(() => server.injectFault({ type: 'nope' } as unknown as MockJwksFault)).toThrow(
      TypeError,
    )
    expect(() => server.injectFault({ type: 'hang' }, { times: 0 })).toThrow(TypeError)
  })

  it('faults on the discovery path leave the JWKS path alone', async () => {
    server.injectFault({ type: 'status', status: 500 }, { path: 'discovery' })
    expect((await fetch(server.discoveryUrl)).status).toBe(500)
    expect((await fetch(server.jwksUri)).status).toBe(200)
    expect(server.discoveryRequestCount).toBe(1)
  })

  it('invalid-json and html', async () => {
    server.injectFault({ type: 'invalid-json' }, { times: 1 })
    server.injectFault({ type: 'html' }, { times: 1 })
    server.injectFault({ type: 'html', status: 503 }, { times: 1 })
    const bad = await fetch(server.jwksUri)
    expect(bad.status).toBe(200)
    expect(await bad.text()).toBe('{"keys": [')
    const html = await fetch(server.jwksUri)
    expect(html.status).toBe(200)
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await html.text()).toMatch(/<html>.*Service Unavailable/s)
    expect((await fetch(server.jwksUri)).status).toBe(503)
  })

  it('oversized with Content-Length: exact size declared and sent; the real keys are still inside', async () => {
    server.injectFault({ type: 'oversized', bytes: 300_000, mode: 'content-length' }, { times: 1 })
    const res = await fetch(server.jwksUri)
    expect(res.headers.get('content-length')).toBe('300000')
    const text = await res.text()
    expect(text).toHaveLength(300_000)
    expect((JSON.parse(text) as { keys: JWK[] }).keys).toHaveLength(3)
    expect(server.lastBytesWritten).toBe(300_000)
  })

  it('oversized chunked: no Content-Length; stops writing when the client aborts', async () => {
    server.injectFault({ type: 'oversized', bytes: 200_000, mode: 'chunked' }, { times: 1 })
    const res = await fetch(server.jwksUri)
    expect(res.headers.get('content-length')).toBeNull()
    expect(res.headers.get('transfer-encoding')).toBe('chunked')
    expect(await res.text()).toHaveLength(200_000)

    server.injectFault({ type: 'oversized', bytes: 100_000_000, mode: 'chunked' }, { times: 1 })
    const controller = new AbortController()
    const big = await fetch(server.jwksUri, { signal: controller.signal })
    const reader = big.body!.getReader()
    let read = 0
    while (read < 64 * 1024) {
      const chunk = (await reader.read()).value as Uint8Array | undefined
      read += chunk?.length ?? 0
    }
    controller.abort()
    await sleep(200)
    const written = server.lastBytesWritten
    expect(written).toBeGreaterThan(0)
    expect(written).toBeLessThan(30_000_000)
    await sleep(100)
    expect(server.lastBytesWritten).toBe(written)
  })

  it('oversized lying-length: declares 100 bytes, sends all of them', async () => {
    server.injectFault({ type: 'oversized', bytes: 50_000, mode: 'lying-length' }, { times: 1 })
    const raw = await rawGet(server.jwksUri)
    const headEnd = raw.indexOf('\r\n\r\n')
    expect(raw.subarray(0, headEnd).toString()).toMatch(/\r\ncontent-length: 100\r\n/i)
    expect(raw.length - headEnd - 4).toBe(50_000)
    expect(server.lastBytesWritten).toBe(50_000)
    // A fetch client reads the declared 100 bytes: a truncated document.
    server.injectFault({ type: 'oversized', bytes: 50_000, mode: 'lying-length' }, { times: 1 })
    const text = await (await fetch(server.jwksUri)).text()
    expect(text).toHaveLength(100)
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError)
  })

  it('junk-keys: the real keys plus count well-formed RSA JWKs with distinct kids', async () => {
    server.injectFault({ type: 'junk-keys', count: 20 })
    const keys = await jwksOf(await fetch(server.jwksUri))
    expect(keys).toHaveLength(23)
    expect(keys.slice(0, 3)).toEqual(server.keys.map((k) => k.publicJwk))
    const junk = keys.slice(3)
    expect(new Set(keys.map((k) => k.kid)).size).toBe(23)
    for (const k of junk)
      expect(k).toMatchObject({ kty: 'RSA', e: 'AQAB', n: expect.any(String), use: 'sig' })
    expect(createLocalJWKSet({ keys })).toBeTypeOf('function')
  })

  it('trickle: headers at once, then the body byte by byte', async () => {
    server.injectFault({ type: 'trickle', intervalMs: 10, bytes: 15 }, { times: 1 })
    const started = performance.now()
    const res = await fetch(server.jwksUri)
    const headersAfter = performance.now() - started
    expect(res.headers.get('content-length')).toBe('15')
    const text = await res.text()
    const bodyAfter = performance.now() - started
    expect(text).toBe(JSON.stringify({ keys: server.keys.map((k) => k.publicJwk) }).slice(0, 15))
    expect(headersAfter).toBeLessThan(100)
    expect(bodyAfter).toBeGreaterThanOrEqual(140)
    expect(server.lastBytesWritten).toBe(15)
  })

  it('trickle without bytes sends the whole real set, and stops when the client aborts', async () => {
    server.injectFault({ type: 'trickle', intervalMs: 5 })
    const res = await fetch(server.jwksUri, { signal: AbortSignal.timeout(100) })
    await expect(res.text()).rejects.toThrow()
    await sleep(20)
    const written = server.lastBytesWritten
    expect(written).toBeGreaterThan(0)
    await sleep(60)
    expect(server.lastBytesWritten).toBe(written)
  })

  it.each([undefined, 20])(
    'reset (afterBytes %s): the client sees a broken response',
    async (afterBytes) => {
      server.injectFault(
        afterBytes === undefined ? { type: 'reset' } : { type: 'reset', afterBytes },
        { times: 1 },
      )
      await expect(fetch(server.jwksUri).then((r) => r.text())).rejects.toThrow(TypeError)
      expect(server.lastBytesWritten).toBe(afterBytes ?? 0)
      const raw = await (server.injectFault(
        { type: 'reset', afterBytes: afterBytes ?? 0 },
        { times: 1 },
      ),
      rawGet(server.jwksUri))
      const headEnd = raw.indexOf('\r\n\r\n')
      expect(raw.subarray(0, headEnd).toString()).toMatch(/^HTTP\/1\.1 200 OK/)
      expect(raw.length - headEnd - 4).toBe(afterBytes ?? 0)
    },
  )

  it('hang: never answers; the client times out', async () => {
    server.injectFault({ type: 'hang' }, { times: 1 })
    await expect(fetch(server.jwksUri, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject(
      { name: 'TimeoutError' },
    )
    expect(server.requestCount).toBe(1)
    expect((await fetch(server.jwksUri)).status).toBe(200)
  })

  it('redirect: 302 by default, or the given status, with Location', async () => {
    server.injectFault(
      { type: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' },
      { times: 1 },
    )
    server.injectFault({ type: 'redirect', location: '/elsewhere', status: 307 }, { times: 1 })
    const r1 = await fetch(server.jwksUri, { redirect: 'manual' })
    expect(r1.status).toBe(302)
    expect(r1.headers.get('location')).toBe('http://169.254.169.254/latest/meta-data/')
    const r2 = await fetch(server.jwksUri, { redirect: 'manual' })
    expect([r2.status, r2.headers.get('location')]).toEqual([307, '/elsewhere'])
  })

  it('gzip: a small compressed body inflating to bytes of JSON text', async () => {
    server.injectFault({ type: 'gzip', bytes: 5_000_000 }, { times: 1 })
    const res = await fetch(server.jwksUri)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    const text = await res.text() // fetch inflates
    expect(text).toHaveLength(5_000_000)
    expect((JSON.parse(text) as { keys: JWK[] }).keys).toHaveLength(3)
    expect(server.lastBytesWritten).toBeGreaterThan(0)
    expect(server.lastBytesWritten).toBeLessThan(100_000)
  })
})

describe('close()', () => {
  it('destroys open sockets (hung and keep-alive); afterwards a connection is refused', async () => {
    const s = await MockJwksServer.start({ keys: ['ES256'] })
    const port = Number(new URL(s.url).port)
    await (await fetch(s.jwksUri)).arrayBuffer() // leaves a keep-alive socket
    s.injectFault({ type: 'hang' })
    const outcome = (url: string) =>
      fetch(url).then(
        () => 'answered',
        (e: unknown) => e,
      )
    const hung = outcome(s.jwksUri)
    s.injectFault({ type: 'delay', ms: 10_000 }, { path: 'discovery' })
    const delayed = outcome(s.discoveryUrl)
    await sleep(50)
    const started = performance.now()
    await s.close()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await hung).toBeInstanceOf(TypeError)
    expect(await delayed).toBeInstanceOf(TypeError)
    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.on('connect', () => {
        socket.destroy()
        resolve('connected')
      })
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code))
    })
    expect(refused).toBe('ECONNREFUSED')
    await s.close() // idempotent
  })
})
