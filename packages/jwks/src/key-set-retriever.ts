import { createHash } from 'node:crypto'
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
>

/** What one successful retrieval brought. */
export type RetrievalResult =
  | {
      readonly notModified: false
      readonly keys: readonly VerificationKey[]
      readonly skipped: readonly SkippedKey[]
      /** Fingerprint of the body; equal bodies mean an unchanged key set. */
      readonly fingerprint: string
      readonly etag: string | undefined
      readonly lifetimeMs: number
      readonly bytes: number
      readonly url: string
      readonly status: number
    }
  | {
      readonly notModified: true
      readonly lifetimeMs: number
      readonly url: string
      readonly status: 304
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

  /**
   * @param options - resolved options (`jwksUri` or `openidConnectUrl` must be set)
   * @param emit - event sink for `jwks.fetch` / `jwks.fetch_failed` / `jwks.key_skipped`
   */
  constructor(options: RetrieverOptions, emit: Emit = () => undefined) {
    this.#options = options
    this.#emit = emit
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
    const url = this.#options.jwksUri ?? this.#discoveredJwksUri ?? (await this.#discover(signal))
    const started = performance.now()
    const etag = this.#options.cacheJwksEndpoint ? conditional : undefined
    let res: LimitedResponse
    try {
      res = await this.#get(url, etag === undefined ? {} : { 'if-none-match': etag }, signal)
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
        return { notModified: true, lifetimeMs, url, status: 304 }
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
        fingerprint: createHash('sha256').update(res.body).digest('base64url'),
        etag: this.#options.cacheJwksEndpoint ? header(res, 'etag') : undefined,
        lifetimeMs: keySetLifetimeMs(res.headers, this.#options.cacheJwksEndpoint),
        bytes: res.body.length,
        url,
        status: 200,
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

  async #discover(signal?: AbortSignal): Promise<string> {
    const url = this.#options.openidConnectUrl
    if (url === undefined)
      throw new FetchError('no_url', 'Neither jwksUri nor openidConnectUrl is set')
    const started = performance.now()
    try {
      const res = await this.#get(url, {}, signal)
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
      // Mix-up protection: the discovered issuer must be one we accept (OIDC Discovery §4.3).
      const issuers = this.#options.requiredIssuer
      if (issuers !== undefined && (typeof issuer !== 'string' || !issuers.includes(issuer))) {
        throw new FetchError(
          'discovery_issuer',
          'The discovery document names an issuer that is not required',
        )
      }
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
      return parsed.href
    } catch (e) {
      this.#emit({ type: 'jwks.fetch_failed', url, reason: reasonOf(e), durationMs: ms(started) })
      throw e
    }
  }

  #get(
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<LimitedResponse> {
    return fetchLimited(url, {
      timeoutMs: this.#options.jwksRequestTimeoutMs,
      maxBytes: this.#options.maxJwksResponseSizeBytes,
      headers: { accept: ACCEPT, ...headers },
      tls: this.#options.jwksTls,
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
