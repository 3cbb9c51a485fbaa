import { performance } from 'node:perf_hooks'
import {
  checkIssuerAndAudience,
  checkTimeClaims,
  checkTokenAge,
  checkTyp,
  compileTyps,
  type ClaimsPolicy,
} from './claims/validate.js'
import {
  compilePath,
  extractRoles,
  extractScopes,
  extractSubject,
  readPath,
  type ClaimPath,
} from './claims/principal.js'
import { normalizeConfig } from './config/normalize.js'
import { AuthError, ConfigError, REALM, withChallenge } from './errors.js'
import { createStaticIssuersAuthenticator } from './issuers.js'
import { show, StepRecorder, type Explanation, type Seen } from './explain.js'
import { isJwsAlgorithm } from './keys/algorithms.js'
import { importSigningKeys } from './keys/import-signing-key.js'
import { deepFreeze, parseJsonObject } from './lib/json.js'
import { createEmitter } from './lib/events.js'
import { isPromiseLike } from './lib/thenable.js'
import { withOutcomes } from './outcome.js'
import { TokenCache } from './token-cache.js'
import { createExtractor } from './token/extract.js'
import { decodePayload, parseCompact, type ParsedToken } from './token/parse-compact.js'
import type {
  Authenticator,
  AuthenticatorHealth,
  AuthRequest,
  JwsAlgorithm,
  JwtAuthOptions,
  KeyDescription,
  KeyResolver,
  Principal,
  ResolvedOptions,
  VerificationKey,
} from './types.js'
import { verifySignature } from './verify/signature.js'

/** An {@link Authenticator} whose `ready()` and `health()` are always present (what jwtgate builds). */
export type OperableAuthenticator<TClaims extends object = Record<string, unknown>> =
  Authenticator<TClaims> & Required<Pick<Authenticator<TClaims>, 'ready' | 'health'>>

/** At most this many keys are tried for one token (keys sharing a kid, static key lists). */
export const MAX_KEYS_TRIED = 4
export { MAX_KID_LENGTH } from './token/parse-compact.js'

/**
 * Normalises options and insists on an enabled config.
 *
 * @param input - options in any accepted form
 * @returns the resolved options
 * @throws {@link ConfigError} for any invalid option, or `enabled` when the config is disabled
 */
export function resolveOptions(input: JwtAuthOptions): ResolvedOptions {
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
 * @typeParam TClaims - the shape of `principal.claims` for your custom claims (not checked at
 *   run time; see {@link Principal})
 * @param options - camelCase options (a resolved config, or `fromOpenSearch` / `fromAiven` for
 *   the other forms)
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
export function createStaticAuthenticator<TClaims extends object = Record<string, unknown>>(
  options: JwtAuthOptions,
): OperableAuthenticator<TClaims> {
  const resolved = resolveOptions(options)
  // TClaims is a static promise about the claims, made by the caller (like jose's jwtVerify<T>).
  if (resolved.issuers !== undefined) {
    return createStaticIssuersAuthenticator(resolved) as unknown as OperableAuthenticator<TClaims>
  }
  for (const key of ['jwksUri', 'openidConnectUrl'] as const) {
    if (resolved[key] !== undefined) {
      throw new ConfigError(key, 'is set: use createAuthenticator from @jwtgate/jwks for key sets')
    }
  }
  if (resolved.signingKey === undefined) throw new ConfigError('signingKey', 'is required')
  return createKeyResolverAuthenticator(
    resolved,
    createStaticKeyResolver(importSigningKeys(resolved.signingKey)),
  ) as unknown as OperableAuthenticator<TClaims>
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
    keyCount: keys.length,
    generation: 0,
    maxKeysTried: Number.POSITIVE_INFINITY,
    select: ({ alg }) => byAlg.get(alg) ?? [],
    describeKeys: () => keys.map(describeKey),
  }
}

/**
 * Builds the authenticate pipeline over any {@link KeyResolver}; `@jwtgate/jwks` uses this with
 * its self-refreshing key set. Order of checks: extraction → size and format → algorithm →
 * `typ` → key → signature → exp / nbf / iat → token age → issuer → audience → required claims →
 * subject → roles → scopes → `verifyClaims` → `isRevoked`. A cache hit re-checks the time
 * claims, the token age and `isRevoked`.
 *
 * @param options - resolved options (see {@link resolveOptions})
 * @param resolver - where keys come from
 * @returns the authenticator
 * @throws {@link ConfigError} `algorithms` when it names an algorithm no key can verify
 */
export function createKeyResolverAuthenticator(
  options: ResolvedOptions,
  resolver: KeyResolver,
): OperableAuthenticator {
  return createPipeline(options, resolver).authenticator
}

/**
 * One issuer's checks, reachable past extraction and parsing, for `issuers` routing
 * (`createIssuersAuthenticator`). Internal.
 */
export interface Pipeline {
  /** An authenticator over these checks alone (its own extraction and cache). */
  readonly authenticator: OperableAuthenticator
  /** Where the keys come from. */
  readonly resolver: KeyResolver
  /** `clockSkewToleranceSeconds`. */
  readonly skew: number
  /**
   * Algorithm → key → signature → claims → principal, for a token already parsed (and its
   * payload already decoded, when `claims` is given). Does not touch the token cache. `seen`
   * (auth events) and `rec` (explain) are the pipeline's observers, undefined on the hot path.
   */
  verifyParsed(
    token: string,
    parsed: ParsedToken,
    claims: Record<string, unknown> | undefined,
    seen?: Seen,
    rec?: StepRecorder,
  ): Principal | Promise<Principal>
  /**
   * The checks a cached principal goes through on every request (time claims, token age,
   * revocation). A Promise only when `isRevoked` returns one.
   */
  checkCached(principal: Principal): Principal | Promise<Principal>
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
  const scopesPath = options.scopesKey === undefined ? undefined : compilePath(options.scopesKey)
  // Second-wave checks, each resolved once here: undefined when its option is unset, so the hot
  // path pays one `undefined` test per feature.
  const typs = options.typ === undefined ? undefined : compileTyps(options.typ)
  const maxAge = options.maxTokenAgeSeconds
  const requiredClaims: readonly (readonly [string, ClaimPath])[] | undefined =
    options.requiredClaims?.map((name) => [name, compilePath(name)] as const)
  const verifyClaims = options.verifyClaims
  const isRevoked = options.isRevoked
  const maxTokenBytes = options.maxTokenBytes
  const maxKeysTried = resolver.maxKeysTried ?? MAX_KEYS_TRIED
  const cache = options.tokenCache
    ? new TokenCache(options.tokenCache.max, options.tokenCache.ttlMs, resolver.generation)
    : undefined
  const emit = createEmitter(options.onEvent)
  const listening = options.onEvent !== undefined
  const { challenge, realm } = options
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

  // The one pipeline behind authenticate(), authenticateNow() and explain(). `seen` (auth events)
  // and `rec` (explain) are undefined on the hot path. Synchronous unless the resolver must fetch
  // keys: a cache hit or a static key answers (or throws) without a Promise, so adapters can
  // continue in the same tick.
  function run(
    request: AuthRequest,
    seen: Seen | undefined,
    rec: StepRecorder | undefined,
  ): Principal | Promise<Principal> {
    if (closed) throw new AuthError('jwks_unavailable', { message: 'The authenticator is closed' })
    rec?.at('extraction')
    const token = extract(request)
    rec?.pass(`a bearer token of ${String(token.length)} characters`)
    if (cache !== undefined && rec === undefined) {
      const hit = cache.get(token, resolver.generation, performance.now())
      if (hit !== undefined) {
        if (seen !== undefined) {
          seen.cached = true
          seen.header = hit.header
          seen.claims = hit.claims
        }
        return checkCached(hit)
      }
    }
    rec?.at('parse')
    const parsed = parseCompact(token, maxTokenBytes)
    if (seen !== undefined) seen.header = parsed.header
    if (rec !== undefined) rec.payloadBytes = parsed.payloadBytes
    rec?.pass('three canonical base64url parts; the header is a JSON object with an alg')
    return verifyThenRevoke(token, parsed, undefined, seen, rec)
  }

  // What a cached principal goes through on every request: time claims, token age, revocation.
  function checkCached(principal: Principal): Principal | Promise<Principal> {
    const now = clock() / 1000
    checkTimeClaims(principal.claims, policy, now)
    if (maxAge !== undefined) checkTokenAge(principal.claims, maxAge, policy.skew, now)
    return isRevoked === undefined ? principal : revoke(principal, undefined)
  }

  // The checks of an uncached token, then isRevoked (the pipeline's verifyParsed).
  function verifyThenRevoke(
    token: string,
    parsed: ParsedToken,
    decoded: Record<string, unknown> | undefined,
    seen: Seen | undefined,
    rec: StepRecorder | undefined,
  ): Principal | Promise<Principal> {
    const result = verifyParsed(token, parsed, decoded, seen, rec)
    if (isRevoked === undefined) {
      rec?.skip('revocation', 'not checked: isRevoked is not set')
      return result
    }
    return isPromiseLike(result)
      ? Promise.resolve(result).then((principal) => revoke(principal, rec))
      : revoke(result, rec)
  }

  // isRevoked on every request, cache hits included. A boolean answer stays synchronous; a throw,
  // a rejection or an answer other than a boolean fails closed.
  function revoke(
    principal: Principal,
    rec: StepRecorder | undefined,
  ): Principal | Promise<Principal> {
    rec?.at('revocation')
    let answer: unknown
    try {
      answer = (isRevoked as NonNullable<typeof isRevoked>)(principal)
    } catch (cause) {
      throw new AuthError('token_revoked', { message: REVOCATION_FAILED, cause })
    }
    if (answer === false) {
      rec?.pass('isRevoked returned false')
      return principal
    }
    if (answer === true) throw new AuthError('token_revoked')
    if (typeof answer !== 'object' || answer === null || !isPromiseLike(answer)) {
      throw new AuthError('token_revoked', { message: REVOCATION_NOT_BOOLEAN })
    }
    return Promise.resolve(answer).then(
      (settled: unknown) => {
        if (settled === false) {
          rec?.pass('isRevoked resolved false')
          return principal
        }
        if (settled === true) throw new AuthError('token_revoked')
        throw new AuthError('token_revoked', { message: REVOCATION_NOT_BOOLEAN })
      },
      (cause: unknown) => {
        throw new AuthError('token_revoked', { message: REVOCATION_FAILED, cause })
      },
    )
  }

  function verifyParsed(
    token: string,
    parsed: ParsedToken,
    decoded: Record<string, unknown> | undefined,
    seen?: Seen,
    rec?: StepRecorder,
  ): Principal | Promise<Principal> {
    const alg = parsed.header.alg
    rec?.at('alg')
    if (rec !== undefined) rec.key.alg = String(alg)
    rec?.hint(`alg ${show(alg)}; allowed: ${[...allowed].join(', ')}`)
    if (!isJwsAlgorithm(alg) || !allowed.has(alg)) throw new AuthError('alg_not_allowed')
    rec?.pass(`${alg} is allowed (${[...allowed].join(', ')})`)
    if (typs !== undefined) checkTyp(parsed.header.typ, typs, rec)
    else rec?.skip('typ', 'not checked: typ is not set')
    const kid = parsed.header.kid
    rec?.at('key')
    if (rec !== undefined) describeKeys(rec, kid)
    if (!parsed.kidUsable) {
      throw new AuthError('key_not_found', {
        message: 'The token kid is not a string, too long, or holds control characters',
      })
    }
    // kidUsable: absent, or a string (checked once per distinct header by the parser).
    const selected = resolver.select({
      alg,
      kid: kid === '' ? undefined : (kid as string | undefined),
    })
    if (isPromiseLike(selected)) {
      return Promise.resolve(selected).then((keys) =>
        finish(token, parsed, alg, keys, decoded, seen, rec),
      )
    }
    return finish(token, parsed, alg, selected, decoded, seen, rec)
  }

  function finish(
    token: string,
    parsed: ParsedToken,
    alg: JwsAlgorithm,
    keys: readonly VerificationKey[],
    decoded: Record<string, unknown> | undefined,
    seen: Seen | undefined,
    rec: StepRecorder | undefined,
  ): Principal {
    if (keys.length === 0) throw new AuthError('key_not_found')
    if (rec !== undefined) rec.key.candidates = keys.length
    rec?.pass(`${String(keys.length)} candidate key(s) for ${alg}${keyWords(parsed.header.kid)}`)
    rec?.at('signature')
    let verified = false
    let tried = 0
    for (let i = 0; i < keys.length && i < maxKeysTried; i++) {
      const key = keys[i]
      tried++
      if (key !== undefined && verifySignature(alg, key, parsed.signingInput, parsed.signature)) {
        verified = true
        break
      }
    }
    if (rec !== undefined) rec.key.tried = tried
    if (!verified) throw new AuthError('signature_invalid')
    rec?.pass(`verified with ${alg} by candidate ${String(tried)} of ${String(keys.length)}`)
    rec?.at('payload')
    const claims = decoded ?? decodePayload(parsed)
    if (seen !== undefined) seen.claims = claims
    rec?.pass('the payload is a JSON object')
    const nowMs = clock()
    checkTimeClaims(claims, policy, nowMs / 1000, rec)
    if (maxAge !== undefined) checkTokenAge(claims, maxAge, policy.skew, nowMs / 1000, rec)
    else rec?.skip('maxTokenAge', 'not checked: maxTokenAgeSeconds is not set')
    checkIssuerAndAudience(claims, policy, policy.issuers ?? resolver.trustedIssuers, rec)
    if (requiredClaims !== undefined) {
      rec?.at('requiredClaims')
      for (const [name, path] of requiredClaims) {
        if (readPath(claims, path) === undefined) {
          throw new AuthError('claim_invalid', { message: `The "${name}" claim is required` })
        }
      }
      rec?.pass(`present: ${show(requiredClaims.map(([name]) => name))}`)
    } else rec?.skip('requiredClaims', 'not checked: requiredClaims is not set')
    rec?.at('subject')
    const subject = extractSubject(claims, subjectPath)
    rec?.pass(`${show(subject)} from ${show(options.subjectKey)}`)
    rec?.at('roles')
    const roles = extractRoles(claims, rolesPath)
    rec?.pass(
      rolesPath === undefined
        ? 'not read: rolesKey is not set'
        : `${show(roles)} from ${show(options.rolesKey)}`,
    )
    rec?.at('scopes')
    const scopes = extractScopes(claims, scopesPath)
    rec?.pass(
      `${show(scopes)} from ${scopesPath === undefined ? '"scope", then "scp" (scopesKey is not set)' : show(options.scopesKey)}`,
    )
    const frozen = deepFreeze(claims)
    if (verifyClaims !== undefined) {
      rec?.at('rules')
      runRule(verifyClaims, frozen, parsed.header)
      rec?.pass('verifyClaims accepted the claims')
    } else rec?.skip('rules', 'not checked: verifyClaims is not set')
    const principal: Principal = Object.freeze({
      subject,
      roles,
      scopes,
      claims: frozen,
      header: parsed.header, // deep-frozen by the parser
      token,
    })
    if (cache !== undefined && rec === undefined) {
      const exp = claims.exp
      let msUntilExp = typeof exp === 'number' ? (exp + policy.skew) * 1000 - nowMs : undefined
      if (maxAge !== undefined) {
        // The entry also dies when the token gets too old (the hit re-checks it regardless).
        const msUntilOld = ((claims.iat as number) + maxAge + policy.skew) * 1000 - nowMs
        if (msUntilExp === undefined || msUntilOld < msUntilExp) msUntilExp = msUntilOld
      }
      cache.set(principal, resolver.generation, performance.now(), msUntilExp)
    }
    return principal
  }

  /** What the key source offers, for explain(). */
  function describeKeys(rec: StepRecorder, kid: unknown): void {
    if (typeof kid === 'string') rec.key.kid = kid
    const offered = resolver.describeKeys?.()
    if (offered !== undefined) {
      rec.key.keysOnOffer = offered.length
      rec.key.kidsOnOffer = offered.flatMap((k) => (k.kid === undefined ? [] : [k.kid]))
      const shown = offered.map(
        (k) => `${k.kid === undefined ? '(no kid)' : show(k.kid)} ${k.algorithms.join('/')}`,
      )
      rec.hint(`kid ${show(kid)}; keys on offer: ${shown.length === 0 ? 'none' : shown.join(', ')}`)
    } else rec.hint(`kid ${show(kid)}`)
  }

  function keyWords(kid: unknown): string {
    return kid === undefined ? ' (the token has no kid)' : ` with kid ${show(kid)}`
  }

  // authenticateNow when events are listened to or the challenge differs from the default: the
  // same pipeline, with the outcome reported and errors rendered for `challenge` and `realm`.
  const rerender = !challenge || realm !== REALM
  const authenticateNow = withOutcomes<Seen>((request, seen) => run(request, seen, undefined), {
    emit,
    listening,
    challenge,
    realm,
    issuerOf: (seen) => seen.claims?.iss,
  })

  function authenticate(request: AuthRequest): Promise<Principal> {
    try {
      return Promise.resolve(authenticateNow(request))
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)))
    }
  }

  async function explain(request: AuthRequest): Promise<Explanation> {
    let rec: StepRecorder
    try {
      rec = new StepRecorder(clock() / 1000, policy.skew)
    } catch (e) {
      rec = new StepRecorder(Number.NaN, policy.skew)
      return rec.failed(e, decodeUnverified)
    }
    try {
      const result = run(request, rec, rec)
      return rec.succeeded(isPromiseLike(result) ? await result : result)
    } catch (e) {
      return rec.failed(
        rerender && e instanceof AuthError ? withChallenge(e, challenge, realm) : e,
        decodeUnverified,
      )
    }
  }

  const readyNow = Promise.resolve()
  const staticHealth: AuthenticatorHealth = Object.freeze({
    status: 'ok',
    keys: resolver.keyCount ?? 0,
  })
  const closedHealth: AuthenticatorHealth = Object.freeze({
    status: 'unavailable',
    keys: 0,
    lastError: 'closed',
  })
  const authenticator: OperableAuthenticator = {
    authenticate,
    authenticateNow,
    explain,
    challenge,
    realm,
    ready() {
      if (closed) {
        return Promise.reject(
          new AuthError('jwks_unavailable', { cause: new Error('The authenticator is closed') }),
        )
      }
      return resolver.ready?.() ?? readyNow
    },
    health() {
      if (closed) return closedHealth
      return resolver.health?.() ?? staticHealth
    },
    jwtHeader: options.jwtHeader,
    async close() {
      if (closed) return
      closed = true
      cache?.clear()
      await resolver.close?.()
    },
  }
  return {
    authenticator,
    resolver,
    skew: policy.skew,
    verifyParsed: verifyThenRevoke,
    checkCached,
  }
}

const REVOCATION_FAILED = 'The revocation check failed'
const REVOCATION_NOT_BOOLEAN = 'The revocation check did not answer true or false'
const RULE_REFUSED = 'The token claims were refused by verifyClaims'
const RULE_FAILED = 'The verifyClaims rule failed'

/**
 * Runs `verifyClaims` once for a verified token: `true` or nothing passes; `false`, a string (the
 * message) or a throw is claim_invalid. A Promise is refused (the rule must be synchronous).
 */
function runRule(
  rule: NonNullable<ResolvedOptions['verifyClaims']>,
  claims: Readonly<Record<string, unknown>>,
  header: Readonly<Record<string, unknown>>,
): void {
  let verdict: unknown
  try {
    verdict = rule(claims, header)
  } catch (cause) {
    throw new AuthError('claim_invalid', { message: RULE_FAILED, cause })
  }
  if (verdict === true || verdict === undefined) return
  if (typeof verdict === 'string') {
    throw new AuthError('claim_invalid', { message: verdict === '' ? RULE_REFUSED : verdict })
  }
  if (verdict === false) throw new AuthError('claim_invalid', { message: RULE_REFUSED })
  // Anything else (a Promise from an async rule, a number …) is not an answer: fail closed.
  throw new AuthError('claim_invalid', {
    message: 'The verifyClaims rule did not answer synchronously with true, false or a message',
  })
}

/** The payload as JSON, unverified: explain() shows it when the signature fails. */
function decodeUnverified(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    return parseJsonObject(bytes)
  } catch {
    return undefined
  }
}

/**
 * A key as {@link KeyResolver.describeKeys} shows it: kid, type and algorithms, never material.
 *
 * @param key - a bound key
 */
export function describeKey(key: VerificationKey): KeyDescription {
  return { kid: key.kid, type: key.type, algorithms: [...key.algorithms] }
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
