// Sums vitest's JSON reports (test-results/vitest.json in each package) into one closing line.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const reports = []
const walk = (dir, depth) => {
  if (depth > 4) return
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (!statSync(path).isDirectory()) continue
    if (name === 'test-results') {
      try {
        reports.push(JSON.parse(readFileSync(join(path, 'vitest.json'), 'utf8')))
      } catch {
        // no report in this folder
      }
    } else walk(path, depth + 1)
  }
}
walk('.', 0)
let passed = 0
let failed = 0
let skipped = 0
for (const r of reports) {
  passed += r.numPassedTests ?? 0
  failed += r.numFailedTests ?? 0
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
}
console.log(`test reports: ${reports.length}${skipped ? `, ${skipped} tests skipped` : ''}`)
console.log(`tests: ${passed} passed, ${failed} failed`)
