// Several issuers at once (DESIGN.md, Second wave, "Issuers"). The unverified `iss` picks the
// issuer by exact match, and only against the configured list: an unknown or missing `iss` is
// issuer_mismatch before any key is looked up or fetched, so a token can never make us fetch keys
// from a URL it names. Each issuer has its own options (top-level ones are the defaults), its own
// key source and refresh budget; the token cache is shared but every entry remembers its issuer
// and that issuer's key-set generation, so no cache hit can cross issuers or outlive a rotation.
import { performance } from 'node:perf_hooks'
import {
  createPipeline,
  createStaticKeyResolver,
  resolveOptions,
  type Pipeline,
  type OperableAuthenticator,
} from './authenticator.js'
import { AuthError, ConfigError, REALM, withChallenge } from './errors.js'
import { show, StepRecorder, type Explanation, type Seen } from './explain.js'
import { importSigningKeys } from './keys/import-signing-key.js'
import { createEmitter } from './lib/events.js'
import { parseJsonObject } from './lib/json.js'
import { isPromiseLike } from './lib/thenable.js'
import { withOutcomes } from './outcome.js'
import { TokenCache } from './token-cache.js'
import { createExtractor } from './token/extract.js'
import { decodePayload, parseCompact, type ParsedToken } from './token/parse-compact.js'
import type {
  AuthEvent,
  AuthenticatorHealth,
  AuthRequest,
  IssuerOptions,
  KeyResolver,
  Principal,
  ResolvedOptions,
} from './types.js'

/** One `issuers` entry, resolved: its options are complete, with `requiredIssuer: [issuer]`. */
export interface ResolvedIssuer {
  /** The `iss` value it serves. */
  readonly issuer: string
  /** `issuers[i]`, for error messages. */
  readonly name: string
  /** Top-level options overridden by the entry's; `onEvent` adds `issuer` to every event. */
  readonly options: ResolvedOptions
}

/** Options that only make sense once per authenticator (they act before the issuer is known). */
const TOP_LEVEL_ONLY: ReadonlySet<string> = new Set([
  'enabled',
  'issuers',
  'requiredIssuer',
  'jwtHeader',
  'jwtUrlParameter',
  'maxTokenBytes',
  'tokenCache',
  'challenge',
  'realm',
  'onEvent',
  'advanced',
])

/** Where an issuer's keys come from. */
const KEY_SOURCES = ['signingKey', 'jwksUri', 'openidConnectUrl'] as const

/**
 * Resolves every `issuers` entry over the top-level options.
 *
 * @param options - resolved top-level options with `issuers`
 * @returns one resolved entry per issuer, in order
 * @throws {@link ConfigError} naming the entry (`issuers[1].jwksUri`): duplicate issuers, an entry
 *   without a key source or mixing `signingKey` with `jwksUri` / `openidConnectUrl`, a top-level
 *   option inside an entry, a key source or `requiredIssuer` beside `issuers`, any invalid option
 */
export function resolveIssuers(options: ResolvedOptions): readonly ResolvedIssuer[] {
  const entries = options.issuers
  if (entries === undefined) throw new ConfigError('issuers', 'is not set')
  for (const key of [...KEY_SOURCES, 'requiredIssuer'] as const) {
    if (options[key] !== undefined) {
      throw new ConfigError(
        key,
        key === 'requiredIssuer'
          ? 'cannot be set beside issuers: each entry’s issuer is required of its tokens'
          : 'cannot be set beside issuers: give each issuer its own key source',
      )
    }
  }
  const defaults: Record<string, unknown> = { ...options }
  delete defaults.issuers
  const topEvent = options.onEvent
  const seen = new Map<string, number>()
  return Object.freeze(
    entries.map((entry: Readonly<IssuerOptions>, i): ResolvedIssuer => {
      const name = `issuers[${i}]`
      const { issuer, ...rest } = entry
      const first = seen.get(issuer)
      if (first !== undefined) {
        throw new ConfigError(
          `${name}.issuer`,
          `repeats issuers[${first}] (${JSON.stringify(issuer)})`,
        )
      }
      seen.set(issuer, i)
      for (const key of Object.keys(rest)) {
        if (TOP_LEVEL_ONLY.has(key)) {
          throw new ConfigError(
            `${name}.${key}`,
            key === 'requiredIssuer'
              ? 'cannot be set: the entry’s issuer is required of its tokens'
              : 'can only be set at the top level (it applies before the issuer is known)',
          )
        }
        if (key.includes('_') || key.includes('.')) {
          throw new ConfigError(
            `${name}.${key}`,
            'is not a known option (entries take camelCase names)',
          )
        }
      }
      const sources = KEY_SOURCES.filter((k) => k in rest)
      if (sources.length === 0) {
        throw new ConfigError(name, 'needs a key source: jwksUri, openidConnectUrl or signingKey')
      }
      if ('signingKey' in rest && sources.length > 1) {
        throw new ConfigError(
          `${name}.signingKey`,
          `cannot be mixed with ${sources.filter((k) => k !== 'signingKey').join(' / ')}: one key source per issuer`,
        )
      }
      let resolved: ResolvedOptions
      try {
        resolved = resolveOptions({
          ...defaults,
          ...rest,
          requiredIssuer: issuer,
          ...(topEvent === undefined
            ? {}
            : {
                onEvent: (event: AuthEvent) => {
                  topEvent({ ...event, issuer })
                },
              }),
        })
      } catch (e) {
        throw prefixed(e, name)
      }
      return Object.freeze({ issuer, name, options: resolved })
    }),
  )
}

/** One issuer behind the router. */
export interface IssuerRoute {
  /** The resolved entry. */
  readonly issuer: ResolvedIssuer
  /** Its key source (a static key resolver, or a self-refreshing key set). */
  readonly resolver: KeyResolver
}

interface Route {
  readonly pipeline: Pipeline
  readonly resolver: KeyResolver
  /** `issuers[i]`, for explain(). */
  readonly name: string
}

/** What a cached principal was verified under. */
interface Stamp {
  readonly route: Route
  readonly generation: number
}

/**
 * Builds an authenticator that routes each token to its issuer's checks by the token's `iss`,
 * matched exactly against the configured issuers. Extraction, the size limit, the token cache,
 * `challenge` and `realm` come from the top-level options; everything else from the issuer's.
 *
 * @param options - resolved top-level options (with `issuers`)
 * @param routes - one key source per resolved issuer, in the order of {@link resolveIssuers}
 * @returns the authenticator; `close()` closes every key source
 * @throws {@link ConfigError} for an issuer's invalid options (named `issuers[i].…`)
 */
export function createIssuersAuthenticator(
  options: ResolvedOptions,
  routes: readonly IssuerRoute[],
): OperableAuthenticator {
  const extract = createExtractor(options.jwtHeader, options.jwtUrlParameter)
  const maxTokenBytes = options.maxTokenBytes
  const clock = options.advanced.clock ?? Date.now
  const byIssuer = new Map<string, Route>()
  for (const { issuer, resolver } of routes) {
    let pipeline: Pipeline
    try {
      pipeline = createPipeline({ ...issuer.options, tokenCache: false }, resolver)
    } catch (e) {
      throw prefixed(e, issuer.name)
    }
    byIssuer.set(issuer.issuer, { pipeline, resolver, name: issuer.name })
  }
  // Shared by every issuer and keyed by the whole token; the stamp says which issuer verified a
  // principal and under which key-set generation (a rotation of that issuer invalidates it).
  const cache = options.tokenCache
    ? new TokenCache(options.tokenCache.max, options.tokenCache.ttlMs, 0)
    : undefined
  const stamps = new WeakMap<Principal, Stamp>()
  let closed = false
  const { challenge, realm } = options
  const emit = createEmitter(options.onEvent)
  const listening = options.onEvent !== undefined
  const rerender = !challenge || realm !== REALM
  const configured = [...byIssuer.keys()].map(show).join(', ')

  function remember(principal: Principal, route: Route, generation: number): Principal {
    if (cache === undefined || route.resolver.generation !== generation) return principal
    const exp = principal.claims.exp
    const nowMs = clock()
    const msUntilExp =
      typeof exp === 'number' ? (exp + route.pipeline.skew) * 1000 - nowMs : undefined
    stamps.set(principal, { route, generation })
    cache.set(principal, 0, performance.now(), msUntilExp)
    return principal
  }

  /** The token's issuer, by its unverified `iss` (exact match), or issuer_mismatch. */
  function route(parsed: ParsedToken, seen: RouterSeen | undefined, rec: StepRecorder | undefined) {
    // Routing reads the payload before the signature is checked; the claims decoded here are
    // the ones verified afterwards (the signature covers these very bytes).
    const claims = decodePayload(parsed)
    const iss = claims.iss
    rec?.hint(`iss ${show(iss)}; configured issuers: ${configured}`)
    if (iss !== undefined && typeof iss !== 'string') {
      throw new AuthError('claim_invalid', { message: 'The "iss" claim must be a string' })
    }
    if (seen !== undefined) seen.iss = iss
    const selected = iss === undefined ? undefined : byIssuer.get(iss)
    if (selected === undefined) throw new AuthError('issuer_mismatch')
    return { claims, iss, selected }
  }

  // The router behind authenticate() and authenticateNow(); `seen` (auth events) is undefined on
  // the hot path. explain() below takes the same steps with a recorder.
  function run(request: AuthRequest, seen: RouterSeen | undefined): Principal | Promise<Principal> {
    if (closed) throw new AuthError('jwks_unavailable', { message: 'The authenticator is closed' })
    const token = extract(request)
    if (cache !== undefined) {
      const hit = cache.get(token, 0, performance.now())
      if (hit !== undefined) {
        const stamp = stamps.get(hit)
        if (stamp !== undefined && stamp.generation === stamp.route.resolver.generation) {
          if (seen !== undefined) {
            seen.cached = true
            seen.header = hit.header
            seen.claims = hit.claims
          }
          return stamp.route.pipeline.checkCached(hit)
        }
      }
    }
    const parsed = parseCompact(token, maxTokenBytes)
    if (seen !== undefined) seen.header = parsed.header
    const { claims, selected } = route(parsed, seen, undefined)
    const generation = selected.resolver.generation
    const result = selected.pipeline.verifyParsed(token, parsed, claims, seen)
    if (cache === undefined) return result
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then((principal) =>
        remember(principal, selected, selected.resolver.generation),
      )
    }
    return remember(result, selected, generation)
  }

  // With a listener, or a challenge other than the default: the outcome reported (the `iss` that
  // routed the token, escaped and cut by the emitter) and errors rendered for challenge and realm.
  const authenticateNow = withOutcomes<RouterSeen>(run, {
    emit,
    listening,
    challenge,
    realm,
    issuerOf: (seen) => seen.iss,
  })

  /**
   * Every check in order: extraction, parse, routing (which issuer the unverified `iss`
   * selected, or why none did), then that issuer's checks, with its clock skew. Never throws;
   * bypasses the token cache and reports no auth events.
   */
  async function explain(request: AuthRequest): Promise<Explanation> {
    let rec = new StepRecorder(clock() / 1000, options.clockSkewToleranceSeconds)
    try {
      if (closed) {
        throw new AuthError('jwks_unavailable', { message: 'The authenticator is closed' })
      }
      rec.at('extraction')
      const token = extract(request)
      rec.pass(`a bearer token of ${String(token.length)} characters`)
      rec.at('parse')
      const parsed = parseCompact(token, maxTokenBytes)
      rec.header = parsed.header
      rec.payloadBytes = parsed.payloadBytes
      rec.pass('three canonical base64url parts; the header is a JSON object with an alg')
      rec.at('routing')
      const { claims, iss, selected } = route(parsed, undefined, rec)
      rec.pass(`iss ${show(iss)} selects ${selected.name} (of ${String(byIssuer.size)} issuers)`)
      if (selected.pipeline.skew !== rec.skewSeconds) {
        // The issuer's own clock skew applies from here on.
        const own = new StepRecorder(rec.nowSeconds, selected.pipeline.skew)
        own.steps.push(...rec.steps)
        own.header = rec.header
        own.payloadBytes = rec.payloadBytes
        rec = own
      }
      const result = selected.pipeline.verifyParsed(token, parsed, claims, rec, rec)
      return rec.succeeded(isPromiseLike(result) ? await result : result)
    } catch (e) {
      return rec.failed(
        rerender && e instanceof AuthError ? withChallenge(e, challenge, realm) : e,
        decodeUnverified,
      )
    }
  }

  function authenticate(request: AuthRequest): Promise<Principal> {
    try {
      return Promise.resolve(authenticateNow(request))
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)))
    }
  }

  const issuerAuths = [...byIssuer.values()].map((route) => route.pipeline.authenticator)
  const named = [...byIssuer].map(
    ([issuer, route]) => [issuer, route.pipeline.authenticator] as const,
  )
  return {
    authenticate,
    authenticateNow,
    explain,
    challenge,
    realm,
    jwtHeader: options.jwtHeader,
    // Ready when every issuer's keys are; health is the worst issuer's, keys summed, naming it.
    ready: () => Promise.all(issuerAuths.map((a) => a.ready())).then(() => undefined),
    health: () => worstHealth(named),
    async close() {
      if (closed) return
      closed = true
      cache?.clear()
      await Promise.all(issuerAuths.map((a) => a.close()))
    },
  }
}

/** What the router tells the auth events: the pipeline's, plus the `iss` that routed the token. */
interface RouterSeen extends Seen {
  iss?: string | undefined
}

/** The payload as JSON, unverified: explain() shows it when a check fails. */
function decodeUnverified(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    return parseJsonObject(bytes)
  } catch {
    return undefined
  }
}

const HEALTH_RANK = { ok: 0, stale: 1, starting: 2, unavailable: 3 } as const

/**
 * The worst of several issuers' health, with their usable keys summed; unless every issuer is ok,
 * the issuer it is about and each issuer's own (built only then: probes call this every few
 * seconds, and with many issuers the breakdown costs more than the rest).
 */
function worstHealth(
  list: readonly (readonly [string, OperableAuthenticator])[],
): AuthenticatorHealth {
  let worst: AuthenticatorHealth | undefined
  let worstIssuer = ''
  let keys = 0
  for (const [issuer, authenticator] of list) {
    const h = authenticator.health()
    keys += h.keys
    if (worst === undefined || HEALTH_RANK[h.status] > HEALTH_RANK[worst.status]) {
      worst = h
      worstIssuer = issuer
    }
  }
  if (worst === undefined || worst.status === 'ok') return { status: 'ok', keys }
  const issuers: Record<string, AuthenticatorHealth> = {}
  for (const [issuer, authenticator] of list) issuers[issuer] = authenticator.health()
  return { ...worst, keys, issuer: worstIssuer, issuers }
}

/**
 * `createStaticAuthenticator` with `issuers`: every entry verifies with its own `signingKey`.
 *
 * @param options - resolved options with `issuers`
 * @throws {@link ConfigError} for an entry with `jwksUri` / `openidConnectUrl` (key sets need
 *   `createAuthenticator` from `@jwtgate/jwks`), and everything {@link resolveIssuers} refuses
 */
export function createStaticIssuersAuthenticator(options: ResolvedOptions): OperableAuthenticator {
  const routes = resolveIssuers(options).map((issuer): IssuerRoute => {
    for (const key of ['jwksUri', 'openidConnectUrl'] as const) {
      if (issuer.options[key] !== undefined) {
        throw new ConfigError(
          `${issuer.name}.${key}`,
          'is set: use createAuthenticator from @jwtgate/jwks for key sets',
        )
      }
    }
    return createStaticIssuerRoute(issuer)
  })
  return createIssuersAuthenticator(options, routes)
}

/**
 * The route of an issuer that verifies with its own `signingKey` (keys imported now).
 *
 * @param issuer - a resolved entry with `signingKey`
 * @throws {@link ConfigError} `issuers[i].signingKey` when it is missing or unusable
 */
export function createStaticIssuerRoute(issuer: ResolvedIssuer): IssuerRoute {
  const { signingKey } = issuer.options
  if (signingKey === undefined) throw new ConfigError(`${issuer.name}.signingKey`, 'is required')
  try {
    return { issuer, resolver: createStaticKeyResolver(importSigningKeys(signingKey)) }
  } catch (e) {
    throw prefixed(e, issuer.name)
  }
}

/** A ConfigError about an entry's option, renamed `issuers[i].key`. */
function prefixed(e: unknown, name: string): unknown {
  if (!(e instanceof ConfigError) || e.key.startsWith('issuers[')) return e
  const detail = e.message.startsWith(`"${e.key}" `) ? e.message.slice(e.key.length + 3) : e.message
  return new ConfigError(`${name}.${e.key}`, detail, { cause: e })
}
