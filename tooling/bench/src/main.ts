// `pnpm bench`: micro-benchmark, HTTP, JWKS herd and flood, cache memory, on this Node.js or on
// another runtime; keeps the latest run per Node.js line in results.json and renders BENCHMARKS.md
// (one table per runtime) and the root README's summary from it. BENCH_QUICK=1 shortens every run
// (and writes to tooling/bench/.quick/).
//
//   pnpm bench                       every part on this Node
//   pnpm bench --node 24             the same on Node 24 (pinned in .ci/runtimes.mjs) or a path
//   pnpm bench --node all            every part on this Node; micro and HTTP on the pinned others
//   pnpm bench --parts micro,http    only those parts
//   pnpm bench --render              re-render BENCHMARKS.md and the README summary, no measuring
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runHttp, type HttpResult } from './http.js'
import { runIssuers, type IssuersResult } from './issuers.js'
import { runCosts, type CostResult } from './costs.js'
import { runFlood, runHerd, type FloodResult, type HerdResult } from './jwks.js'
import { runMemory, type MemoryResult } from './memory.js'
import { runMicro, type MicroResult } from './micro.js'
import {
  evaluateTargets,
  machine,
  mergeRun,
  parseBenchFile,
  PARTS,
  renderMarkdown,
  withReadmeSummary,
  type BenchFile,
  type BenchResults,
  type Part,
} from './report.js'

const { values: args } = parseArgs({
  options: {
    node: { type: 'string' },
    parts: { type: 'string' },
    render: { type: 'boolean', default: false },
  },
})

const quick = process.env.BENCH_QUICK === '1'
const log = (line: string): void => {
  console.log(line)
}
const root = fileURLToPath(new URL('../../../', import.meta.url))
const benchDir = fileURLToPath(new URL('../', import.meta.url))
const outDir = process.env.BENCH_OUT_DIR ?? (quick ? `${benchDir}.quick/` : undefined)
const markdownPath = outDir === undefined ? `${root}BENCHMARKS.md` : `${outDir}BENCHMARKS.md`
const jsonPath = outDir === undefined ? `${benchDir}results.json` : `${outDir}results.json`

const parts = (args.parts?.split(',') ?? [...PARTS]) as Part[]
for (const p of parts) {
  if (!PARTS.includes(p)) throw new Error(`--parts: unknown part "${p}" (${PARTS.join(', ')})`)
}

function readFile(): BenchFile {
  return existsSync(jsonPath) ? parseBenchFile(readFileSync(jsonPath, 'utf8')) : { runs: [] }
}

/** Writes results.json, BENCHMARKS.md and (for the real results only) the README's summary. */
function write(file: BenchFile): void {
  if (outDir !== undefined) mkdirSync(outDir, { recursive: true })
  writeFileSync(jsonPath, `${JSON.stringify(file, null, 2)}\n`)
  writeFileSync(markdownPath, renderMarkdown(file))
  if (outDir === undefined) {
    const readmePath = `${root}README.md`
    writeFileSync(readmePath, withReadmeSummary(readFileSync(readmePath, 'utf8'), file))
  }
}

/** A runtime's node binary, through .ci/runtimes.mjs (which installs a pinned one if needed). */
function runtimeBinary(which: string): string {
  return execFileSync(process.execPath, [`${root}.ci/runtimes.mjs`, 'path', which], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim()
}

async function measure(): Promise<BenchResults> {
  const started = Date.now()
  log(`jwtgate benchmarks${quick ? ' (quick)' : ''} — Node ${process.version}: ${parts.join(', ')}`)
  let micro: MicroResult[] = []
  let http: HttpResult[] = []
  let herd: HerdResult | undefined
  let flood: FloodResult | undefined
  let memory: MemoryResult | undefined
  let issuers: IssuersResult | undefined
  let costs: CostResult | undefined
  if (parts.includes('micro')) {
    log('\nVerification (ops/s, median of interleaved rounds)')
    micro = await runMicro(quick ? { rounds: 3, ms: 60, log } : { rounds: 7, ms: 250, log })
    log('\nRouting by iss (issuers; CPU time per call, fastest round)')
    issuers = runIssuers(quick ? { rounds: 3, ms: 60, log } : { rounds: 15, ms: 100, log })
    log('\nFeature costs on a cache hit (CPU time per call, fastest round)')
    costs = await runCosts(quick ? { rounds: 3, ms: 60, log } : { rounds: 15, ms: 100, log })
  }
  if (parts.includes('http')) {
    log('\nHTTP (autocannon)')
    http = await runHttp(
      quick
        ? { durationS: 1, warmupS: 0.5, connections: 32, rounds: 1, pairs: 2, log }
        : { durationS: 1, warmupS: 1, connections: 32, rounds: 6, log },
    )
  }
  if (parts.includes('jwks')) {
    log('\nJWKS')
    herd = await runHerd(10_000)
    log(
      `  herd: ${herd.requests} concurrent new-kid requests → ${herd.fetches} fetch, ${herd.accepted} accepted`,
    )
    flood = await runFlood(quick ? 20_000 : 100_000)
    log(
      `  flood: ${flood.floodRequests} random kids → ${flood.fetches} fetches (bound ${flood.fetchBound}); valid ${flood.validAccepted}/${flood.validRequests}, p99 ${flood.validP99Ms.toFixed(3)} ms`,
    )
  }
  if (parts.includes('memory')) {
    log('\nMemory')
    memory = await runMemory(quick ? 100_000 : 1_000_000)
    log(
      `  ${memory.tokens} tokens: +${(memory.heapAtFullBytes / 2 ** 20).toFixed(1)} MiB when the cache is full, +${(memory.heapAfterAllBytes / 2 ** 20).toFixed(1)} MiB after all`,
    )
  }
  const targets = evaluateTargets(micro, http, herd, flood, memory, issuers, costs)
  log('\nTargets')
  for (const t of targets) log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.target}: ${t.measured}`)
  return {
    date: new Date().toISOString().slice(0, 10),
    quick,
    machine: machine(),
    durationS: (Date.now() - started) / 1000,
    parts,
    micro,
    http,
    herd,
    flood,
    memory,
    issuers,
    costs,
    targets,
  }
}

if (args.render) {
  write(readFile())
  log(`rendered ${markdownPath} from ${jsonPath}`)
} else if (args.node !== undefined) {
  // One child process per runtime, each running this script without --node.
  // `all`: this Node first, then every pinned runtime.
  const bins =
    args.node === 'all' ? runtimeBinary('all').split('\n') : args.node.split(',').map(runtimeBinary)
  const started = Date.now()
  let failed = false
  for (const [i, bin] of bins.entries()) {
    const childParts = args.parts ?? (args.node === 'all' && i > 0 ? 'micro,http' : PARTS.join(','))
    const r = spawnSync(
      bin,
      ['--expose-gc', fileURLToPath(import.meta.url), '--parts', childParts],
      { stdio: 'inherit' },
    )
    if (r.status !== 0) failed = true
  }
  log(`\n${bins.length} runtime(s) in ${Math.round((Date.now() - started) / 1000)} s`)
  if (failed) process.exitCode = 1
} else {
  const run = await measure()
  write(mergeRun(readFile(), run))
  log(`\nwrote ${markdownPath} and ${jsonPath} in ${Math.round(run.durationS)} s`)
}
