// The tables of docs/scale-out.md, computed by the fleet model. `pnpm --filter @jwtgate/scale-sim
// simulate` prints them; the package's test checks that the document shows what the model computes.
import {
  DEFAULT_SETTINGS,
  meanPerSecond,
  simulate,
  type IdpSettings,
  type KeySetSettings,
  type Result,
  type Scenario,
} from './fleet.js'

/** The fleet sizes of the tables. */
export const FLEET_SIZES = [1, 10, 100, 1000, 10_000] as const

const IDP: IdpSettings = { cacheControl: 'none', latencyMs: 50 }
/** Auth0's published Free-plan limit for /.well-known/jwks.json: burst 20, 20 per second. */
export const AUTH0_FREE_JWKS_LIMIT = { burst: 20, perSecond: 20, retryAfter: false } as const
const HOUR = 3_600_000

function base(replicas: number, settings: KeySetSettings = DEFAULT_SETTINGS): Scenario {
  return { replicas, durationMs: HOUR, startSpreadMs: 60_000, settings, idp: IDP }
}

function rate(value: number): string {
  if (value === 0) return '0'
  if (value < 0.01) return value.toPrecision(2)
  if (value < 10) return value.toFixed(2)
  return Math.round(value).toLocaleString('en-US')
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return 'not within the run'
  return ms < 1000 ? `${String(Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`
}

/** Table 1: start-up and steady state. */
export function steadyStateRow(replicas: number): string {
  const plain = simulate(base(replicas))
  const discovery = simulate(base(replicas, { ...DEFAULT_SETTINGS, discovery: true }))
  const noCache = simulate({ ...base(replicas), idp: { ...IDP, cacheControl: 'no-cache' } })
  const day = simulate({
    ...base(replicas),
    durationMs: 2 * 24 * HOUR,
    idp: { ...IDP, cacheControl: 86_400 },
  })
  return row([
    count(replicas),
    rate(plain.peakPerSecond),
    rate(discovery.peakPerSecond),
    rate(meanPerSecond(plain, 600_000, HOUR)),
    rate(meanPerSecond(noCache, 600_000, HOUR)),
    rate(meanPerSecond(day, 24 * HOUR, 2 * 24 * HOUR)),
  ])
}

/** Table 2: a kid flood of 50,000 forged tokens a second for a minute. */
export function floodRow(replicas: number): string {
  const flood = { startMs: 120_000, endMs: 720_000, perSecond: 50_000 }
  const during = (r: Result) => rate(meanPerSecond(r, 120_000, 720_000))
  const run = (settings: KeySetSettings, sharedCache?: { ttlMs: number }) =>
    simulate({
      ...base(replicas, settings),
      durationMs: 800_000,
      flood,
      ...(sharedCache ? { sharedCache } : {}),
    })
  return row([
    count(replicas),
    during(run(DEFAULT_SETTINGS)),
    during(
      run({ ...DEFAULT_SETTINGS, refreshRateLimitCount: 1, refreshRateLimitTimeWindowMs: 60_000 }),
    ),
    during(
      run({ ...DEFAULT_SETTINGS, refreshRateLimitCount: 1, refreshRateLimitTimeWindowMs: 600_000 }),
    ),
    during(run(DEFAULT_SETTINGS, { ttlMs: 60_000 })),
  ])
}

/** Table 3: a rotation whose new key signs at once, against Auth0's Free JWKS limit. */
export function rotationRow(replicas: number): string {
  const rotation = { publishAtMs: 300_000, useAtMs: 300_000, legitPerReplicaPerSecond: 20 }
  const run = (extra: Partial<Scenario>) =>
    simulate({
      ...base(replicas),
      durationMs: 1_200_000,
      idp: { ...IDP, limit: AUTH0_FREE_JWKS_LIMIT },
      rotation,
      ...extra,
    })
  const direct = run({})
  const jittered = run({ jitter: true })
  const shared = run({ sharedCache: { ttlMs: 10_000 } })
  const after = (r: Result) => count(meanPerSecond(r, 300_000, 1_200_000) * 900)
  const throttledAfter = (r: Result) =>
    count(r.throttledPerSecond.slice(300).reduce((a, b) => a + b, 0))
  return row([
    count(replicas),
    rate(direct.peakPerSecond),
    after(direct),
    throttledAfter(direct),
    seconds(direct.convergedAfterMs),
    count(direct.legitFailures),
    seconds(jittered.convergedAfterMs),
    count(jittered.legitFailures),
    after(shared),
    seconds(shared.convergedAfterMs),
    count(shared.legitFailures),
  ])
}

/** Every table, as Markdown rows, one array per table. */
export function tables(sizes: readonly number[] = FLEET_SIZES): string[][] {
  return [sizes.map(steadyStateRow), sizes.map(floodRow), sizes.map(rotationRow)]
}
