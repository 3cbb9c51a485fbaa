// HTTP benchmark: autocannon (as a library, in this process) against each framework in a child
// process: no auth, jwtgate with the token cache off and on, and the framework's usual plugin.
import { fork, type ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import { MockJwksServer } from '@jwtgate/testing'
import { FRAMEWORKS, MODES, type Framework, type Mode } from './http-modes.js'
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
}

/** Settings of the HTTP benchmark. */
export interface HttpSettings {
  durationS: number
  warmupS: number
  connections: number
  rounds: number
  log: (line: string) => void
}

async function start(framework: Framework, mode: Mode, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = fork(
    new URL('./http-server.js', import.meta.url),
    [framework, mode],
    {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  )
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

/** Runs every framework × mode `rounds` times, interleaved, and keeps each one's best round. */
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
  const best = new Map<string, HttpResult>()
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const framework of FRAMEWORKS) {
        for (const mode of MODES) {
          const label = MODE_LABELS[framework][mode]
          if (label === null) continue
          const server = await start(framework, mode, env)
          try {
            const probe = await fetch(server.url, { headers: { authorization: `Bearer ${token}` } })
            if (probe.status !== 200)
              throw new Error(`${framework}/${mode} answered ${probe.status}`)
            await load(server.url, token, settings.warmupS, settings.connections)
            const r = await load(server.url, token, settings.durationS, settings.connections)
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
          } finally {
            await server.stop()
          }
        }
      }
    }
  } finally {
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
