import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import type { JwksAuthenticator } from '@jwtgate/jwks'
import { MockJwksServer } from '@jwtgate/testing'
import type { DataPoint, MetricReader } from '@opentelemetry/sdk-metrics'
import { metrics } from '@opentelemetry/api'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const example = (file: string) =>
  readFileSync(new URL(`../examples/${file}`, import.meta.url), 'utf8')

describe('README: metrics example', () => {
  let idp: MockJwksServer
  let auth: JwksAuthenticator
  let reader: MetricReader
  beforeAll(async () => {
    idp = await MockJwksServer.start({ keys: ['ES256'] })
    process.env.JWKS_URI = idp.jwksUri
    process.env.ISSUER = idp.issuer
    ;({ auth, reader } = await import('../examples/metrics.js'))
  })
  afterAll(async () => {
    await auth.close()
    metrics.disable()
    await idp.close()
  })

  it('is the code the README shows', () => {
    expect(readme).toContain(example('metrics.ts').trim())
  })

  it('runs: a fetch and a refused request show up in what the exporter receives', async () => {
    await expect(auth.authenticate({ headers: {} })).rejects.toMatchObject({
      code: 'token_missing',
      status: 401,
    })
    const token = await idp.sign({ sub: 'alice', aud: 'my-api' })
    expect(
      (await auth.authenticate({ headers: { authorization: `Bearer ${token}` } })).subject,
    ).toBe('alice')
    const { resourceMetrics } = await reader.collect()
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
    const fetches = all.find((m) => m.descriptor.name === 'jwtgate.jwks.fetches')
    expect((fetches?.dataPoints[0] as DataPoint<number> | undefined)?.value).toBe(1)
    expect(all.find((m) => m.descriptor.name === 'jwtgate.jwks.keys')?.dataPoints[0]?.value).toBe(1)
  })
})

describe('README: pino recipe', () => {
  it('is the code the README shows', () => {
    expect(readme).toContain(example('logs.ts').trim())
  })

  it('logs events as JSON lines at their level, without key material', async () => {
    const lines: { level: number; msg: string; event: Record<string, unknown> }[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number])
        done()
      },
    })
    const { logEvents } = await import('../examples/logs.js')
    const onEvent = logEvents(pino({ level: 'debug' }, sink))
    onEvent({
      type: 'jwks.fetch_failed',
      url: 'https://idp.example/jwks',
      reason: 'timeout',
      durationMs: 5000,
    })
    onEvent({ type: 'auth.failure', code: 'token_expired', detail: 'Token expired' })
    onEvent({
      type: 'jwks.fetch',
      url: 'https://idp.example/jwks',
      status: 200,
      durationMs: 12,
      bytes: 900,
      keys: 2,
      notModified: false,
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'jwks.fetch_failed'],
      [30, 'auth.failure'],
      [20, 'jwks.fetch'],
    ])
    expect(lines[0]?.event).toMatchObject({ reason: 'timeout' })
  })
})
