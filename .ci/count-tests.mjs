// Sums vitest's JSON reports into one closing line: test-results/vitest.json in each package (the
// machine's Node, `pnpm test`) and test-results/node-<version>/vitest.json (the other runtimes,
// `pnpm test:runtimes`). A report that says its run failed without a failed test (a crashed
// worker, an error outside any test) counts as one failure.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const reports = []
const collect = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) collect(path)
    else if (name.endsWith('.json')) {
      try {
        reports.push({ path, report: JSON.parse(readFileSync(path, 'utf8')) })
      } catch {
        reports.push({ path, report: { success: false } }) // a truncated report is a failure
      }
    }
  }
}
const walk = (dir, depth) => {
  if (depth > 4) return
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (!statSync(path).isDirectory()) continue
    if (name === 'test-results') collect(path)
    else walk(path, depth + 1)
  }
}
walk('.', 0)
let passed = 0
let failed = 0
let skipped = 0
const runtimes = new Set()
for (const { path, report: r } of reports) {
  runtimes.add(/node-([\d.]+)/.exec(path)?.[1] ?? 'default')
  passed += r.numPassedTests ?? 0
  const f = r.numFailedTests ?? 0
  failed += f === 0 && r.success === false ? 1 : f
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
}
console.log(
  `test reports: ${reports.length} (runtimes: ${[...runtimes].join(', ')})${skipped ? `, ${skipped} tests skipped` : ''}`,
)
console.log(`tests: ${passed} passed, ${failed} failed`)
