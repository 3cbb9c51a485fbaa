// `pnpm bench`: micro-benchmark, HTTP, JWKS herd and flood, cache memory; writes BENCHMARKS.md
// and results.json. BENCH_QUICK=1 shortens every run (and writes to tooling/bench/.quick/).
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runHttp } from './http.js'
import { runFlood, runHerd } from './jwks.js'
import { runMemory } from './memory.js'
import { runMicro } from './micro.js'
import { evaluateTargets, machine, renderMarkdown, type BenchResults } from './report.js'

const quick = process.env.BENCH_QUICK === '1'
const log = (line: string): void => {
  console.log(line)
}
const started = Date.now()

const root = fileURLToPath(new URL('../../../', import.meta.url))
const benchDir = fileURLToPath(new URL('../', import.meta.url))
const outDir = process.env.BENCH_OUT_DIR ?? (quick ? `${benchDir}.quick/` : undefined)

log(`jwtgate benchmarks${quick ? ' (quick)' : ''} — Node ${process.version}`)
log('\nVerification (ops/s, median of interleaved rounds)')
const micro = await runMicro(quick ? { rounds: 3, ms: 60, log } : { rounds: 7, ms: 250, log })

log('\nHTTP (autocannon)')
const http = await runHttp(
  quick
    ? { durationS: 1, warmupS: 0.5, connections: 32, rounds: 1, log }
    : { durationS: 1.5, warmupS: 0.5, connections: 32, rounds: 4, log },
)

log('\nJWKS')
const herd = await runHerd(10_000)
log(
  `  herd: ${herd.requests} concurrent new-kid requests → ${herd.fetches} fetch, ${herd.accepted} accepted`,
)
const flood = await runFlood(quick ? 20_000 : 100_000)
log(
  `  flood: ${flood.floodRequests} random kids → ${flood.fetches} fetches (bound ${flood.fetchBound}); valid ${flood.validAccepted}/${flood.validRequests}, p99 ${flood.validP99Ms.toFixed(3)} ms`,
)

log('\nMemory')
const memory = await runMemory(quick ? 100_000 : 1_000_000)
log(
  `  ${memory.tokens} tokens: +${(memory.heapAtFullBytes / 2 ** 20).toFixed(1)} MiB when the cache is full, +${(memory.heapAfterAllBytes / 2 ** 20).toFixed(1)} MiB after all`,
)

const targets = evaluateTargets(micro, http, herd, flood, memory)
const results: BenchResults = {
  date: new Date().toISOString().slice(0, 10),
  quick,
  machine: machine(),
  durationS: (Date.now() - started) / 1000,
  micro,
  http,
  herd,
  flood,
  memory,
  targets,
}
const markdownPath = outDir === undefined ? `${root}BENCHMARKS.md` : `${outDir}BENCHMARKS.md`
const jsonPath = outDir === undefined ? `${benchDir}results.json` : `${outDir}results.json`
if (outDir !== undefined) mkdirSync(outDir, { recursive: true })
writeFileSync(markdownPath, renderMarkdown(results))
writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`)

log('\nTargets')
for (const t of targets) log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.target}: ${t.measured}`)
log(`\nwrote ${markdownPath} and ${jsonPath} in ${Math.round(results.durationS)} s`)
