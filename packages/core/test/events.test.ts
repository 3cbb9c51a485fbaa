import { describe, expect, it } from 'vitest'
import {
  createEmitter,
  MAX_EVENTS_PER_SECOND,
  type AuthEvent,
  type EventsSuppressedEvent,
} from '../src/index.js'
import { bearer, expectAuthFailure, hsToken, mint, SECRET_B64, staticAuth } from './helpers.js'

/** Polls until `check` is true, failing after `ms`. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const suppressed = (events: AuthEvent[], type: string): number =>
  events
    .filter((e): e is EventsSuppressedEvent => e.type === 'events.suppressed')
    .filter((e) => e.eventType === type)
    .reduce((n, e) => n + e.count, 0)

describe('createEmitter: bounded per-request events', () => {
  it('delivers at most 100 per second per type, then one events.suppressed per second', () => {
    let t = 0
    const events: AuthEvent[] = []
    const emit = createEmitter((e) => events.push(e), { now: () => t })
    for (let i = 0; i < 250; i++) emit({ type: 'jwks.rate_limited', kid: `k${String(i)}` })
    for (let i = 0; i < 30; i++)
      emit({ type: 'auth.failure', code: 'signature_invalid', detail: 'x' })
    expect(events.filter((e) => e.type === 'jwks.rate_limited')).toHaveLength(MAX_EVENTS_PER_SECOND)
    expect(events.filter((e) => e.type === 'auth.failure')).toHaveLength(30)
    // Unbounded types are never dropped.
    for (let i = 0; i < 300; i++) emit({ type: 'config.warning', message: 'm' })
    expect(events.filter((e) => e.type === 'config.warning')).toHaveLength(300)
    t = 1000
    emit({ type: 'jwks.rate_limited', kid: 'next' })
    expect(events.filter((e) => e.type === 'events.suppressed')).toEqual([
      { type: 'events.suppressed', eventType: 'jwks.rate_limited', count: 150 },
    ])
    expect(events.at(-1)).toEqual({ type: 'jwks.rate_limited', kid: 'next' })
  })

  it('the summary also comes on its own when the flood stops', async () => {
    const events: AuthEvent[] = []
    const emit = createEmitter((e) => events.push(e))
    for (let i = 0; i < 120; i++)
      emit({ type: 'auth.failure', code: 'signature_invalid', detail: 'x' })
    await until(() => suppressed(events, 'auth.failure') > 0, 3000)
    expect(suppressed(events, 'auth.failure')).toBe(20)
  })

  it('escapes and cuts kid, iss and alg; a throwing listener is ignored', () => {
    const events: AuthEvent[] = []
    const emit = createEmitter((e) => {
      events.push(e)
      throw new Error('listener bug')
    })
    const kid = `\u009b31m${'k'.repeat(221)}`
    expect(() => {
      emit({ type: 'auth.failure', code: 'key_not_found', kid, iss: 'i\u202ess', detail: 'x' })
    }).not.toThrow()
    const e = events[0] as { kid: string; iss: string }
    expect(e.kid.startsWith('\\u009b31m')).toBe(true)
    expect(e.kid).toHaveLength(64)
    expect(e.iss).toBe('i\\u202ess')
  })
})

describe('auth.success and auth.failure events (issue 19 item 3)', () => {
  it('report each request: cached or not, alg, iss; failures with code, alg, kid, iss, detail', async () => {
    const events: AuthEvent[] = []
    const auth = staticAuth({
      signingKey: SECRET_B64,
      tokenCache: {},
      requiredAudience: 'api',
      onEvent: (e) => events.push(e),
    })
    const token = hsToken({ sub: 'a', aud: 'api', iss: 'https://idp.example', exp: 1_800_000_300 })
    await auth.authenticate(bearer(token))
    await auth.authenticate(bearer(token))
    expect(events.filter((e) => e.type.startsWith('auth.'))).toEqual([
      { type: 'auth.success', cached: false, alg: 'HS256', iss: 'https://idp.example' },
      { type: 'auth.success', cached: true, alg: 'HS256', iss: 'https://idp.example' },
    ])
    events.length = 0
    const wrongAud = hsToken(
      { sub: 'a', aud: 'other', iss: 'https://idp.example' },
      {
        alg: 'HS256',
        kid: 'k1',
      },
    )
    await expectAuthFailure(auth.authenticate(bearer(wrongAud)), 'audience_mismatch')
    await expectAuthFailure(auth.authenticate(bearer('a.b')), 'token_malformed')
    const forged = mint({ alg: 'HS256', kid: 'k\u009b' }, { sub: 'a', iss: 'evil' }, () =>
      Buffer.alloc(32),
    )
    await expectAuthFailure(auth.authenticate(bearer(forged)), 'key_not_found')
    await expectAuthFailure(auth.authenticate({ headers: {} }), 'token_missing')
    expect(events).toEqual([
      {
        type: 'auth.failure',
        code: 'audience_mismatch',
        alg: 'HS256',
        kid: 'k1',
        iss: 'https://idp.example',
        detail: 'The token audience is not accepted',
      },
      {
        type: 'auth.failure',
        code: 'token_malformed',
        detail: 'The token must have exactly three parts',
      },
      // The iss of a token whose signature was never checked is not reported.
      {
        type: 'auth.failure',
        code: 'key_not_found',
        alg: 'HS256',
        kid: 'k\\u009b',
        detail: 'The token kid is not a string, too long, or holds control characters',
      },
      { type: 'auth.failure', code: 'token_missing', detail: 'No bearer token was presented' },
    ])
  })

  it('2,000 forged tokens make at most 100 auth.failure events a second, the rest summarised, no raw kid', async () => {
    const events: AuthEvent[] = []
    const auth = staticAuth({ signingKey: SECRET_B64, onEvent: (e) => events.push(e) })
    const kid = `\u009b${'x'.repeat(224)}`
    const forged = mint({ alg: 'HS256', kid }, { sub: 'a' }, () => Buffer.alloc(32))
    const started = performance.now()
    for (let i = 0; i < 2000; i++) {
      await expectAuthFailure(auth.authenticate(bearer(forged)), 'key_not_found')
    }
    const seconds = Math.ceil((performance.now() - started) / 1000)
    await until(
      () =>
        events.filter((e) => e.type === 'auth.failure').length +
          suppressed(events, 'auth.failure') ===
        2000,
    )
    const failures = events.filter((e) => e.type === 'auth.failure')
    expect(failures.length).toBeLessThanOrEqual(100 * seconds)
    expect(events.filter((e) => e.type === 'events.suppressed').length).toBeLessThanOrEqual(
      seconds + 1,
    )
    for (const f of failures) {
      expect((f as { kid: string }).kid).toHaveLength(64)
      expect((f as { kid: string }).kid).not.toContain('\u009b')
    }
  })

  it('no listener: no events, and the same answers', async () => {
    const auth = staticAuth({ signingKey: SECRET_B64 })
    await expect(auth.authenticate(bearer(hsToken()))).resolves.toMatchObject({ subject: 'alice' })
    await expectAuthFailure(auth.authenticate(bearer('a.b')), 'token_malformed')
  })
})
