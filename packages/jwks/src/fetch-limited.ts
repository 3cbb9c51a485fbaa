// One bounded HTTP GET for the JWKS and discovery documents, on node:http/https.
// - The whole request (connect, headers, body) shares one deadline: a slow-loris body cannot
//   outlive it, unlike a per-read idle timer (SEC-104, SEC-105).
// - The size limit is checked against Content-Length and again while streaming, on decoded
//   bytes, so neither a chunked body nor a compression bomb is buffered past it (SEC-106, SEC-107).
// - Redirects are not followed, unless same-origin https ones are allowed (at most 3, SEC-110).
// - TLS settings are passed to the socket; verification is never switched off implicitly
//   (`verifyHostnames: false` skips the host-name check only, never the chain).
import {
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { JwksTlsOptions } from '@jwtgate/core'

/** Options for {@link fetchLimited}. */
export interface FetchLimitedOptions {
  /** Deadline for the whole request, in milliseconds. */
  timeoutMs: number
  /** Largest accepted body in decoded bytes; ≤ 0 is unlimited. */
  maxBytes: number
  /** Request headers. */
  headers?: Record<string, string>
  /** TLS settings for https URLs. */
  tls?: JwksTlsOptions | undefined
  /**
   * The agent (a proxy agent, a keep-alive agent); by default none: one connection per request.
   */
  agent?: Agent | undefined
  /** Follow same-origin https redirects (at most 3). */
  followSameOriginRedirects?: boolean
  /** Aborts the request. */
  signal?: AbortSignal
}

/** A complete response. */
export interface LimitedResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  /** The URL that answered (after same-origin redirects). */
  url: string
}

/** Why a fetch failed; `reason` is short, stable text safe for logs and events. */
export class FetchError extends Error {
  /** e.g. `timeout`, `too_large`, `redirect`, `ECONNREFUSED`, `http_500`. */
  readonly reason: string
  /** Seconds the server asked us to wait (429/503 Retry-After), if any. */
  readonly retryAfterSeconds: number | undefined

  constructor(
    reason: string,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FetchError'
    this.reason = reason
    this.retryAfterSeconds = options?.retryAfterSeconds
  }
}

const MAX_REDIRECTS = 3

/** `checkServerIdentity` for `verifyHostnames: false`: accepts any host name. */
function skipHostname(): undefined {
  return undefined
}

/**
 * GETs a URL within a deadline and a size limit.
 *
 * @param url - absolute http(s) URL
 * @param options - limits, headers, TLS
 * @returns the response (any status; the caller decides what is acceptable)
 * @throws {@link FetchError} on timeout, size, network, TLS or redirect failures
 */
export function fetchLimited(url: string, options: FetchLimitedOptions): Promise<LimitedResponse> {
  return new Promise<LimitedResponse>((resolve, reject) => {
    let settled = false
    let current: { destroy(): void } | undefined
    const cleanup = (): void => {
      clearTimeout(deadline)
      options.signal?.removeEventListener('abort', onAbort)
    }
    const fail = (error: FetchError): void => {
      if (settled) return
      settled = true
      cleanup()
      current?.destroy()
      reject(error)
    }
    const onAbort = (): void => {
      fail(new FetchError('aborted', 'The request was aborted'))
    }
    const deadline = setTimeout(() => {
      fail(new FetchError('timeout', `No complete response within ${options.timeoutMs} ms`))
    }, options.timeoutMs)
    if (options.signal?.aborted) {
      onAbort()
      return
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })

    let origin: URL
    try {
      origin = new URL(url)
    } catch (cause) {
      fail(new FetchError('invalid_url', 'The URL does not parse', { cause }))
      return
    }
    // Nothing below may throw out of a socket callback (an uncaught exception would end the
    // process): every synchronous step that can throw is caught and becomes a failed fetch.
    const attempt = (target: URL, hops: number): void => {
      try {
        send(target, hops)
      } catch (cause) {
        fail(new FetchError('request_invalid', 'The request could not be sent', { cause }))
      }
    }
    const send = (target: URL, hops: number): void => {
      const request = target.protocol === 'https:' ? httpsRequest : httpRequest
      const tls = options.tls
      const req = request(
        target,
        {
          method: 'GET',
          agent: options.agent ?? false,
          // Only the encodings decoded below may be asked for: the caller cannot override it.
          headers: { ...options.headers, 'accept-encoding': 'gzip, deflate, br' },
          ...(target.protocol === 'https:' && tls
            ? {
                ca: tls.ca as string | string[] | undefined,
                cert: tls.cert,
                key: tls.key,
                passphrase: tls.passphrase,
                rejectUnauthorized: tls.rejectUnauthorized ?? true,
                // verifyHostnames: false skips the host-name check only; the chain is verified.
                ...(tls.verifyHostnames === false ? { checkServerIdentity: skipHostname } : {}),
              }
            : {}),
        },
        (res) => {
          try {
            onResponse(res, target, hops)
          } catch (cause) {
            res.destroy()
            fail(new FetchError('response_invalid', 'The response could not be read', { cause }))
          }
        },
      )
      current = req
      req.on('error', (e: NodeJS.ErrnoException) => {
        fail(
          new FetchError(e.code ?? 'network', `Request failed: ${e.code ?? 'network error'}`, {
            cause: e,
          }),
        )
      })
      req.end()
    }

    const onResponse = (res: IncomingMessage, target: URL, hops: number): void => {
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400 && status !== 304) {
        res.resume()
        const location = res.headers.location
        if (!options.followSameOriginRedirects || location === undefined) {
          fail(new FetchError('redirect', `Redirect (${status}) not followed`))
          return
        }
        let next: URL
        try {
          next = new URL(location, target)
        } catch {
          fail(new FetchError('redirect', `Redirect (${status}) to a Location that does not parse`))
          return
        }
        if (next.origin !== origin.origin || next.protocol !== 'https:' || hops >= MAX_REDIRECTS) {
          fail(
            new FetchError(
              'redirect',
              `Redirect (${status}) to another origin or too many redirects`,
            ),
          )
          return
        }
        attempt(next, hops + 1)
        return
      }
      readBody(res, target.href)
    }

    const readBody = (res: IncomingMessage, finalUrl: string): void => {
      const declared = Number(res.headers['content-length'])
      if (options.maxBytes > 0 && Number.isFinite(declared) && declared > options.maxBytes) {
        fail(
          new FetchError('too_large', `Response of ${declared} bytes exceeds ${options.maxBytes}`),
        )
        return
      }
      let stream: Readable = res
      const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase()
      if (encoding === 'gzip' || encoding === 'x-gzip') stream = res.pipe(createGunzip())
      else if (encoding === 'deflate') stream = res.pipe(createInflate())
      else if (encoding === 'br') stream = res.pipe(createBrotliDecompress())
      else if (encoding !== 'identity') {
        fail(new FetchError('encoding', `Unsupported Content-Encoding ${encoding}`))
        return
      }
      current = { destroy: () => (res.destroy(), stream.destroy()) }
      const chunks: Buffer[] = []
      let total = 0
      stream.on('data', (chunk: Buffer) => {
        total += chunk.length
        if (options.maxBytes > 0 && total > options.maxBytes) {
          fail(new FetchError('too_large', `Response exceeds ${options.maxBytes} bytes`))
          return
        }
        chunks.push(chunk)
      })
      stream.on('end', () => {
        if (settled) return
        settled = true
        cleanup()
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          url: finalUrl,
        })
      })
      const broken = (e?: Error): void => {
        fail(
          new FetchError('reset', 'The connection closed before the response was complete', {
            cause: e,
          }),
        )
      }
      stream.on('error', broken)
      res.on('error', broken)
      res.on('aborted', () => {
        broken()
      })
      res.on('close', () => {
        if (!res.complete) broken()
      })
    }

    attempt(origin, 0)
  })
}
