// The listener's own cost on the hot path: an auth.success event for a token-cache hit. The
// budget for the whole cache-hit request with the listener on is 0.3 µs more than without it
// (issue 19); the listener must stay well inside it.
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { expect, it } from 'vitest'
import { createOtelListener } from '../src/index.js'

class Reader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

it('handles a cache-hit auth.success event in well under 0.3 µs', () => {
  const listener = createOtelListener(new MeterProvider({ readers: [new Reader()] }).getMeter('x'))
  const event = { type: 'auth.success', cached: true, alg: 'ES256' } as const
  const perCall: number[] = []
  for (let round = 0; round < 7; round++) {
    // CPU time, not wall-clock time: on a loaded machine the process is descheduled a lot.
    const n = 500_000
    const started = process.cpuUsage()
    for (let i = 0; i < n; i++) listener(event)
    const used = process.cpuUsage(started)
    perCall.push(((used.user + used.system) * 1000) / n)
  }
  perCall.sort((a, b) => a - b)
  const median = perCall[3] ?? Infinity
  console.log(`otel listener, auth.success: ${median.toFixed(0)} ns per event (median of 7)`)
  expect(median).toBeLessThan(300)
})
