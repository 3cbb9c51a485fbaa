// BENCHMARKS.md and results.json from one run.
import { cpus, totalmem, type as osType, release } from 'node:os'
import type { MicroResult } from './micro.js'
import type { HttpResult } from './http.js'
import type { FloodResult, HerdResult } from './jwks.js'
import type { MemoryResult } from './memory.js'
import type { IssuersResult } from './issuers.js'
import type { CostResult } from './costs.js'
import { ALGS } from './tokens.js'

/** The parts of a run: `pnpm bench --parts micro,http` runs only those. */
export const PARTS = ['micro', 'http', 'jwks', 'memory'] as const
/** One part. */
export type Part = (typeof PARTS)[number]

/** Everything one run (one Node.js runtime) measured; parts that did not run are absent. */
export interface BenchResults {
  date: string
  quick: boolean
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string }
  durationS: number
  parts: Part[]
  /** When each part was measured, where not on `date` (parts kept from an earlier run). */
  partDates?: Partial<Record<Part, string>>
  micro: MicroResult[]
  http: HttpResult[]
  herd?: HerdResult | undefined
  flood?: FloodResult | undefined
  memory?: MemoryResult | undefined
  /** Routing by `iss` (measured with the micro part). */
  issuers?: IssuersResult | undefined
  /** Optional features on a cache hit (measured with the micro part). */
  costs?: CostResult | undefined
  targets: Target[]
}

/** results.json: the latest run on each Node.js line, oldest line first. */
export interface BenchFile {
  runs: BenchResults[]
}

/** The Node.js line of a run (`v24`). */
export const lineOf = (r: BenchResults): string => r.machine.node.split('.')[0] ?? r.machine.node

/**
 * Puts `run` into `file` in place of the earlier run on the same Node.js line. Parts the new run
 * did not measure (`--parts`) are kept from the earlier run, with their date.
 */
export function mergeRun(file: BenchFile, run: BenchResults): BenchFile {
  const old = file.runs.find((r) => lineOf(r) === lineOf(run))
  const runs = file.runs.filter((r) => r !== old)
  const merged: BenchResults = { ...run, partDates: {} }
  if (old !== undefined) {
    for (const part of PARTS) {
      if (run.parts.includes(part) || !old.parts.includes(part)) continue
      const date = old.partDates?.[part] ?? old.date
      merged.parts = [...merged.parts, part]
      merged.partDates = { ...merged.partDates, [part]: date }
      if (part === 'micro') {
        merged.micro = old.micro
        merged.issuers = old.issuers
        merged.costs = old.costs
      }
      if (part === 'http') merged.http = old.http
      if (part === 'jwks') {
        merged.herd = old.herd
        merged.flood = old.flood
      }
      if (part === 'memory') merged.memory = old.memory
    }
    merged.parts = PARTS.filter((p) => merged.parts.includes(p))
  }
  runs.push(merged)
  runs.sort((a, b) => Number(lineOf(a).slice(1)) - Number(lineOf(b).slice(1)))
  return { runs }
}

/** Reads results.json, accepting the single-run form written before runs were per runtime. */
export function parseBenchFile(text: string): BenchFile {
  const data = JSON.parse(text) as Partial<BenchFile> & Partial<BenchResults>
  if (Array.isArray(data.runs)) return { runs: data.runs }
  const run = data as Omit<BenchResults, 'parts'> & { parts?: Part[] }
  return { runs: [{ ...run, parts: run.parts ?? [...PARTS] }] }
}

/** One target with its measured figure. */
export interface Target {
  target: string
  measured: string
  met: boolean
}

/** Machine facts for the report header. */
export function machine(): BenchResults['machine'] {
  const cpu = cpus()
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
  }
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

function cell(micro: MicroResult[], alg: string, contender: string): MicroResult | undefined {
  return micro.find((r) => r.alg === alg && r.contender === contender)
}

/** Nanoseconds as signed microseconds: `+0.13`, `−0.02`. */
function signedUs(ns: number): string {
  return `${ns < 0 ? '−' : '+'}${Math.abs(ns / 1000).toFixed(2)}`
}

/** A row's speed against the floor: the paired measurement when the run has one. */
function toFloorOf(row: MicroResult | undefined): number {
  return row?.pairedToFloor ?? row?.ratioToRaw ?? Number.NaN
}

/** jwtgate's speed against fast-jwt: paired when measured so, else the ratio of the medians. */
function toFastJwtOf(jg: MicroResult | undefined, fj: MicroResult | undefined): number {
  return jg?.pairedToFastJwt ?? (jg?.opsPerSec ?? Number.NaN) / (fj?.opsPerSec ?? Number.NaN)
}

/** The algorithms whose uncached verification is held to the floor and to fast-jwt. */
const UNCACHED = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const

/** Evaluates the targets (issue 15) against one run's figures; parts that did not run add none. */
export function evaluateTargets(
  micro: MicroResult[],
  http: HttpResult[],
  herd?: HerdResult,
  flood?: FloodResult,
  memory?: MemoryResult,
  issuers?: IssuersResult,
  costs?: CostResult,
): Target[] {
  const targets: Target[] = []
  for (const alg of micro.length > 0 ? UNCACHED : []) {
    const jg = cell(micro, alg, 'jwtgate')
    const fj = cell(micro, alg, 'fast-jwt')
    const ratio = toFloorOf(jg)
    targets.push({
      target: `${alg}: authenticate without cache ≥ 0.95× the node:crypto floor`,
      measured: `${ratio.toFixed(2)}×`,
      met: ratio >= 0.95,
    })
    const vsFast = toFastJwtOf(jg, fj)
    targets.push({
      target: `${alg}: authenticate without cache ≥ 1.0× fast-jwt`,
      measured: `${vsFast.toFixed(2)}×`,
      met: vsFast >= 1.0,
    })
  }
  for (const alg of micro.length > 0 ? ALGS : []) {
    const hit = cell(micro, alg, 'jwtgate (cache)')
    const fast = cell(micro, alg, 'fast-jwt (cache)')
    const us = hit?.usPerOp ?? Number.NaN
    targets.push({
      target: `${alg}: cache hit ≤ 0.5 µs`,
      measured: `${us.toFixed(2)} µs`,
      met: us <= 0.5,
    })
    const vs = (hit?.opsPerSec ?? Number.NaN) / (fast?.opsPerSec ?? Number.NaN)
    targets.push({
      target: `${alg}: cache ≥ fast-jwt's cache`,
      measured: `${vs.toFixed(2)}×`,
      met: vs >= 1,
    })
  }
  if (issuers !== undefined) {
    for (const [n, ns] of [
      [2, issuers.routingNs.two],
      [50, issuers.routingNs.fifty],
    ] as const) {
      targets.push({
        target: `issuers (${n}): routing by iss ≤ 0.2 µs per uncached token`,
        measured: `${(ns / 1000).toFixed(2)} µs`,
        met: ns <= 200,
      })
    }
  }
  if (costs !== undefined) {
    const otel = costs.otelNs - costs.plainNs
    targets.push({
      target: 'OpenTelemetry listener: cache hit ≤ +0.3 µs',
      measured: `${signedUs(otel)} µs`,
      met: otel <= 300,
    })
    if (costs.scopesNs !== undefined) {
      const scopes = costs.scopesNs - costs.plainNs
      targets.push({
        target: 'requireScopes on a route: cache hit ≤ +0.1 µs',
        measured: `${signedUs(scopes)} µs`,
        met: scopes <= 100,
      })
    }
  }
  for (const row of http.filter((r) => r.mode === 'jwtgate-cache')) {
    const hook = http.find((r) => r.framework === row.framework && r.mode === 'hook')
    const ratio = row.pairedToHook ?? row.reqPerSec / (hook?.reqPerSec ?? Number.NaN)
    targets.push({
      target: `HTTP ${row.framework}: jwtgate (cache on) ≥ 0.97× the empty hook's req/s`,
      measured: `${ratio.toFixed(2)}× (${row.ratioToNoAuth.toFixed(2)}× no auth)`,
      met: ratio >= 0.97,
    })
  }
  if (herd !== undefined) {
    targets.push({
      target: `JWKS herd: ${fmt(herd.requests)} concurrent new-kid requests → exactly 1 fetch`,
      measured: `${herd.fetches} fetch, ${fmt(herd.accepted)} accepted`,
      met: herd.fetches === 1 && herd.accepted === herd.requests,
    })
  }
  if (flood !== undefined) {
    targets.push({
      target: `JWKS flood: ${fmt(flood.floodRequests)} random-kid requests → fetches ≤ rate limit`,
      measured: `${flood.fetches} fetches (bound ${flood.fetchBound}); valid p99 ${flood.validP99Ms.toFixed(2)} ms`,
      met:
        flood.fetches <= flood.fetchBound &&
        flood.floodAccepted === 0 &&
        flood.validAccepted === flood.validRequests,
    })
  }
  if (memory !== undefined) {
    targets.push({
      target: `Memory: heap after ${fmt(memory.tokens)} distinct tokens stays at the ${fmt(memory.cacheMax)}-entry bound`,
      measured: `${fmt(memory.heapAfterAllBytes / 2 ** 20, 1)} MiB after all vs ${fmt(memory.heapAtFullBytes / 2 ** 20, 1)} MiB when full`,
      met: memory.bounded,
    })
  }
  return targets
}

const micTable = (r: BenchResults): string[] => {
  const out = [
    '| Algorithm | Verifier | ops/s | µs/op | × floor | × floor, paired |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ]
  for (const row of r.micro) {
    const name = row.floor === true ? `${row.contender} ← floor` : row.contender
    const paired =
      row.pairedToFloor === undefined
        ? ''
        : `${fmt(row.pairedToFloor, 3)}${row.pairedToFastJwt === undefined ? '' : ` (${fmt(row.pairedToFastJwt, 3)}× fast-jwt)`}`
    out.push(
      row.opsPerSec === null
        ? `| ${row.alg} | ${name} | n/a | | (${row.note ?? 'unsupported'}) | |`
        : `| ${row.alg} | ${name} | ${fmt(row.opsPerSec)} | ${fmt(row.usPerOp ?? 0, 2)} | ${fmt(row.ratioToRaw ?? 0, 2)} | ${paired} |`,
    )
  }
  return out
}

const httpTable = (r: BenchResults): string[] => {
  const out = [
    '| Framework | Configuration | req/s | × no auth | p99 (ms) | p99 × no auth | × empty hook, paired |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const row of r.http) {
    const paired = row.pairedToHook === undefined ? '' : fmt(row.pairedToHook, 3)
    out.push(
      `| ${row.framework} | ${row.label} | ${fmt(row.reqPerSec)} | ${fmt(row.ratioToNoAuth, 2)} | ${row.p99Ms} | ${fmt(row.p99RatioToNoAuth, 2)} | ${paired} |${row.non2xx + row.errors > 0 ? ` ${row.non2xx} non-2xx, ${row.errors} errors` : ''}`,
    )
  }
  return out
}

/** Renders BENCHMARKS.md from every runtime's latest run. */
export function renderMarkdown(file: BenchFile): string {
  const out: string[] = []
  const runs = file.runs
  const first = runs[0]
  if (first === undefined) return '# jwtgate benchmarks\n\nNo runs yet: `pnpm bench`.\n'
  const m = first.machine
  out.push('# jwtgate benchmarks', '')
  out.push(
    `Generated by \`pnpm bench\` (tooling/bench), one run per Node.js line (\`pnpm bench --node all\`). Raw figures: [tooling/bench/results.json](tooling/bench/results.json).`,
    '',
  )
  out.push('| Machine | |', '| --- | --- |')
  out.push(`| CPU | ${m.cpu} × ${m.cores} |`, `| Memory | ${m.memoryGiB} GiB |`)
  out.push(`| OS | ${m.os} |`, '')
  out.push('| Node.js | Date | Parts | Duration |', '| --- | --- | --- | ---: |')
  for (const r of runs) {
    out.push(
      `| ${r.machine.node} | ${r.date}${r.quick ? ' (quick mode: indicative only)' : ''} | ${r.parts
        .map((p) => {
          const d = r.partDates?.[p]
          return d === undefined || d === r.date ? p : `${p} (${d})`
        })
        .join(', ')} | ${Math.round(r.durationS)} s |`,
    )
  }
  out.push('')
  out.push(
    'Every contender runs in one process on the same tokens, interleaved round by round (the order',
    'rotates each round and every timed slice starts after a full GC), so the',
    'noise of a shared machine mostly cancels out of the ratios; compare ratios, not absolute',
    'figures, across machines and runtimes.',
    '',
  )

  out.push('## Targets', '')
  // Evaluated here, from the figures, so that a change of target re-renders old runs too.
  const targetsOf = runs.map((r) =>
    evaluateTargets(r.micro, r.http, r.herd, r.flood, r.memory, r.issuers, r.costs),
  )
  const names: string[] = []
  for (const ts of targetsOf)
    for (const t of ts) if (!names.includes(t.target)) names.push(t.target)
  out.push(
    `| Target | ${runs.map((r) => r.machine.node).join(' | ')} |`,
    `| --- | ${runs.map(() => '---').join(' | ')} |`,
  )
  for (const name of names) {
    const cells = targetsOf.map((ts) => {
      const t = ts.find((x) => x.target === name)
      return t === undefined ? '—' : t.met ? t.measured : `**${t.measured} (missed)**`
    })
    out.push(`| ${name} | ${cells.join(' | ')} |`)
  }
  out.push('')

  out.push('## Verification', '')
  out.push(
    'Distinct tokens (1,024 per algorithm, each with `iss`, `aud`, `exp`, `sub`, `jti` and `roles`);',
    'every verifier requires the issuer and the audience, and was checked to accept a valid token',
    'and refuse a tampered one before it was timed. "raw node:crypto" rows are the floor: split, one',
    '`crypto.verify` (or HMAC, with the secret as a KeyObject: on Node 24.21 `createHmac` with a raw',
    'Buffer secret costs about 4.8× as much), decode and `JSON.parse` the payload, no checks. For ES256 the floor is',
    'the better of R‖S verified as `ieee-p1363` and R‖S converted to DER in JavaScript (one',
    'allocation) and verified as DER: on some runtimes the two differ, and the floor must be the',
    'fastest way node:crypto can verify. "ops/s" and "× floor" are medians of 7 interleaved',
    'rounds of 250 ms. The targets use "× floor, paired": jwtgate (and fast-jwt) and the floor run',
    'in alternating batches of about 2 ms (which one goes first alternates too), and the figure is',
    'the median over about 250 pairs of floor time / contender time (in parentheses: jwtgate',
    "against fast-jwt, measured the same way). Neighbouring batches share the machine's state, so",
    "a shared VM's bursts, which move separate slices by several per cent, cancel out. jwtgate is timed",
    'through the public `authenticateNow({ headers })`, the synchronous path the adapters take',
    '(`authenticate` is the same wrapped in one Promise), so extraction, strict parsing, the',
    'claims policy and the principal are included. Keys: HMAC 256-bit, RSA 2048 (RS256 and',
    "PS256), P-256, Ed25519. jose's keys are CryptoKeys imported once.",
    '',
  )
  for (const r of runs.filter((x) => x.micro.length > 0)) {
    out.push(`### Node.js ${r.machine.node}`, '', ...micTable(r), '')
  }

  const withCosts = runs.filter((r) => r.costs !== undefined || r.issuers !== undefined)
  if (withCosts.length > 0) {
    out.push('## Feature costs', '')
    out.push(
      'CPU time per call (user + system), fastest of 15 interleaved rounds, in nanoseconds. Cache',
      'hits of one ES256 token through `authenticateNow`: without options, with the OpenTelemetry',
      "listener (`@jwtgate/otel` on the SDK's MeterProvider), with a synchronous `isRevoked`, and",
      'with a route scope check (`requireScopes`). Routing: one HS256 token, token cache off, through',
      'one classic issuer and through `issuers` lists of 2 and 50 entries. The uncached rows differ',
      'by more from one run to the next than routing costs, so routing itself is measured in pairs:',
      'the classic issuer and the `issuers` list alternate in batches of about 2 ms for 1.5 s each,',
      'and the figure (what the target uses) is the median of the per-token differences.',
      '',
    )
    const ns = (v: number | undefined): string => (v === undefined ? '—' : fmt(v))
    const plus = (v: number | undefined, base: number | undefined): string =>
      v === undefined || base === undefined ? '—' : `${fmt(v)} (+${fmt(v - base)})`
    out.push(
      `| | ${withCosts.map((r) => r.machine.node).join(' | ')} |`,
      `| --- | ${withCosts.map(() => '---:').join(' | ')} |`,
    )
    const row = (label: string, f: (r: BenchResults) => string): void => {
      out.push(`| ${label} | ${withCosts.map(f).join(' | ')} |`)
    }
    row('cache hit', (r) => ns(r.costs?.plainNs))
    row('cache hit, OTel listener', (r) => plus(r.costs?.otelNs, r.costs?.plainNs))
    row('cache hit, isRevoked', (r) => plus(r.costs?.revocationNs, r.costs?.plainNs))
    row('cache hit, requireScopes', (r) => plus(r.costs?.scopesNs, r.costs?.plainNs))
    row('uncached, one issuer', (r) => ns(r.issuers?.uncachedNs.single))
    row('uncached, issuers × 2', (r) =>
      plus(r.issuers?.uncachedNs.two, r.issuers?.uncachedNs.single),
    )
    row('uncached, issuers × 50', (r) =>
      plus(r.issuers?.uncachedNs.fifty, r.issuers?.uncachedNs.single),
    )
    const signed = (v: number | undefined): string =>
      v === undefined ? '—' : `${v < 0 ? '−' : '+'}${fmt(Math.abs(v))}`
    row('routing by iss, issuers × 2 (paired)', (r) => signed(r.issuers?.routingNs.two))
    row('routing by iss, issuers × 50 (paired)', (r) => signed(r.issuers?.routingNs.fifty))
    out.push('')
  }

  out.push('## HTTP', '')
  out.push(
    'autocannon (as a library) in the benchmark process against the server in a child process,',
    'pinned with `taskset` to one core each (autocannon on CPU 0, every server on CPU 1), `GET /me`',
    'with one RS256 token from a JWKS endpoint (MockJwksServer), keys fetched once at start-up. A',
    "framework's servers all start first and stay up; after a warm-up, six rounds of one second",
    'interleave them (the order rotates each round) and the best round is kept, as interference on',
    "a shared machine only slows a round down; p99 is that round's (autocannon",
    'measures latency in whole milliseconds, so small p99 ratios are coarse).',
    '@fastify/jwt is given the public key directly (it has no JWKS client); express-jwt uses',
    'jwks-rsa with its cache. No maintained Koa JWT plugin is in the comparison. The "empty',
    'hook / middleware" rows are what the framework charges for any per-request hook: no auth',
    'plugin can go below them. Adapters answer a token-cache hit in the same tick (no Promise).',
    'The target uses "× empty hook, paired": after the rounds, eight pairs of 0.6-second loads of',
    'the empty hook and jwtgate (cache on) alternate (which goes first alternates too), and the',
    "figure is the median of the pairs' req/s ratios; the best rounds of separate loads move by",
    'several per cent from run to run on the shared VM.',
    '',
  )
  for (const r of runs.filter((x) => x.http.length > 0)) {
    out.push(`### Node.js ${r.machine.node}`, '', ...httpTable(r), '')
  }

  const withJwks = runs.find((r) => r.herd !== undefined && r.flood !== undefined)
  if (withJwks?.herd !== undefined && withJwks.flood !== undefined) {
    out.push('## JWKS', '', `On Node.js ${withJwks.machine.node}.`, '')
    const h = withJwks.herd
    const f = withJwks.flood
    out.push(
      `- **Herd**: after the IdP rotated to a new key, ${fmt(h.requests)} concurrent \`authenticate\` calls carrying its kid (token cache off) caused **${h.fetches}** JWKS fetch; ${fmt(h.accepted)} were accepted, in ${fmt(h.elapsedMs)} ms.`,
      `- **Flood**: ${fmt(f.floodRequests)} requests with random unknown kids and ${fmt(f.validRequests)} valid ones interleaved (64 in flight, token cache on) caused **${f.fetches}** fetches in ${fmt(f.elapsedMs / 1000, 1)} s (rate limit ${f.rateLimitCount} per ${fmt(f.rateLimitWindowMs / 1000)} s, so at most ${f.fetchBound}); ${fmt(f.rateLimited)} refreshes were refused by the limit. Flood outcomes: ${Object.entries(
        f.floodCodes,
      )
        .map(([code, n]) => `${code} × ${fmt(n)}`)
        .join(
          ', ',
        )}; ${f.floodAccepted} accepted. Valid requests: ${fmt(f.validAccepted)} of ${fmt(f.validRequests)} accepted, p50 ${f.validP50Ms.toFixed(3)} ms, p99 ${f.validP99Ms.toFixed(3)} ms.`,
      '',
    )
  }

  const withMemory = runs.find((r) => r.memory !== undefined)
  if (withMemory?.memory !== undefined) {
    const mem = withMemory.memory
    out.push('## Memory', '')
    out.push(
      `On Node.js ${withMemory.machine.node}: ${fmt(mem.tokens)} distinct valid HS256 tokens through one authenticator with the default token cache (${fmt(mem.cacheMax)} entries), heap measured after \`gc()\`: ${fmt(mem.heapAtFullBytes / 2 ** 20, 1)} MiB above the start once the cache is full (≈ ${fmt(mem.bytesPerEntry)} bytes per cached token, principal included), ${fmt(mem.heapAfterAllBytes / 2 ** 20, 1)} MiB after all of them (${fmt(mem.elapsedMs / 1000, 1)} s).`,
      '',
    )
  }
  out.push('## Reproduce', '')
  out.push(
    '```sh',
    'pnpm bench                  # full run on this Node; replaces its line in results.json, rewrites BENCHMARKS.md',
    'pnpm bench --node 24        # the same on Node 24 (a pinned runtime from .ci/runtimes.mjs, or a path)',
    'pnpm bench --node all       # full run on this Node, verification and HTTP on Node 22, 24 and 26',
    'pnpm bench --render         # rewrite BENCHMARKS.md and the README summary from results.json',
    'BENCH_QUICK=1 pnpm bench    # about a minute, writes to tooling/bench/.quick/',
    '```',
    '',
  )
  return out.join('\n')
}

/** Min–max of a list of figures, as text (`0.92–0.98`). */
function span(values: number[], digits: number): string {
  const ok = values.filter((v) => Number.isFinite(v))
  if (ok.length === 0) return 'n/a'
  const lo = Math.min(...ok).toFixed(digits)
  const hi = Math.max(...ok).toFixed(digits)
  return lo === hi ? lo : `${lo}–${hi}`
}

/** The README's performance summary, from the same results as BENCHMARKS.md. */
export function renderReadmeSummary(file: BenchFile): string {
  const runs = file.runs.filter((r) => r.micro.length > 0)
  const first = runs[0]
  if (first === undefined) return 'No benchmark results yet: run `pnpm bench`.'
  const all = <T>(f: (r: BenchResults) => T[]): T[] => runs.flatMap(f)
  const hits = all((r) => ALGS.map((a) => cell(r.micro, a, 'jwtgate (cache)')?.usPerOp ?? NaN))
  const hitVsFast = all((r) =>
    ALGS.map(
      (a) =>
        (cell(r.micro, a, 'jwtgate (cache)')?.opsPerSec ?? NaN) /
        (cell(r.micro, a, 'fast-jwt (cache)')?.opsPerSec ?? NaN),
    ),
  )
  const toFloor = all((r) => UNCACHED.map((a) => toFloorOf(cell(r.micro, a, 'jwtgate'))))
  const toFast = all((r) =>
    UNCACHED.map((a) => toFastJwtOf(cell(r.micro, a, 'jwtgate'), cell(r.micro, a, 'fast-jwt'))),
  )
  const hsOver = (r: BenchResults, c: string): number =>
    (cell(r.micro, 'HS256', c)?.usPerOp ?? NaN) -
    (cell(r.micro, 'HS256', 'raw node:crypto')?.usPerOp ?? NaN)
  const herd = file.runs.find((r) => r.herd !== undefined)?.herd
  const versions = runs.map((r) => r.machine.node)
  const list =
    versions.length > 1
      ? `${versions.slice(0, -1).join(', ')} and ${versions.at(-1) ?? ''}`
      : (versions[0] ?? '')
  return [
    `In short, on a ${first.machine.cores}-core VM, measured on Node.js ${list}: a token-cache hit`,
    `costs ${span(hits, 2)} µs (${span(hitVsFast, 1)}× fast-jwt's cache); without the cache jwtgate`,
    `runs at ${span(toFloor, 2)}× the node:crypto floor (RS256, PS256, ES256, EdDSA) and at`,
    `${span(toFast, 2)}× fast-jwt; on HS256, where the crypto is cheap enough to show it, it spends`,
    `${span(
      runs.map((r) => hsOver(r, 'jwtgate')),
      1,
    )} µs per token beyond the floor on parsing and policy against fast-jwt's ${span(
      runs.map((r) => hsOver(r, 'fast-jwt')),
      1,
    )} µs${herd === undefined ? '' : `; ${fmt(herd.requests)} concurrent requests with a new \`kid\` cause ${herd.fetches === 1 ? 'one JWKS fetch' : `${herd.fetches} JWKS fetches`}`}.`,
  ].join('\n')
}

/** Markers around the generated summary in the root README. */
export const README_START =
  '<!-- bench-summary:start (generated by pnpm bench from tooling/bench/results.json) -->'
export const README_END = '<!-- bench-summary:end -->'

/** The README with its summary replaced (the text between the markers), or unchanged without them. */
export function withReadmeSummary(readme: string, file: BenchFile): string {
  const a = readme.indexOf(README_START)
  const b = readme.indexOf(README_END)
  if (a < 0 || b < a) return readme
  return `${readme.slice(0, a + README_START.length)}\n\n${renderReadmeSummary(file)}\n\n${readme.slice(b)}`
}
