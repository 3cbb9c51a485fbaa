import { createHash } from 'node:crypto'
import type { Agent } from 'node:http'
import { readPath, type Emit, type ResolvedOptions, type VerificationKey } from '@jwtgate/core'
import { keySetLifetimeMs, retryAfterSeconds } from './cache-control.js'
import { FetchError, fetchLimited, type LimitedResponse } from './fetch-limited.js'
import { parseJwks, type SkippedKey } from './parse-jwks.js'

/** The options a retriever reads. */
export type RetrieverOptions = Pick<
  ResolvedOptions,
  | 'jwksUri'
  | 'openidConnectUrl'
  | 'cacheJwksEndpoint'
  | 'jwksRequestTimeoutMs'
  | 'maxJwksKeys'
  | 'maxJwksResponseSizeBytes'
  | 'followSameOriginRedirects'
  | 'jwksTls'
  | 'requiredIssuer'
  | 'allowInsecureJwksUri'
> & {
  /** An `http.Agent` / `https.Agent` for discovery and JWKS requests (a proxy agent). */
  readonly jwksAgent?: Agent | undefined
  /** Extra request headers for discovery and JWKS requests. */
  readonly jwksHeaders?: Readonly<Record<string, string>> | undefined
}

/** What one successful retrieval brought. */
export type RetrievalResult =
  | {
      readonly notModified: false
      readonly keys: readonly VerificationKey[]
      readonly skipped: readonly SkippedKey[]
      /** The imported keys as public JWKs (for `exportKeys()`; a custom retriever may omit them). */
      readonly jwks?: readonly Readonly<Record<string, unknown>>[]
      /** Fingerprint of the body; equal bodies mean an unchanged key set. */
      readonly fingerprint: string
      readonly etag: string | undefined
      readonly lifetimeMs: number
      readonly bytes: number
      readonly url: string
      readonly status: number
      /** The issuer named by the discovery document, when discovery is in use. */
      readonly issuer?: string | undefined
    }
  | {
      readonly notModified: true
      readonly lifetimeMs: number
      readonly url: string
      readonly status: 304
      /** The issuer named by the discovery document, when discovery is in use. */
      readonly issuer?: string | undefined
    }

const ACCEPT = 'application/jwk-set+json, application/json'

/**
 * Fetches a JWK Set from `jwksUri`, or from the `jwks_uri` of the OIDC discovery document at
 * `openidConnectUrl`, within the request timeout and size limit, and imports its keys.
 *
 * @example
 * ```ts
 * const retriever = new KeySetRetriever(resolveOptions({ jwksUri: 'https://idp.example/jwks' }))
 * const result = await retriever.retrieve()
 * ```
 */
export class KeySetRetriever {
  readonly #options: RetrieverOptions
  readonly #emit: Emit
  #discoveredJwksUri: string | undefined
  #issuer: string | undefined

  /**
   * @param options - resolved options (`jwksUri` or `openidConnectUrl` must be set)
   * @param emit - event sink for `jwks.fetch` / `jwks.fetch_failed` / `jwks.key_skipped`
   */
  constructor(options: RetrieverOptions, emit: Emit = () => undefined) {
    this.#options = options
    this.#emit = emit
  }

  /**
   * The issuer named by the discovery document, once discovery succeeded; pinned from then on
   * (a later document naming another issuer is a failed refresh, reason `discovery_issuer`).
   */
  get issuer(): string | undefined {
    return this.#issuer
  }

  /** The JWKS URL in use: configured, or discovered (undefined before discovery). */
  get jwksUri(): string | undefined {
    return this.#options.jwksUri ?? this.#discoveredJwksUri
  }

  /**
   * Retrieves the key set once.
   *
   * @param conditional - send `If-None-Match` with this ETag (when `cacheJwksEndpoint`)
   * @param signal - aborts the request
   * @returns the keys, or "not modified"
   * @throws {@link FetchError} for transport and HTTP failures, {@link KeySetError} for a bad document
   */
  async retrieve(conditional?: string, signal?: AbortSignal): Promise<RetrievalResult> {
    // One deadline for the whole retrieval: discovery and the JWKS request share it.
    const deadline = performance.now() + this.#options.jwksRequestTimeoutMs
    // With openidConnectUrl and no requiredIssuer, tokens must name the discovered issuer: learn
    // it even when jwksUri is set too.
    if (
      this.#issuer === undefined &&
      this.#options.jwksUri !== undefined &&
      this.#options.openidConnectUrl !== undefined &&
      this.#options.requiredIssuer === undefined
    ) {
      await this.#discover(deadline, signal)
    }
    const url =
      this.#options.jwksUri ?? this.#discoveredJwksUri ?? (await this.#discover(deadline, signal))
    const started = performance.now()
    const etag = this.#options.cacheJwksEndpoint ? conditional : undefined
    let res: LimitedResponse
    try {
      res = await this.#get(
        url,
        etag === undefined ? {} : { 'if-none-match': etag },
        deadline,
        signal,
      )
      if (res.status === 304) {
        if (etag === undefined)
          throw new FetchError('unsolicited_304', 'A 304 answered a request without an ETag')
        const lifetimeMs = keySetLifetimeMs(res.headers, this.#options.cacheJwksEndpoint)
        this.#emit({
          type: 'jwks.fetch',
          url,
          status: 304,
          durationMs: ms(started),
          bytes: 0,
          keys: undefined,
          notModified: true,
        })
        return { notModified: true, lifetimeMs, url, status: 304, issuer: this.#issuer }
      }
      if (res.status !== 200) {
        throw new FetchError(`http_${res.status}`, `The key set endpoint answered ${res.status}`, {
          retryAfterSeconds: retryAfterSeconds(header(res, 'retry-after'), Date.now()),
        })
      }
      const parsed = parseJwks(res.body, this.#options.maxJwksKeys)
      for (const s of parsed.skipped)
        this.#emit({ type: 'jwks.key_skipped', kid: s.kid, reason: s.reason })
      if (parsed.keys.length === 0) {
        throw new FetchError('no_usable_keys', 'The key set holds no usable key')
      }
      const result: RetrievalResult = {
        notModified: false,
        keys: parsed.keys,
        skipped: parsed.skipped,
        jwks: parsed.jwks,
        fingerprint: createHash('sha256').update(res.body).digest('base64url'),
        etag: this.#options.cacheJwksEndpoint ? header(res, 'etag') : undefined,
        lifetimeMs: keySetLifetimeMs(res.headers, this.#options.cacheJwksEndpoint),
        bytes: res.body.length,
        url,
        status: 200,
        issuer: this.#issuer,
      }
      this.#emit({
        type: 'jwks.fetch',
        url,
        status: 200,
        durationMs: ms(started),
        bytes: res.body.length,
        keys: parsed.keys.length,
        notModified: false,
      })
      return result
    } catch (e) {
      // A failing discovered URL is rediscovered next time (the IdP may have moved it).
      this.#discoveredJwksUri = undefined
      this.#emit({ type: 'jwks.fetch_failed', url, reason: reasonOf(e), durationMs: ms(started) })
      throw e
    }
  }

  async #discover(deadline: number, signal?: AbortSignal): Promise<string> {
    const url = this.#options.openidConnectUrl
    if (url === undefined)
      throw new FetchError('no_url', 'Neither jwksUri nor openidConnectUrl is set')
    const started = performance.now()
    try {
      const res = await this.#get(url, {}, deadline, signal)
      if (res.status !== 200)
        throw new FetchError(`http_${res.status}`, `The discovery endpoint answered ${res.status}`)
      let doc: unknown
      try {
        doc = JSON.parse(res.body.toString('utf8'))
      } catch {
        throw new FetchError('discovery_invalid', 'The discovery document is not JSON')
      }
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        throw new FetchError('discovery_invalid', 'The discovery document is not an object')
      }
      const jwksUri = readPath(doc as Record<string, unknown>, ['jwks_uri'])
      const issuer = readPath(doc as Record<string, unknown>, ['issuer'])
      if (typeof jwksUri !== 'string')
        throw new FetchError('discovery_invalid', 'The discovery document has no jwks_uri')
      this.#checkIssuer(issuer)
      let parsed: URL
      try {
        parsed = new URL(jwksUri)
      } catch {
        throw new FetchError('discovery_invalid', 'The discovered jwks_uri is not a URL')
      }
      if (!isAllowedUrl(parsed, this.#options.allowInsecureJwksUri)) {
        throw new FetchError('discovery_insecure', 'The discovered jwks_uri is not https')
      }
      this.#discoveredJwksUri = parsed.href
      this.#issuer = issuer
      return parsed.href
    } catch (e) {
      this.#emit({ type: 'jwks.fetch_failed', url, reason: reasonOf(e), durationMs: ms(started) })
      throw e
    }
  }

  /**
   * Mix-up protection (OIDC Discovery §4.3): the discovered issuer must be a required one, and
   * once learnt it may not change. The message shows both values (they are configuration, not
   * token data), so a trailing-slash mismatch is plain to see.
   */
  #checkIssuer(issuer: unknown): asserts issuer is string {
    if (typeof issuer !== 'string' || issuer === '') {
      throw new FetchError('discovery_issuer', 'The discovery document names no issuer')
    }
    const required = this.#options.requiredIssuer
    if (required !== undefined && !required.includes(issuer)) {
      const slash = required.some((r) => r.replace(/\/$/, '') === issuer.replace(/\/$/, ''))
      throw new FetchError(
        'discovery_issuer',
        `The discovery document names the issuer ${quote(issuer)}, but the required issuer is ` +
          `${required.map(quote).join(' or ')}${slash ? ' (they differ by a trailing slash)' : ''}`,
      )
    }
    if (this.#issuer !== undefined && issuer !== this.#issuer) {
      throw new FetchError(
        'discovery_issuer',
        `The discovery document now names the issuer ${quote(issuer)}, not ${quote(this.#issuer)}`,
      )
    }
  }

  #get(
    url: string,
    headers: Record<string, string>,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<LimitedResponse> {
    const timeoutMs = Math.ceil(deadline - performance.now())
    if (timeoutMs <= 0) {
      return Promise.reject(
        new FetchError(
          'timeout',
          `No complete response within ${this.#options.jwksRequestTimeoutMs} ms`,
        ),
      )
    }
    return fetchLimited(url, {
      timeoutMs,
      maxBytes: this.#options.maxJwksResponseSizeBytes,
      headers: { accept: ACCEPT, ...this.#options.jwksHeaders, ...headers },
      tls: this.#options.jwksTls,
      agent: this.#options.jwksAgent,
      followSameOriginRedirects: this.#options.followSameOriginRedirects,
      ...(signal ? { signal } : {}),
    })
  }
}

function header(res: LimitedResponse, name: string): string | undefined {
  const v = res.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function ms(started: number): number {
  return Math.round(performance.now() - started)
}

/** A configured value for a message: quoted, control and bidi characters escaped, cut short. */
function quote(value: string): string {
  const cut = value.length > 200 ? `${value.slice(0, 200)}…` : value
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** A short, stable reason for events: a FetchError reason, or the error's name. */
export function reasonOf(e: unknown): string {
  if (e instanceof FetchError) return e.reason
  if (e instanceof Error) return e.name === 'KeySetError' ? `invalid_jwks: ${e.message}` : e.name
  return 'unknown'
}

/** https, or http on a loopback host, or anything when explicitly allowed. */
export function isAllowedUrl(url: URL, allowInsecure: boolean): boolean {
  if (url.protocol === 'https:') return true
  if (url.protocol !== 'http:') return false
  if (allowInsecure) return true
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
