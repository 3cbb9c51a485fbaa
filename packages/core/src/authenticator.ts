import { performance } from 'node:perf_hooks'
import { checkIssuerAndAudience, checkTimeClaims, type ClaimsPolicy } from './claims/validate.js'
import { compilePath, extractRoles, extractSubject } from './claims/principal.js'
import { normalizeConfig } from './config/normalize.js'
import { AuthError, ConfigError } from './errors.js'
import { createStaticIssuersAuthenticator } from './issuers.js'
import { isJwsAlgorithm } from './keys/algorithms.js'
import { importSigningKeys } from './keys/import-signing-key.js'
import { deepFreeze } from './lib/json.js'
import { createEmitter } from './lib/events.js'
import { isPromiseLike } from './lib/thenable.js'
import { TokenCache } from './token-cache.js'
import { createExtractor } from './token/extract.js'
import { decodePayload, parseCompact, type ParsedToken } from './token/parse-compact.js'
import type {
  Authenticator,
  AuthRequest,
  JwsAlgorithm,
  JwtAuthOptions,
  KeyResolver,
  Principal,
  ResolvedOptions,
  VerificationKey,
} from './types.js'
import { verifySignature } from './verify/signature.js'

/** At most this many keys are tried for one token (keys sharing a kid, static key lists). */
export const MAX_KEYS_TRIED = 4
/** A `kid` longer than this fails fast with key_not_found and spends no refresh. */
export const MAX_KID_LENGTH = 256
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const KID_CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Normalises options and insists on an enabled config.
 *
 * @param input - options in any accepted form
 * @returns the resolved options
 * @throws {@link ConfigError} for any invalid option, or `enabled` when the config is disabled
 */
export function resolveOptions(input: JwtAuthOptions | Record<string, unknown>): ResolvedOptions {
  const options = normalizeConfig(input)
  if (!options.enabled) {
    throw new ConfigError('enabled', 'is false: a disabled config cannot build an authenticator')
  }
  return options
}

/**
 * Builds an authenticator that verifies with a static `signingKey` (one key or a list).
 * Keys are imported once, here; requests do no option parsing and no key import.
 *
 * @param options - options in any form {@link normalizeConfig} accepts
 * @returns the authenticator; share it across requests
 * @throws {@link ConfigError} for invalid options, a missing or unusable `signingKey`, or when
 *   `jwksUri` / `openidConnectUrl` is set (use `createAuthenticator` from `@jwtgate/jwks`)
 * @example
 * ```ts
 * import { createStaticAuthenticator } from '@jwtgate/core'
 *
 * const auth = createStaticAuthenticator({ signingKey: process.env.JWT_PUBLIC_KEY_PEM, requiredAudience: 'api' })
 * const principal = await auth.authenticate({ headers: req.headersDistinct, url: req.url })
 * ```
 */
export function createStaticAuthenticator(
  options: JwtAuthOptions | Record<string, unknown>,
): Authenticator {
  const resolved = resolveOptions(options)
  if (resolved.issuers !== undefined) return createStaticIssuersAuthenticator(resolved)
  for (const key of ['jwksUri', 'openidConnectUrl'] as const) {
    if (resolved[key] !== undefined) {
      throw new ConfigError(key, 'is set: use createAuthenticator from @jwtgate/jwks for key sets')
    }
  }
  if (resolved.signingKey === undefined) throw new ConfigError('signingKey', 'is required')
  return createKeyResolverAuthenticator(
    resolved,
    createStaticKeyResolver(importSigningKeys(resolved.signingKey)),
  )
}

/**
 * A key resolver over a fixed list of keys. `kid` is ignored: every key bound to the token's
 * algorithm is a candidate (in configuration order), and all of them are tried.
 *
 * @param keys - bound keys
 */
export function createStaticKeyResolver(keys: readonly VerificationKey[]): KeyResolver {
  const byAlg = new Map<JwsAlgorithm, VerificationKey[]>()
  for (const key of keys) {
    for (const alg of key.algorithms) {
      const list = byAlg.get(alg) ?? []
      list.push(key)
      byAlg.set(alg, list)
    }
  }
  return {
    algorithms: new Set(byAlg.keys()),
    generation: 0,
    maxKeysTried: Number.POSITIVE_INFINITY,
    select: ({ alg }) => byAlg.get(alg) ?? [],
  }
}

/**
 * Builds the authenticate pipeline over any {@link KeyResolver}; `@jwtgate/jwks` uses this with
 * its self-refreshing key set. Order of checks: extraction → size and format → algorithm →
 * key → signature → exp / nbf / iat → issuer → audience → subject → roles.
 *
 * @param options - resolved options (see {@link resolveOptions})
 * @param resolver - where keys come from
 * @returns the authenticator
 * @throws {@link ConfigError} `algorithms` when it names an algorithm no key can verify
 */
export function createKeyResolverAuthenticator(
  options: ResolvedOptions,
  resolver: KeyResolver,
): Authenticator {
  return createPipeline(options, resolver).authenticator
}

/**
 * One issuer's checks, reachable past extraction and parsing, for `issuers` routing
 * (`createIssuersAuthenticator`). Internal.
 */
export interface Pipeline {
  /** An authenticator over these checks alone (its own extraction and cache). */
  readonly authenticator: Authenticator
  /** Where the keys come from. */
  readonly resolver: KeyResolver
  /** `clockSkewToleranceSeconds`. */
  readonly skew: number
  /**
   * Algorithm → key → signature → claims → principal, for a token already parsed (and its
   * payload already decoded, when `claims` is given). Does not touch the token cache.
   */
  verifyParsed(
    token: string,
    parsed: ParsedToken,
    claims: Record<string, unknown> | undefined,
  ): Principal | Promise<Principal>
  /** The checks a cached principal goes through on every request (time claims). */
  checkCached(principal: Principal): void
}

/**
 * Builds {@link createKeyResolverAuthenticator}'s pipeline and exposes its stages. Internal.
 *
 * @param options - resolved options
 * @param resolver - where keys come from
 */
export function createPipeline(options: ResolvedOptions, resolver: KeyResolver): Pipeline {
  const allowed = allowList(options, resolver)
  const extract = createExtractor(options.jwtHeader, options.jwtUrlParameter)
  const clock = options.advanced.clock ?? Date.now
  const policy: ClaimsPolicy = {
    skew: options.clockSkewToleranceSeconds,
    requireExp: options.requireExp,
    issuers: options.requiredIssuer && new Set(options.requiredIssuer),
    audiences: options.requiredAudience && new Set(options.requiredAudience),
  }
  const subjectPath = compilePath(options.subjectKey)
  const rolesPath = options.rolesKey === undefined ? undefined : compilePath(options.rolesKey)
  const maxTokenBytes = options.maxTokenBytes
  const maxKeysTried = resolver.maxKeysTried ?? MAX_KEYS_TRIED
  const cache = options.tokenCache
    ? new TokenCache(options.tokenCache.max, options.tokenCache.ttlMs, resolver.generation)
    : undefined
  const emit = createEmitter(options.onEvent)
  if (options.requiredAudience === undefined) {
    const issuerChecked = policy.issuers !== undefined || resolver.trustedIssuers !== undefined
    emit({
      type: 'config.warning',
      message: issuerChecked
        ? 'requiredAudience is not set: tokens minted for any audience are accepted'
        : 'neither requiredIssuer nor requiredAudience is set: any token these keys verify is accepted, whoever it was minted by or for',
    })
  }
  let closed = false

  // Synchronous unless the resolver must fetch keys: a cache hit or a static key answers (or
  // throws) without a Promise, so adapters can continue in the same tick.
  function authenticateNow(request: AuthRequest): Principal | Promise<Principal> {
    const token = extract(request)
    if (cache !== undefined) {
      const hit = cache.get(token, resolver.generation, performance.now())
      if (hit !== undefined) {
        checkTimeClaims(hit.claims, policy, clock() / 1000)
        return hit
      }
    }
    return verifyParsed(token, parseCompact(token, maxTokenBytes), undefined)
  }

  function verifyParsed(
    token: string,
    parsed: ParsedToken,
    claims: Record<string, unknown> | undefined,
  ): Principal | Promise<Principal> {
    const alg = parsed.header.alg
    if (!isJwsAlgorithm(alg) || !allowed.has(alg)) throw new AuthError('alg_not_allowed')
    const kid = parsed.header.kid
    if (
      kid !== undefined &&
      (typeof kid !== 'string' || kid.length > MAX_KID_LENGTH || KID_CONTROL.test(kid))
    ) {
      throw new AuthError('key_not_found')
    }
    const selected = resolver.select({ alg, kid: kid === '' ? undefined : kid })
    if (isPromiseLike(selected)) {
      return Promise.resolve(selected).then((keys) => finish(token, parsed, alg, keys, claims))
    }
    return finish(token, parsed, alg, selected, claims)
  }

  function finish(
    token: string,
    parsed: ParsedToken,
    alg: JwsAlgorithm,
    keys: readonly VerificationKey[],
    decoded: Record<string, unknown> | undefined,
  ): Principal {
    if (keys.length === 0) throw new AuthError('key_not_found')
    let verified = false
    for (let i = 0; i < keys.length && i < maxKeysTried; i++) {
      const key = keys[i]
      if (key !== undefined && verifySignature(alg, key, parsed.signingInput, parsed.signature)) {
        verified = true
        break
      }
    }
    if (!verified) throw new AuthError('signature_invalid')
    const claims = decoded ?? decodePayload(parsed)
    const nowMs = clock()
    checkTimeClaims(claims, policy, nowMs / 1000)
    checkIssuerAndAudience(claims, policy, policy.issuers ?? resolver.trustedIssuers)
    const principal: Principal = Object.freeze({
      subject: extractSubject(claims, subjectPath),
      roles: extractRoles(claims, rolesPath),
      claims: deepFreeze(claims),
      header: parsed.header, // deep-frozen by the parser
      token,
    })
    if (cache !== undefined) {
      const exp = claims.exp
      const msUntilExp = typeof exp === 'number' ? (exp + policy.skew) * 1000 - nowMs : undefined
      cache.set(principal, resolver.generation, performance.now(), msUntilExp)
    }
    return principal
  }

  function authenticate(request: AuthRequest): Promise<Principal> {
    try {
      return Promise.resolve(authenticateNow(request))
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)))
    }
  }

  const authenticator: Authenticator = {
    authenticate,
    authenticateNow,
    challenge: options.challenge,
    async close() {
      if (closed) return
      closed = true
      await resolver.close?.()
    },
  }
  return {
    authenticator,
    resolver,
    skew: policy.skew,
    verifyParsed,
    checkCached: (principal) => {
      checkTimeClaims(principal.claims, policy, clock() / 1000)
    },
  }
}

function allowList(options: ResolvedOptions, resolver: KeyResolver): ReadonlySet<JwsAlgorithm> {
  if (options.algorithms === undefined) return resolver.algorithms
  for (const [i, alg] of options.algorithms.entries()) {
    if (!resolver.algorithms.has(alg)) {
      throw new ConfigError(`algorithms[${i}]`, `names ${alg}, which no configured key can verify`)
    }
  }
  return new Set(options.algorithms)
}
