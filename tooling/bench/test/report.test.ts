// The committed BENCHMARKS.md and the root README's performance paragraph are renderings of the
// committed results.json: a hand edit to either (or a change of the renderer without
// `pnpm bench --render`) fails here, so the two documents cannot quote different figures.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  mergeRun,
  parseBenchFile,
  README_END,
  README_START,
  renderMarkdown,
  renderReadmeSummary,
  withReadmeSummary,
  type BenchResults,
} from '../src/report.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8')
const file = parseBenchFile(read('tooling/bench/results.json'))

describe('BENCHMARKS.md and the README quote the same results', () => {
  it('BENCHMARKS.md is what results.json renders to (pnpm bench --render)', () => {
    expect(read('BENCHMARKS.md')).toBe(renderMarkdown(file))
  })

  it("the README's performance paragraph is what results.json renders to", () => {
    const readme = read('README.md')
    expect(readme).toContain(README_START)
    expect(readme).toContain(README_END)
    expect(readme).toContain(renderReadmeSummary(file))
    expect(withReadmeSummary(readme, file)).toBe(readme)
  })

  it('a figure changed in results.json changes both documents', () => {
    const run = file.runs[0] as BenchResults
    const hit = run.micro.find((m) => m.alg === 'HS256' && m.contender === 'jwtgate (cache)')
    expect(hit?.usPerOp).toBeDefined()
    const changed = structuredClone(file)
    const row = (changed.runs[0] as BenchResults).micro.find(
      (m) => m.alg === 'HS256' && m.contender === 'jwtgate (cache)',
    )
    if (row === undefined || row.opsPerSec === null) throw new Error('no HS256 cache row')
    row.usPerOp = 0.123
    row.opsPerSec = 1e6 / 0.123
    expect(renderMarkdown(changed)).not.toBe(renderMarkdown(file))
    expect(renderReadmeSummary(changed)).toContain('0.12')
  })

  it('a run replaces the earlier run of its Node line and keeps the others, oldest line first', () => {
    const run = file.runs[0] as BenchResults
    const v24 = { ...run, machine: { ...run.machine, node: 'v24.0.0' } }
    const v22 = { ...run, machine: { ...run.machine, node: 'v22.0.0' } }
    const merged = mergeRun(mergeRun(mergeRun({ runs: [] }, v24), v22), {
      ...v24,
      machine: { ...run.machine, node: 'v24.1.0' },
    })
    expect(merged.runs.map((r) => r.machine.node)).toEqual(['v22.0.0', 'v24.1.0'])
  })

  it('a run of some parts keeps the other parts of the earlier run, with their date', () => {
    const run = file.runs[0] as BenchResults
    // A full run measured on one day (the committed run may carry dates of older parts).
    const full = { ...run, date: '2026-01-01', parts: [...run.parts], partDates: {} }
    const microOnly = { ...run, date: '2026-02-02', parts: ['micro' as const], http: [] }
    const merged = mergeRun({ runs: [full] }, microOnly).runs[0] as BenchResults
    expect(merged.date).toBe('2026-02-02')
    expect(merged.http).toEqual(run.http)
    expect(merged.parts).toEqual(run.parts)
    expect(merged.partDates?.http).toBe('2026-01-01')
    expect(merged.partDates?.micro).toBeUndefined()
  })
})
