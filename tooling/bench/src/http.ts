// HTTP benchmark: autocannon (as a library, in this process) against each framework in a child
// process: no auth, jwtgate with the token cache off and on, and the framework's usual plugin.
// Where the machine allows it (Linux `taskset`, two cores or more), autocannon is pinned to the
// first core and every server to the second, so the two never share or swap a core: on the
// 2-core VM this roughly doubles req/s and takes most of the round-to-round noise out.
import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import { MockJwksServer } from '@jwtgate/testing'
import { FRAMEWORKS, MODES, type Framework, type Mode } from './http-modes.js'
import { median } from './measure.js'
import { AUD, ISS } from './tokens.js'

/** What each mode is called in the report. */
export const MODE_LABELS: Readonly<Record<Framework, Readonly<Record<Mode, string | null>>>> = {
  fastify: {
    none: 'no auth',
    hook: 'empty async onRequest hook',
    'jwtgate-cache': '@jwtgate/fastify (cache)',
    jwtgate: '@jwtgate/fastify (no cache)',
    peer: '@fastify/jwt',
  },
  express: {
    none: 'no auth',
    hook: 'empty middleware',
    'jwtgate-cache': '@jwtgate/express (cache)',
    jwtgate: '@jwtgate/express (no cache)',
    peer: 'express-jwt + jwks-rsa',
  },
  koa: {
    none: 'no auth',
    hook: 'empty async middleware',
    'jwtgate-cache': '@jwtgate/koa (cache)',
    jwtgate: '@jwtgate/koa (no cache)',
    peer: null, // no maintained Koa JWT plugin is installed for comparison
  },
  hono: {
    none: 'no auth',
    hook: 'empty middleware',
    'jwtgate-cache': '@jwtgate/hono (cache)',
    jwtgate: null, // the no-cache cost is the same core path as in the rows above
    peer: null,
  },
  nestjs: {
    none: 'no auth (Express platform)',
    hook: 'empty global guard',
    'jwtgate-cache': '@jwtgate/nestjs (cache)',
    jwtgate: null,
    peer: null,
  },
}

/** One row of the HTTP table (best of the rounds). */
export interface HttpResult {
  framework: Framework
  mode: Mode
  label: string
  reqPerSec: number
  p99Ms: number
  non2xx: number
  errors: number
  /** reqPerSec / the same framework's no-auth reqPerSec. */
  ratioToNoAuth: number
  /** p99Ms / the same framework's no-auth p99Ms (autocannon resolves latency to 1 ms). */
  p99RatioToNoAuth: number
  /**
   * jwtgate with the cache only: its req/s over the empty hook's, measured in pairs (short loads
   * of the two alternate, the first of a pair alternating too; the median of the pairs' ratios).
   */
  pairedToHook?: number
}

/** Short alternating loads of the empty hook and jwtgate (cache on) per framework, for the target. */
const HTTP_PAIRS = 8
const HTTP_PAIR_S = 0.6

/** Settings of the HTTP benchmark. */
export interface HttpSettings {
  /** Pairs of short loads for the target's ratio (default 8). */
  pairs?: number
  durationS: number
  warmupS: number
  connections: number
  rounds: number
  log: (line: string) => void
}

/** Pins a process to one CPU with taskset; false when that is not possible here. */
function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function start(framework: Framework, mode: Mode, env: NodeJS.ProcessEnv, pinned: boolean) {
  const child: ChildProcess = fork(
    new URL('./http-server.js', import.meta.url),
    [framework, mode],
    {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  )
  if (pinned && child.pid !== undefined) pin(child.pid, '1')
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => {
      resolve((m as { port: number }).port)
    })
    child.once('exit', (code) => {
      reject(new Error(`${framework}/${mode} server exited (${code})`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}/me`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }
}

async function load(url: string, token: string, durationS: number, connections: number) {
  return autocannon({
    url,
    connections,
    duration: durationS,
    headers: { authorization: `Bearer ${token}` },
  })
}

/**
 * Runs every framework × mode `rounds` times and keeps each one's best round. A framework's
 * servers (one per mode) all start first and stay up; each is warmed up, then the rounds
 * interleave them, the order rotating every round, so every mode sees the same stretch of time.
 */
export async function runHttp(settings: HttpSettings): Promise<HttpResult[]> {
  const idp = await MockJwksServer.start({
    keys: ['RS256'],
    issuer: ISS,
    cacheControl: 'max-age=300',
  })
  const token = await idp.sign({ sub: 'bench-user', aud: AUD }, { expiresIn: 3600 })
  const env = {
    ...process.env,
    BENCH_JWKS_URI: idp.jwksUri,
    BENCH_PUBLIC_KEY_PEM: idp.signingKey.publicKeyPem,
  }
  const cpus = availableParallelism()
  const pinned = cpus >= 2 && pin(process.pid, '0')
  settings.log(
    pinned
      ? '  autocannon pinned to CPU 0, servers to CPU 1'
      : '  not pinned (needs Linux taskset and two cores)',
  )
  const best = new Map<string, HttpResult>()
  try {
    for (const framework of FRAMEWORKS) {
      const modes = MODES.filter((m) => MODE_LABELS[framework][m] !== null)
      const servers: { mode: Mode; label: string; url: string; stop: () => Promise<void> }[] = []
      try {
        for (const mode of modes) {
          const server = await start(framework, mode, env, pinned)
          servers.push({ mode, label: MODE_LABELS[framework][mode] ?? mode, ...server })
          const probe = await fetch(server.url, { headers: { authorization: `Bearer ${token}` } })
          if (probe.status !== 200) throw new Error(`${framework}/${mode} answered ${probe.status}`)
        }
        for (const server of servers) {
          await load(server.url, token, settings.warmupS, settings.connections)
        }
        for (let round = 0; round < settings.rounds; round++) {
          const order = [
            ...servers.slice(round % servers.length),
            ...servers.slice(0, round % servers.length),
          ]
          for (const { mode, label, url } of order) {
            const r = await load(url, token, settings.durationS, settings.connections)
            const row: HttpResult = {
              framework,
              mode,
              label,
              reqPerSec: r.requests.average,
              p99Ms: r.latency.p99,
              non2xx: r.non2xx,
              errors: r.errors + r.timeouts,
              ratioToNoAuth: Number.NaN,
              p99RatioToNoAuth: Number.NaN,
            }
            settings.log(
              `  round ${round + 1} ${framework.padEnd(8)} ${label.padEnd(30)} ${Math.round(row.reqPerSec).toLocaleString('en-US').padStart(8)} req/s  p99 ${row.p99Ms} ms${row.non2xx + row.errors > 0 ? `  (${row.non2xx} non-2xx, ${row.errors} errors)` : ''}`,
            )
            const key = `${framework}/${mode}`
            const prev = best.get(key)
            if (prev === undefined || row.reqPerSec > prev.reqPerSec) {
              best.set(key, {
                ...row,
                non2xx: row.non2xx + (prev?.non2xx ?? 0),
                errors: row.errors + (prev?.errors ?? 0),
              })
            } else {
              prev.non2xx += row.non2xx
              prev.errors += row.errors
            }
          }
        }
        // The target's ratio, in pairs: a disturbance lasting longer than a pair slows both.
        const hook = servers.find((server) => server.mode === 'hook')
        const jwtgate = servers.find((server) => server.mode === 'jwtgate-cache')
        const row = best.get(`${framework}/jwtgate-cache`)
        if (hook !== undefined && jwtgate !== undefined && row !== undefined) {
          const ratios: number[] = []
          for (let p = 0; p < (settings.pairs ?? HTTP_PAIRS); p++) {
            const first = p % 2 === 0 ? hook : jwtgate
            const second = first === hook ? jwtgate : hook
            const a = await load(first.url, token, HTTP_PAIR_S, settings.connections)
            const b = await load(second.url, token, HTTP_PAIR_S, settings.connections)
            const [h, j] = first === hook ? [a, b] : [b, a]
            ratios.push(j.requests.average / h.requests.average)
          }
          row.pairedToHook = median(ratios)
          settings.log(
            `  paired ${framework.padEnd(8)} jwtgate (cache) / empty hook: ${row.pairedToHook.toFixed(3)} (median of ${String(ratios.length)} pairs)`,
          )
        }
      } finally {
        await Promise.all(servers.map((server) => server.stop()))
      }
    }
  } finally {
    if (pinned) pin(process.pid, `0-${cpus - 1}`)
    await idp.close()
  }
  const rows = [...best.values()]
  for (const row of rows) {
    const base = best.get(`${row.framework}/none`)
    row.ratioToNoAuth = base === undefined ? Number.NaN : row.reqPerSec / base.reqPerSec
    row.p99RatioToNoAuth = base === undefined ? Number.NaN : row.p99Ms / Math.max(base.p99Ms, 1)
  }
  return rows
}
