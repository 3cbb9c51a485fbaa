// What optional features cost on the hottest path, a token-cache hit: the OpenTelemetry listener
// (issue 19: at most +0.3 µs), an `isRevoked` hook answering synchronously, and a route's scope
// check (issue 16: at most +0.1 µs). CPU time per call, fastest of interleaved rounds.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  createRequirement,
  createStaticAuthenticator,
  type AuthRequest,
  type Authenticator,
  type Principal,
} from '@jwtgate/core'
import { createOtelListener } from '@jwtgate/otel'
import { cpuNsPerCall } from './measure.js'
import { AUD, ISS, makeKey, mint } from './tokens.js'

/** Cache-hit cost in nanoseconds per call, by feature. */
export interface CostResult {
  /** No optional feature. */
  readonly plainNs: number
  /** `onEvent: createOtelListener(meter)` with the OpenTelemetry SDK's MeterProvider. */
  readonly otelNs: number
  /** `isRevoked: () => false` (synchronous). */
  readonly revocationNs: number
  /** A route's `requireScopes` check after the hit, when measured. */
  readonly scopesNs?: number
}

/** Settings of one run. */
export interface CostSettings {
  rounds: number
  ms: number
  log: (line: string) => void
}

/**
 * Measures the cache-hit cost of each feature against the same authenticator without it.
 *
 * @param settings - rounds, CPU milliseconds per slice, log sink
 */
export async function runCosts(settings: CostSettings): Promise<CostResult> {
  const key = makeKey('ES256')
  const token = mint(key, {
    sub: 'alice',
    jti: 'costs',
    roles: ['reader'],
    scope: 'orders:read orders:write profile email',
  })
  const request: AuthRequest = { headers: { authorization: `Bearer ${token}` } }
  const base = { signingKey: key.signingKey, requiredAudience: AUD, requiredIssuer: ISS }
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  })
  const provider = new MeterProvider({ readers: [reader] })
  const variants: [string, Authenticator][] = [
    ['plainNs', createStaticAuthenticator(base)],
    [
      'otelNs',
      createStaticAuthenticator({
        ...base,
        onEvent: createOtelListener(provider.getMeter('bench')),
      }),
    ],
    ['revocationNs', createStaticAuthenticator({ ...base, isRevoked: () => false })],
  ]
  // What an adapter's requireScopes does after the hit: a requirement compiled at route
  // definition, checked against the principal.
  const scoped = createStaticAuthenticator(base)
  const requirement = createRequirement(
    'allScopes',
    ['orders:read', 'orders:write'],
    'requireScopes()',
  )
  const scopesOp = (): unknown => {
    const principal = scoped.authenticateNow?.(request) as Principal
    const denied = requirement.check(principal)
    if (denied !== undefined) throw denied
    return principal
  }
  variants.push(['scopesNs', scoped])
  for (const [, auth] of variants) {
    const now = auth.authenticateNow?.bind(auth)
    if (now === undefined) throw new Error('authenticateNow is missing')
    const first = now(request) // the one verification; every timed call is a hit
    if (first instanceof Promise) await first
  }
  // Warm-up, not recorded: every variant reaches its optimised code before the first timed slice.
  for (const [name, auth] of variants) {
    cpuNsPerCall(
      name === 'scopesNs' ? scopesOp : () => auth.authenticateNow?.(request),
      settings.ms * 3,
    )
  }
  const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]))
  for (let round = 0; round < settings.rounds; round++) {
    for (let j = 0; j < variants.length; j++) {
      const [name, auth] = variants[(round + j) % variants.length] as (typeof variants)[number]
      globalThis.gc?.()
      const op = name === 'scopesNs' ? scopesOp : () => auth.authenticateNow?.(request)
      samples.get(name)?.push(cpuNsPerCall(op, settings.ms))
    }
  }
  for (const [, auth] of variants) await auth.close()
  await provider.shutdown()
  const best = (name: string): number => Math.min(...(samples.get(name) ?? []))
  const result: CostResult = {
    plainNs: best('plainNs'),
    otelNs: best('otelNs'),
    revocationNs: best('revocationNs'),
    scopesNs: best('scopesNs'),
  }
  const f = (ns: number): string => `${ns.toFixed(0)} ns`
  settings.log(
    `  cache hit: plain ${f(result.plainNs)}; OTel listener ${f(result.otelNs)} (+${f(result.otelNs - result.plainNs)}, target ≤ +300 ns); isRevoked ${f(result.revocationNs)} (+${f(result.revocationNs - result.plainNs)}); requireScopes ${f(result.scopesNs ?? 0)} (+${f((result.scopesNs ?? 0) - result.plainNs)}, target ≤ +100 ns)`,
  )
  return result
}
