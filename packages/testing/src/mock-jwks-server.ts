import { createHash, randomBytes } from 'node:crypto'
import { createServer as createHttpServer, STATUS_CODES } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { Writable } from 'node:stream'
import { createGzip } from 'node:zlib'
import type { JWK } from 'jose'
import { generateTestKey } from './keys.js'
import type { TestKey, TestKeyAlgorithm } from './keys.js'
import { mintToken } from './mint-token.js'

/**
 * A misbehaviour {@link MockJwksServer.injectFault} makes the server show on the JWKS (or
 * discovery) path. Each variant is observable from a plain `fetch` client.
 */
export type MockJwksFault =
  /** Wait `ms` milliseconds, then answer normally. */
  | { type: 'delay'; ms: number }
  /** Answer with this status (500, 404, 429, 204, …); `body` is an object (JSON) or exact text. */
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** `200 application/json` with the truncated body `{"keys": [`. */
  | { type: 'invalid-json' }
  /** An HTML error page (`text/html`), status 200 unless `status` is given. */
  | { type: 'html'; status?: number }
  /**
   * A body of exactly `bytes` bytes: the real key set followed by JSON whitespace. `content-length`
   * declares the size, `chunked` sends no Content-Length, `lying-length` declares 100 bytes and
   * sends `bytes`. Streamed in 16 KiB chunks; writing stops when the client goes away.
   */
  | { type: 'oversized'; bytes: number; mode: 'content-length' | 'chunked' | 'lying-length' }
  /** The real keys plus `count` well-formed RSA JWKs with random `kid`s. */
  | { type: 'junk-keys'; count: number }
  /**
   * Headers at once, then the body one byte every `intervalMs` (slow-loris). `bytes` sets the
   * body length (the real key set, cut or padded with whitespace); default: the real key set.
   */
  | { type: 'trickle'; intervalMs: number; bytes?: number }
  /** Headers (declaring the full length) and `afterBytes` body bytes, then the socket is destroyed. */
  | { type: 'reset'; afterBytes?: number }
  /** Accept the request and never answer (the socket is closed by {@link MockJwksServer.close}). */
  | { type: 'hang' }
  /** A redirect (302 unless `status` is given) to `location`. */
  | { type: 'redirect'; location: string; status?: number }
  /** `Content-Encoding: gzip` body that inflates to `bytes` bytes of JSON-ish text (a compression bomb). */
  | { type: 'gzip'; bytes: number }

/** Options of {@link MockJwksServer.injectFault}. */
export interface InjectFaultOptions {
  /**
   * How many requests the fault applies to; each request consumes one.
   * @defaultValue until {@link MockJwksServer.clearFaults} is called
   */
  times?: number
  /**
   * Which endpoint misbehaves.
   * @defaultValue `'jwks'`
   */
  path?: 'jwks' | 'discovery'
}

/** TLS options of {@link MockJwksServerOptions}: the server then speaks HTTPS. */
export interface MockJwksTlsOptions {
  /** Server private key (PEM). */
  key: string
  /** Server certificate chain (PEM). */
  cert: string
  /** CA(s) trusted for client certificates (mutual TLS). */
  ca?: string | string[]
  /**
   * Require a client certificate signed by `ca`.
   * @defaultValue false
   */
  requestCert?: boolean
}

/** Options of {@link MockJwksServer.start}. */
export interface MockJwksServerOptions {
  /**
   * Keys to publish, as algorithms (a key is generated) or ready {@link TestKey}s; the last one signs.
   * @defaultValue `['RS256']`
   */
  keys?: readonly (TestKeyAlgorithm | TestKey)[]
  /**
   * Path of the key set.
   * @defaultValue `'/.well-known/jwks.json'`
   */
  jwksPath?: string
  /**
   * Issuer written to the discovery document and the `iss` of {@link MockJwksServer.sign}.
   * @defaultValue the server origin, e.g. `http://127.0.0.1:41234`
   */
  issuer?: string
  /**
   * `Cache-Control` of the key set and discovery responses; `null` sends none.
   * @defaultValue `'max-age=300'`
   */
  cacheControl?: string | null
  /**
   * Send a strong `ETag` and answer a matching `If-None-Match` with `304`.
   * @defaultValue true
   */
  etag?: boolean
  /** Serve HTTPS with this key and certificate (see `createTlsFixtures`). */
  tls?: MockJwksTlsOptions
  /**
   * Port on 127.0.0.1.
   * @defaultValue 0 (a free port)
   */
  port?: number
}

/** One request received by a {@link MockJwksServer}. */
export interface MockJwksRequest {
  /** Request target (path and query) as sent. */
  path: string
  /** HTTP method. */
  method: string
  /** Request headers (lower-case names). */
  headers: IncomingHttpHeaders
  /** Arrival time, `Date.now()`. */
  at: number
}

/** Options of {@link MockJwksServer.sign}. */
export interface MockJwksSignOptions {
  /**
   * Signing key; it need not be published. Defaults to the newest published key whose kid is
   * `kid`, else {@link MockJwksServer.signingKey}.
   */
  key?: TestKey
  /**
   * `kid` header; `null` leaves it out. Naming a published key also signs with that key; an
   * unknown kid is written as is (the token is signed by the signing key).
   * @defaultValue the signing key's kid
   */
  kid?: string | null
  /** JWS algorithm; defaults to the key's. */
  alg?: string
  /** Header members merged over `{ alg, kid, typ }`; `undefined` removes one. */
  header?: Record<string, unknown>
  /**
   * Lifetime in seconds; `null` leaves `exp` out.
   * @defaultValue 300
   */
  expiresIn?: number | null
  /** Current time in seconds (for `iat` / `exp`). */
  now?: number
}

/** Options of {@link MockJwksServer.rotate}. */
export interface RotateOptions {
  /** Algorithm of the new key; defaults to the current signing key's (or RS256). */
  alg?: TestKeyAlgorithm
  /** kid of the new key; random by default. */
  kid?: string
  /**
   * Keys to unpublish: `true` retires every older key, a list retires those kids.
   * @defaultValue false
   */
  retire?: boolean | readonly string[]
}

const DISCOVERY_PATH = '/.well-known/openid-configuration'
const CHUNK_BYTES = 16 * 1024
const MAX_RECORDED_REQUESTS = 1000
const FAULT_TYPES = new Set<string>([
  'delay',
  'status',
  'invalid-json',
  'html',
  'oversized',
  'junk-keys',
  'trickle',
  'reset',
  'hang',
  'redirect',
  'gzip',
])

type Endpoint = 'jwks' | 'discovery'
interface QueuedFault {
  fault: MockJwksFault
  remaining: number
  path: Endpoint
}

/** `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2). */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag)
}

/** Status line and headers for a response written straight to the socket. */
function rawHead(status: number, headers: Record<string, string | number>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}\r\n`)
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n${lines.join('')}connection: close\r\n\r\n`
}

/**
 * The `[offset, offset + length)` slice of a `total`-byte body: `prefix`, then spaces, then `}`.
 * Generated per chunk so that a 50 MB body is never held in memory.
 */
function paddedChunk(prefix: Buffer, total: number, offset: number, length: number): Buffer {
  const chunk = Buffer.alloc(length, 0x20)
  if (offset < prefix.length)
    prefix.copy(chunk, 0, offset, Math.min(prefix.length, offset + length))
  if (offset + length === total && total > prefix.length) chunk[length - 1] = 0x7d // '}'
  return chunk
}

/**
 * Writes `total` bytes produced by `chunkAt` with back-pressure, counting the bytes the stream
 * accepted, then ends `out`; stops as soon as the destination closes (the client went away).
 */
function pump(
  out: Writable,
  total: number,
  chunkAt: (offset: number, length: number) => Buffer,
  onWritten: (bytes: number) => void,
): void {
  let offset = 0
  let stopped = false
  const stop = (): void => {
    stopped = true
    out.off('drain', step)
  }
  function step(): void {
    while (!stopped && offset < total) {
      if (out.destroyed || out.writableEnded) {
        stop()
        return
      }
      const length = Math.min(CHUNK_BYTES, total - offset)
      const chunk = chunkAt(offset, length)
      offset += length
      const more = out.write(chunk, (err) => {
        if (!err) onWritten(length)
      })
      if (!more) {
        out.once('drain', step)
        return
      }
    }
    if (!stopped) {
      out.off('close', stop)
      out.end()
    }
  }
  out.once('close', stop)
  step()
}

/**
 * A real JWKS (and OIDC discovery) endpoint on `127.0.0.1`, with key rotation, request counting
 * and fault injection, for testing JWKS clients against real sockets instead of mocks.
 *
 * @example
 * ```ts
 * const server = await MockJwksServer.start({ keys: ['RS256', 'ES256'] })
 * const token = await server.sign({ sub: 'alice' })          // signed by the newest key
 * // point the verifier at server.jwksUri (or server.discoveryUrl) and send `token`
 * server.injectFault({ type: 'status', status: 500 }, { times: 1 })
 * const next = await server.rotate({ retire: true })
 * await server.close()
 * ```
 */
export class MockJwksServer {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #jwksPath: string
  readonly #issuerOption: string | undefined
  readonly #cacheControl: string | null
  readonly #etag: boolean
  readonly #tls: boolean
  #origin = ''
  #keys: TestKey[]
  #faults: QueuedFault[] = []
  #jwksBody: string | null = null
  #discovery: Record<string, unknown> | null = null
  #requests: MockJwksRequest[] = []
  #requestCount = 0
  #discoveryRequestCount = 0
  #lastBytesWritten = 0
  #junkKey: Promise<JWK> | undefined
  #closed = false

  private constructor(options: MockJwksServerOptions, keys: TestKey[]) {
    this.#keys = keys
    this.#jwksPath = options.jwksPath ?? '/.well-known/jwks.json'
    this.#issuerOption = options.issuer
    this.#cacheControl = options.cacheControl === undefined ? 'max-age=300' : options.cacheControl
    this.#etag = options.etag ?? true
    this.#tls = options.tls !== undefined
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.#handle(req, res)
    }
    const tls = options.tls
    this.#server =
      tls === undefined
        ? createHttpServer(handler)
        : createHttpsServer(
            {
              key: tls.key,
              cert: tls.cert,
              ...(tls.ca === undefined ? {} : { ca: tls.ca }),
              requestCert: tls.requestCert ?? false,
              rejectUnauthorized: tls.requestCert ?? false,
            },
            handler,
          )
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  /**
   * Starts a server on `127.0.0.1` (a free port unless `port` is given) publishing the given keys.
   *
   * @param options - keys, paths, caching headers and TLS
   * @returns the listening server
   *
   * @example
   * ```ts
   * const server = await MockJwksServer.start({ keys: ['ES256'], cacheControl: 'max-age=60' })
   * ```
   */
  static async start(options: MockJwksServerOptions = {}): Promise<MockJwksServer> {
    const keys = await Promise.all(
      (options.keys ?? ['RS256']).map(async (k) =>
        typeof k === 'string' ? generateTestKey(k) : k,
      ),
    )
    const server = new MockJwksServer(options, keys)
    await server.#listen(options.port ?? 0)
    return server
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    const address = this.#server.address()
    if (address === null || typeof address === 'string')
      throw new Error('MockJwksServer: no TCP address')
    this.#origin = `${this.#tls ? 'https' : 'http'}://127.0.0.1:${address.port}`
  }

  /** Origin of the server, e.g. `http://127.0.0.1:41234` (https with `tls`). */
  get url(): string {
    return this.#origin
  }

  /** URL of the key set: {@link MockJwksServer.url} + `jwksPath`. */
  get jwksUri(): string {
    return this.#origin + this.#jwksPath
  }

  /** URL of the OIDC discovery document: {@link MockJwksServer.url} + `/.well-known/openid-configuration`. */
  get discoveryUrl(): string {
    return this.#origin + DISCOVERY_PATH
  }

  /** Issuer of the discovery document and of signed tokens. */
  get issuer(): string {
    return this.#issuerOption ?? this.#origin
  }

  /** The keys currently published, in publication order (a copy). */
  get keys(): readonly TestKey[] {
    return [...this.#keys]
  }

  /**
   * The newest published key, used by {@link MockJwksServer.sign} by default.
   *
   * @throws Error when every key has been retired
   */
  get signingKey(): TestKey {
    const key = this.#keys.at(-1)
    if (key === undefined) throw new Error('MockJwksServer: no key is published')
    return key
  }

  /** Number of requests to the JWKS path, faulted ones included, since start or {@link MockJwksServer.resetCounts}. */
  get requestCount(): number {
    return this.#requestCount
  }

  /** Number of requests to the discovery path since start or {@link MockJwksServer.resetCounts}. */
  get discoveryRequestCount(): number {
    return this.#discoveryRequestCount
  }

  /** The last 1000 requests (any path), oldest first (a copy). */
  get requests(): readonly MockJwksRequest[] {
    return [...this.#requests]
  }

  /**
   * Body bytes of the latest JWKS or discovery response that the socket accepted so far (for
   * compressed faults: compressed bytes). Lets a test check that a client stopped reading early.
   */
  get lastBytesWritten(): number {
    return this.#lastBytesWritten
  }

  /**
   * Generates a key, publishes it as the newest (signing) key, and optionally retires others.
   *
   * @param options - algorithm and kid of the new key, and which keys to retire
   * @returns the new key
   *
   * @example
   * ```ts
   * const next = await server.rotate({ alg: 'ES256', retire: true }) // only `next` is published
   * ```
   */
  async rotate(options: RotateOptions = {}): Promise<TestKey> {
    const alg = options.alg ?? this.#keys.at(-1)?.alg ?? 'RS256'
    const key = await generateTestKey(alg, options.kid === undefined ? {} : { kid: options.kid })
    const { retire = false } = options
    if (retire === true) this.#keys = []
    else if (retire !== false) this.#keys = this.#keys.filter((k) => !retire.includes(k.kid))
    this.#keys.push(key)
    return key
  }

  /**
   * Unpublishes every key with this kid.
   *
   * @param kid - key id
   * @returns whether a key was removed
   */
  retire(kid: string): boolean {
    const before = this.#keys.length
    this.#keys = this.#keys.filter((k) => k.kid !== kid)
    return this.#keys.length !== before
  }

  /**
   * Publishes a key as the newest (signing) key; a key already published moves to the end.
   *
   * @param key - a key from `generateTestKey`
   */
  publish(key: TestKey): void {
    this.#keys = this.#keys.filter((k) => k !== key)
    this.#keys.push(key)
  }

  /**
   * Mints a token with a server key (`mintToken`), with `iss` set to {@link MockJwksServer.issuer}.
   * The key is `options.key`, else the published key named by `options.kid`, else the signing key.
   *
   * @param claims - claims merged over `{ iss, iat, exp }`; `undefined` removes one
   * @param options - key, kid, alg, header and lifetime overrides
   * @returns the compact JWS
   *
   * @example
   * ```ts
   * await server.sign({ sub: 'alice', aud: 'api' })
   * await server.sign({ sub: 'a' }, { kid: server.keys[0].kid })   // signed by that key
   * await server.sign({ sub: 'a' }, { kid: 'not-published-yet' })  // signing key, unknown kid
   * ```
   */
  async sign(
    claims: Record<string, unknown> = {},
    options: MockJwksSignOptions = {},
  ): Promise<string> {
    return mintToken({
      key: options.key ?? this.#keyByKid(options.kid) ?? this.signingKey,
      alg: options.alg,
      kid: options.kid,
      header: options.header,
      expiresIn: options.expiresIn,
      now: options.now,
      claims: { iss: this.issuer, ...claims },
    })
  }

  #keyByKid(kid: string | null | undefined): TestKey | undefined {
    if (typeof kid !== 'string') return undefined
    return [...this.#keys].reverse().find((k) => k.kid === kid)
  }

  /** Sets {@link MockJwksServer.requestCount}, {@link MockJwksServer.discoveryRequestCount} and {@link MockJwksServer.requests} back to zero / empty. */
  resetCounts(): void {
    this.#requestCount = 0
    this.#discoveryRequestCount = 0
    this.#requests = []
    this.#lastBytesWritten = 0
  }

  /**
   * Serves this body on the JWKS path instead of the generated key set.
   *
   * @param body - a string is sent as exact text, any other value as its JSON; `null` restores
   *   the generated key set
   */
  setJwksBody(body: unknown): void {
    this.#jwksBody = body === null ? null : typeof body === 'string' ? body : JSON.stringify(body)
  }

  /**
   * Overrides members of the discovery document (a member set to `undefined` is left out).
   *
   * @param partial - members merged over the generated document; `null` restores it
   */
  setDiscovery(partial: Record<string, unknown> | null): void {
    this.#discovery = partial === null ? null : { ...partial }
  }

  /**
   * Queues a fault. A request uses the first queued fault for its path; with `times`, each
   * request consumes one and the fault is dropped when none are left.
   *
   * @param fault - the misbehaviour, see {@link MockJwksFault}
   * @param options - how many requests it applies to and on which endpoint
   * @throws TypeError for an unknown fault type or a `times` that is not a positive integer
   *
   * @example
   * ```ts
   * server.injectFault({ type: 'status', status: 503 }, { times: 1 })
   * server.injectFault({ type: 'oversized', bytes: 10_000_000, mode: 'chunked' })
   * server.injectFault({ type: 'hang' }, { path: 'discovery' })
   * ```
   */
  injectFault(fault: MockJwksFault, options: InjectFaultOptions = {}): void {
    if (!FAULT_TYPES.has(fault.type)) throw new TypeError(`Unknown fault type: ${fault.type}`)
    const times = options.times ?? Number.POSITIVE_INFINITY
    if (times !== Number.POSITIVE_INFINITY && (!Number.isInteger(times) || times < 1)) {
      throw new TypeError('injectFault: times must be a positive integer')
    }
    this.#faults.push({ fault, remaining: times, path: options.path ?? 'jwks' })
  }

  /** Removes every queued fault. */
  clearFaults(): void {
    this.#faults = []
  }

  /**
   * Stops the server, destroys every open socket (hung and keep-alive ones too) and cancels
   * pending fault timers, so no handle is left behind. Safe to call twice.
   *
   * @returns when the server has closed
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    const closed = new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve()
      })
    })
    for (const socket of this.#sockets) socket.destroy()
    await closed
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/'
    this.#requests.push({
      path: target,
      method: req.method ?? 'GET',
      headers: req.headers,
      at: Date.now(),
    })
    if (this.#requests.length > MAX_RECORDED_REQUESTS) this.#requests.shift()
    const pathname = target.split('?')[0]
    let endpoint: Endpoint
    if (pathname === this.#jwksPath) {
      endpoint = 'jwks'
      this.#requestCount++
    } else if (pathname === DISCOVERY_PATH) {
      endpoint = 'discovery'
      this.#discoveryRequestCount++
    } else {
      this.#send(res, 404, { 'content-type': 'application/json' }, '{"error":"not_found"}')
      return
    }
    this.#lastBytesWritten = 0
    const fault = this.#takeFault(endpoint)
    if (fault === undefined) this.#serveNormal(req, res, endpoint)
    else this.#applyFault(fault, req, res, endpoint)
  }

  #takeFault(endpoint: Endpoint): MockJwksFault | undefined {
    const index = this.#faults.findIndex((f) => f.path === endpoint)
    const queued = this.#faults[index]
    if (queued === undefined) return undefined
    queued.remaining--
    if (queued.remaining <= 0) this.#faults.splice(index, 1)
    return queued.fault
  }

  #jwksText(): string {
    return this.#jwksBody ?? JSON.stringify({ keys: this.#keys.map((k) => k.publicJwk) })
  }

  #discoveryText(): string {
    return JSON.stringify({
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      token_endpoint: `${this.#origin}/token`,
      id_token_signing_alg_values_supported: [...new Set(this.#keys.map((k) => k.alg))],
      ...this.#discovery,
    })
  }

  #bodyText(endpoint: Endpoint): string {
    return endpoint === 'jwks' ? this.#jwksText() : this.#discoveryText()
  }

  #cacheHeaders(): Record<string, string> {
    return this.#cacheControl === null ? {} : { 'cache-control': this.#cacheControl }
  }

  #send(
    res: ServerResponse,
    status: number,
    headers: Record<string, string | number>,
    body: string | Buffer,
  ): void {
    const bytes = Buffer.from(body)
    const hasBody = !(status === 204 || status === 304 || (status >= 100 && status < 200))
    res.writeHead(status, hasBody ? { ...headers, 'content-length': bytes.length } : headers)
    if (hasBody && res.req.method !== 'HEAD') {
      res.end(bytes, () => {
        this.#lastBytesWritten = bytes.length
      })
    } else {
      res.end()
    }
  }

  /** A 200 JSON answer with caching headers and ETag / 304 handling. */
  #serveJson(req: IncomingMessage, res: ServerResponse, text: string): void {
    const body = Buffer.from(text)
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...this.#cacheHeaders(),
    }
    if (this.#etag) {
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`
      headers.etag = etag
      const ifNoneMatch = req.headers['if-none-match']
      if (matchesIfNoneMatch(ifNoneMatch, etag)) {
        delete headers['content-type']
        this.#send(res, 304, headers, '')
        return
      }
    }
    this.#send(res, 200, headers, body)
  }

  #serveNormal(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
    this.#serveJson(req, res, this.#bodyText(endpoint))
  }

  #timer(res: ServerResponse, ms: number, repeat: boolean, fn: () => void): void {
    const timer = repeat ? setInterval(fn, ms) : setTimeout(fn, ms)
    this.#timers.add(timer)
    res.once('close', () => {
      clearTimeout(timer)
      this.#timers.delete(timer)
    })
  }

  #applyFault(
    fault: MockJwksFault,
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: Endpoint,
  ): void {
    const json = { 'content-type': 'application/json' }
    switch (fault.type) {
      case 'delay':
        this.#timer(res, fault.ms, false, () => {
          this.#serveNormal(req, res, endpoint)
        })
        return
      case 'status': {
        const body =
          fault.body === undefined
            ? JSON.stringify({ error: 'injected_fault', status: fault.status })
            : typeof fault.body === 'string'
              ? fault.body
              : JSON.stringify(fault.body)
        this.#send(res, fault.status, { ...json, ...fault.headers }, body)
        return
      }
      case 'invalid-json':
        this.#send(res, 200, { ...json, ...this.#cacheHeaders() }, '{"keys": [')
        return
      case 'html':
        this.#send(
          res,
          fault.status ?? 200,
          { 'content-type': 'text/html; charset=utf-8' },
          '<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>' +
            '<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>\n',
        )
        return
      case 'oversized':
        this.#oversized(req, res, endpoint, fault.bytes, fault.mode)
        return
      case 'junk-keys':
        this.#junkKeys(req, res, fault.count).catch(() => res.destroy())
        return
      case 'trickle':
        this.#trickle(res, endpoint, fault.intervalMs, fault.bytes)
        return
      case 'reset':
        this.#reset(req, endpoint, fault.afterBytes ?? 0)
        return
      case 'hang':
        return
      case 'redirect':
        this.#send(res, fault.status ?? 302, { location: fault.location }, '')
        return
      case 'gzip':
        this.#gzip(res, endpoint, fault.bytes)
        return
    }
  }

  /** Body prefix of the padded faults: the real document without its closing brace. */
  #paddingPrefix(endpoint: Endpoint): Buffer {
    const text = this.#bodyText(endpoint)
    return Buffer.from(text.endsWith('}') ? text.slice(0, -1) : text)
  }

  #oversized(
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: Endpoint,
    bytes: number,
    mode: 'content-length' | 'chunked' | 'lying-length',
  ): void {
    const prefix = this.#paddingPrefix(endpoint)
    const total = Math.max(bytes, 0)
    const chunkAt = (offset: number, length: number): Buffer =>
      paddedChunk(prefix, total, offset, length)
    const counted = (n: number): void => {
      this.#lastBytesWritten += n
    }
    if (mode === 'lying-length') {
      // Written straight to the socket: node:http would refuse a body longer than its Content-Length.
      const socket = req.socket
      socket.write(rawHead(200, { 'content-type': 'application/json', 'content-length': 100 }))
      pump(socket, total, chunkAt, counted)
      return
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(mode === 'content-length' ? { 'content-length': total } : {}),
    })
    pump(res, total, chunkAt, counted)
  }

  async #junkKeys(req: IncomingMessage, res: ServerResponse, count: number): Promise<void> {
    // One throw-away RSA key, copied under random kids: generating `count` keys would be slow.
    this.#junkKey ??= generateTestKey('RS256').then((k) => k.publicJwk)
    const template = await this.#junkKey
    const junk = Array.from({ length: count }, () => ({
      ...template,
      kid: `junk-${randomBytes(6).toString('hex')}`,
    }))
    if (res.destroyed) return
    this.#serveJson(
      req,
      res,
      JSON.stringify({ keys: [...this.#keys.map((k) => k.publicJwk), ...junk] }),
    )
  }

  #trickle(
    res: ServerResponse,
    endpoint: Endpoint,
    intervalMs: number,
    bytes: number | undefined,
  ): void {
    const text = Buffer.from(this.#bodyText(endpoint))
    const body = bytes === undefined ? text : paddedChunk(text, Number.NaN, 0, Math.max(bytes, 0))
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.flushHeaders()
    let offset = 0
    this.#timer(res, Math.max(intervalMs, 1), true, () => {
      if (offset >= body.length) {
        res.end()
        return
      }
      res.write(body.subarray(offset, offset + 1))
      offset++
      this.#lastBytesWritten = offset
    })
  }

  #reset(req: IncomingMessage, endpoint: Endpoint, afterBytes: number): void {
    const text = Buffer.from(this.#bodyText(endpoint))
    const sent = Math.max(afterBytes, 0)
    // Declare more than is sent, so the client always sees an incomplete body.
    const declared = Math.max(text.length, sent + 1)
    const partial = paddedChunk(text, Number.NaN, 0, sent)
    const socket = req.socket
    socket.write(
      Buffer.concat([
        Buffer.from(
          rawHead(200, { 'content-type': 'application/json', 'content-length': declared }),
        ),
        partial,
      ]),
      () => {
        this.#lastBytesWritten = sent
        socket.destroy()
      },
    )
  }

  #gzip(res: ServerResponse, endpoint: Endpoint, bytes: number): void {
    const prefix = this.#paddingPrefix(endpoint)
    const total = Math.max(bytes, 0)
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    const gzip = createGzip()
    gzip.on('data', (chunk: Buffer) => {
      this.#lastBytesWritten += chunk.length
    })
    gzip.pipe(res)
    res.once('close', () => gzip.destroy())
    pump(
      gzip,
      total,
      (offset, length) => paddedChunk(prefix, total, offset, length),
      () => undefined,
    )
  }
}
