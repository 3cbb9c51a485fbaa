// `pnpm bench` must run from a fresh clone and exit on its own. This runs the quick mode
// (BENCH_QUICK=1, ~45 s) into a temporary directory and checks that every part produced its
// figures. It asserts no speed: benchmarks are benchmarks, not timed tests. It loads both cores,
// so tooling/bench/turbo.json runs it after every other package's tests.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { parseBenchFile } from '../src/report.js'

const benchDir = fileURLToPath(new URL('../', import.meta.url))
const out = mkdtempSync(join(tmpdir(), 'jwtgate-bench-'))
afterAll(() => {
  rmSync(out, { recursive: true, force: true })
})

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--expose-gc', 'dist/main.js'],
      {
        cwd: benchDir,
        env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT_DIR: `${out}/` },
        // A bench that does not exit on its own (a leaked server or timer) fails here.
        timeout: 240_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        })
      },
    )
  })
}

describe('pnpm bench (quick mode)', () => {
  it('runs every part, writes BENCHMARKS.md and results.json, and exits by itself', async () => {
    const { code, stdout, stderr } = await runQuickBench()
    expect(code, stderr.slice(-2000)).toBe(0)
    expect(stdout).toContain('wrote ')

    const md = readFileSync(join(out, 'BENCHMARKS.md'), 'utf8')
    for (const section of [
      '## Targets',
      '## Verification',
      '## Feature costs',
      '## HTTP',
      '## JWKS',
      '## Memory',
    ]) {
      expect(md).toContain(section)
    }
    const file = parseBenchFile(readFileSync(join(out, 'results.json'), 'utf8'))
    expect(file.runs.map((run) => run.machine.node)).toEqual([process.version])
    const r = file.runs[0]
    if (r === undefined) throw new Error('no run in results.json')
    expect(r.quick).toBe(true)
    // Every contender verified (or was marked unsupported with a reason) for every algorithm.
    for (const alg of ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA']) {
      for (const contender of [
        'raw node:crypto',
        'jwtgate',
        'jwtgate (cache)',
        'fast-jwt',
        'jose',
      ]) {
        const row = r.micro.find((m) => m.alg === alg && m.contender === contender)
        expect(row?.opsPerSec, `${alg} ${contender}`).toBeGreaterThan(0)
      }
    }
    // The targets' ratios were measured in pairs for jwtgate and fast-jwt on every algorithm.
    for (const alg of ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA']) {
      const jwtgate = r.micro.find((m) => m.alg === alg && m.contender === 'jwtgate')
      const fastJwt = r.micro.find((m) => m.alg === alg && m.contender === 'fast-jwt')
      expect(jwtgate?.pairedToFloor, `${alg} jwtgate`).toBeGreaterThan(0)
      expect(jwtgate?.pairedToFastJwt, `${alg} jwtgate`).toBeGreaterThan(0)
      expect(fastJwt?.pairedToFloor, `${alg} fast-jwt`).toBeGreaterThan(0)
    }
    expect(md).toContain('| × floor, paired |')
    // Every framework with an empty hook has the paired ratio the HTTP target uses.
    for (const framework of ['fastify', 'express', 'koa', 'hono', 'nestjs']) {
      const row = r.http.find((h) => h.framework === framework && h.mode === 'jwtgate-cache')
      expect(row?.pairedToHook, framework).toBeGreaterThan(0)
    }
    // Every HTTP configuration answered 2xx only (a 401 would mean a broken set-up, not speed).
    expect(r.http.length).toBeGreaterThanOrEqual(14)
    for (const row of r.http)
      expect(row.non2xx + row.errors, `${row.framework} ${row.mode}`).toBe(0)
    // Deterministic outcomes, not speeds.
    // ES256's floor is the better of two raw forms; exactly one row of each algorithm is it.
    expect(
      r.micro.find((m) => m.alg === 'ES256' && m.contender === 'raw node:crypto (DER)'),
    ).toBeDefined()
    for (const alg of ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA']) {
      expect(r.micro.filter((m) => m.alg === alg && m.floor === true)).toHaveLength(1)
    }
    expect(r.herd?.fetches).toBe(1)
    expect(r.herd?.accepted).toBe(r.herd?.requests)
    expect(r.flood?.fetches).toBeLessThanOrEqual(r.flood?.fetchBound ?? 0)
    expect(r.flood?.floodAccepted).toBe(0)
    expect(r.flood?.validAccepted).toBe(r.flood?.validRequests)
    expect(r.targets.length).toBeGreaterThan(0)
    // Feature costs and routing were measured, and a feature never makes a hit cheaper by much.
    expect(r.costs?.plainNs).toBeGreaterThan(0)
    expect(r.costs?.otelNs).toBeGreaterThan(0)
    expect(r.costs?.revocationNs).toBeGreaterThan(0)
    expect(r.costs?.scopesNs).toBeGreaterThan(0)
    expect(r.issuers?.routingNs.two).toBeTypeOf('number')
  }, 260_000)
})
