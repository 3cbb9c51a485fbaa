// SECURITY-CATALOGUE.md section 7 (HTTP extraction and responses) through the Fastify adapter,
// on a real server on 127.0.0.1. Requests are written byte by byte on a raw socket so that header
// spacing, tabs, repeated headers and non-UTF-8 bytes reach Node exactly as an attacker sends them.
import { connect } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jwtAuth, requireRoles } from '@jwtgate/fastify'
import { algNoneToken } from '@jwtgate/testing'
import { AUD, b64, baseClaims, clock, getFixtures, hs256, sign, type Fixtures } from './helpers.js'

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

let F: Fixtures
let app: FastifyInstance
let port: number
let handled = 0
let good: string
let forged: string

/** Sends `head` (request line + header lines, without the final CRLF) and reads to the end. */
function raw(head: string | Buffer, p = port): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(p, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c) => chunks.push(c))
    // Node ≥ 24 answers an oversized head (431) and then destroys the socket while the client
    // is still sending, which resets the connection after the answer arrived: read the answer.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' && chunks.length > 0) socket.emit('end')
      else reject(err)
    })
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const [top = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = top.split('\r\n')
      const headers: Record<string, string> = {}
      for (const l of lines) {
        const i = l.indexOf(':')
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim()
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') })
    })
    const bytes = typeof head === 'string' ? Buffer.from(head, 'latin1') : head
    socket.end(Buffer.concat([bytes, Buffer.from('\r\nConnection: close\r\n\r\n')]))
  })
}

const get = (path: string, ...headers: string[]) =>
  raw([`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers].join('\r\n'))

/** Asserts a JSON error response with `code` and the catalogue's hygiene rules (I1, I2, I5). */
function expectError(res: RawResponse, status: number, code: string, secrets: string[] = []): void {
  expect({ status: res.status, error: (JSON.parse(res.body) as { error?: string }).error }).toEqual(
    {
      status,
      error: code,
    },
  )
  const body = JSON.parse(res.body) as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(['error', 'message'])
  for (const s of secrets) expect(res.body).not.toContain(s)
}

beforeAll(async () => {
  F = await getFixtures()
  good = await sign({ alg: 'HS256' }, baseClaims({ roles: ['user'] }), hs256(F.S))
  forged = await sign(
    { alg: 'HS256' },
    baseClaims({ sub: 'admin', roles: ['admin'] }),
    hs256(Buffer.alloc(32, 1)),
  )
  app = Fastify()
  await app.register(jwtAuth, {
    signingKey: b64(F.S),
    requiredAudience: AUD,
    rolesKey: 'roles',
    jwtUrlParameter: 'jwt',
    tokenCache: false,
    advanced: { clock },
  })
  app.get('/me', (request) => {
    handled++
    return { subject: request.auth?.subject }
  })
  app.get('/admin', { preHandler: requireRoles('admin') }, () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as { port: number }).port
})
afterAll(async () => {
  await app.close()
})

describe('7. HTTP extraction and responses (Fastify adapter)', () => {
  it('SEC-000 positive control: Bearer <valid> → 200 with the subject', async () => {
    const res = await get('/me', `Authorization: Bearer ${good}`)
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ subject: 'alice' })
  })

  it.each(['bearer', 'BEARER', 'BeArEr'])(
    'SEC-081 scheme "%s" (lowercase and other cases) → 200',
    async (scheme) => {
      expect((await get('/me', `Authorization: ${scheme} ${good}`)).status).toBe(200)
    },
  )

  it('SEC-082 "Bearer" with two spaces → 200 (1*SP)', async () => {
    expect((await get('/me', `Authorization: Bearer  ${good}`)).status).toBe(200)
  })
  it('SEC-082 "Bearer" + tab → 401 token_malformed', async () => {
    const before = handled
    expectError(await get('/me', `Authorization: Bearer\t${good}`), 401, 'token_malformed', [good])
    expect(handled).toBe(before)
  })
  it('SEC-082 "Bearer<token>" with no space → 401 token_malformed', async () => {
    expectError(await get('/me', `Authorization: Bearer${good}`), 401, 'token_malformed', [good])
  })

  it('SEC-083 raw token without a scheme → 200 (OpenSearch compatibility)', async () => {
    expect((await get('/me', `Authorization: ${good}`)).status).toBe(200)
  })
  it.each(['Basic dXNlcjpwYXNz', 'Digest username="a"', 'DPoP TOKEN', 'Token TOKEN'])(
    'SEC-083 other scheme "%s" → 401 token_missing, plain challenge',
    async (value) => {
      const res = await get('/me', `Authorization: ${value.replace('TOKEN', good)}`)
      expectError(res, 401, 'token_missing', [good])
      expect(res.headers['www-authenticate']).toBe('Bearer realm="jwtgate"')
    },
  )

  it.each([
    ['<t>Bearer 123', () => `${good}Bearer 123`],
    ['xBearer <t>', () => `xBearer ${good}`],
  ])('SEC-084 scheme in the wrong place (%s) → 401 token_malformed', async (_n, value) => {
    expectError(await get('/me', `Authorization: ${value()}`), 401, 'token_malformed', [good])
  })

  it.each([
    ['Bearer <t> extra', () => `Bearer ${good} extra`],
    ['Bearer <t>, Bearer <t2> (proxy-joined)', () => `Bearer ${good}, Bearer ${good}`],
    ['Bearer "<t>"', () => `Bearer "${good}"`],
    ['Bearer Bearer <t>', () => `Bearer Bearer ${good}`],
  ])('SEC-085 extra content (%s) → 401 token_malformed', async (_n, value) => {
    expectError(await get('/me', `Authorization: ${value()}`), 401, 'token_malformed', [good])
  })

  it.each([
    ['valid then forged', () => [good, forged]],
    ['forged then valid', () => [forged, good]],
    ['valid twice', () => [good, good]],
  ])('SEC-086 two Authorization headers (%s) → 401 token_malformed', async (_n, tokens) => {
    const [a = '', b = ''] = tokens()
    const before = handled
    expectError(
      await get('/me', `Authorization: Bearer ${a}`, `Authorization: Bearer ${b}`),
      401,
      'token_malformed',
    )
    expect(handled).toBe(before)
  })

  describe('SEC-087 header vs URL parameter', () => {
    it('SEC-087a both valid → header used, 200', async () => {
      expect((await get(`/me?jwt=${good}`, `Authorization: Bearer ${good}`)).status).toBe(200)
    })
    it('SEC-087b forged header + valid parameter → 401 signature_invalid, no fallback', async () => {
      expectError(
        await get(`/me?jwt=${good}`, `Authorization: Bearer ${forged}`),
        401,
        'signature_invalid',
      )
    })
    it('SEC-087c no header + valid parameter → 200', async () => {
      expect((await get(`/me?jwt=${good}`)).status).toBe(200)
    })
    it('SEC-087d parameter under another name → 401 token_missing', async () => {
      expectError(await get(`/me?token=${good}`), 401, 'token_missing')
    })
    it('SEC-087e repeated parameter ?jwt=a&jwt=b → 401 token_malformed', async () => {
      expectError(await get(`/me?jwt=${good}&jwt=${good}`), 401, 'token_malformed')
    })
    it('SEC-087f %2E for "." decodes and is accepted; "+" becomes a space → token_malformed', async () => {
      expect((await get(`/me?jwt=${good.replace(/\./g, '%2E')}`)).status).toBe(200)
      const [h, p, s] = good.split('.') as [string, string, string]
      expectError(
        await get(`/me?jwt=${h}.${p}.${s.slice(0, 5)}+${s.slice(5)}`),
        401,
        'token_malformed',
      )
    })
  })

  it('SEC-088 custom jwtHeader: matched case-insensitively, Bearer stripped, Authorization ignored', async () => {
    const custom = Fastify()
    await custom.register(jwtAuth, {
      signingKey: b64(F.S),
      jwtHeader: 'X-JWT-Assertion',
      tokenCache: false,
      advanced: { clock },
    })
    custom.get('/me', (request) => ({ subject: request.auth?.subject }))
    await custom.listen({ port: 0, host: '127.0.0.1' })
    const p = (custom.server.address() as { port: number }).port
    try {
      const ok = await raw(`GET /me HTTP/1.1\r\nHost: x\r\nx-jwt-assertion: Bearer ${good}`, p)
      expect(ok.status).toBe(200)
      const ignored = await raw(`GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${good}`, p)
      expectError(ignored, 401, 'token_missing')
      const forgedCustom = await raw(
        `GET /me HTTP/1.1\r\nHost: x\r\nX-JWT-Assertion: ${forged}\r\nAuthorization: Bearer ${good}`,
        p,
      )
      expectError(forgedCustom, 401, 'signature_invalid')
    } finally {
      await custom.close()
    }
  })

  describe('SEC-089 challenge and body hygiene', () => {
    it('SEC-089 401 with a token → WWW-Authenticate with error="invalid_token"; body has no token', async () => {
      const res = await get('/me', `Authorization: Bearer ${forged}`)
      expectError(res, 401, 'signature_invalid', [forged, ...forged.split('.')])
      // error_description is the code's fixed text, never token data.
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="jwtgate", error="invalid_token", error_description="The token signature is invalid"',
      )
    })
    it('SEC-089 401 token_missing → challenge without error=', async () => {
      const res = await get('/me')
      expectError(res, 401, 'token_missing')
      expect(res.headers['www-authenticate']).toBe('Bearer realm="jwtgate"')
    })
    it('SEC-089 403 insufficient_roles → error="insufficient_scope"', async () => {
      const res = await get('/admin', `Authorization: Bearer ${good}`)
      expectError(res, 403, 'insufficient_roles')
      expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"')
    })
    it('SEC-089 503 jwks_unavailable → Retry-After ≥ 1', async () => {
      const down = Fastify()
      await down.register(jwtAuth, {
        jwksUri: 'http://127.0.0.1:9/jwks.json',
        jwksRequestTimeoutMs: 300,
        tokenCache: false,
      })
      down.get('/me', () => ({ ok: true }))
      await down.listen({ port: 0, host: '127.0.0.1' })
      const p = (down.server.address() as { port: number }).port
      try {
        const t = await sign(
          { alg: 'RS256', kid: 'rsa-1' },
          baseClaims(),
          (await import('@jwtgate/testing')).signerFor(F.RK),
        )
        const res = await raw(`GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}`, p)
        expectError(res, 503, 'jwks_unavailable', [t])
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      } finally {
        await down.close()
      }
    })
    it('SEC-089 alg none over HTTP → 401 alg_not_allowed, kid not echoed', async () => {
      const t = algNoneToken(baseClaims(), 'none', { kid: 'secret-kid-value' })
      const res = await get('/me', `Authorization: Bearer ${t}`)
      expectError(res, 401, 'alg_not_allowed', [t, 'secret-kid-value'])
    })
  })

  it.each([
    ['Admin', ['Admin']],
    ['full-width ａｄｍｉｎ', ['ａｄｍｉｎ']],
    ['admin + zero-width space', ['admin\u200b']],
    ['" admin " (never trimmed in arrays)', [' admin ']],
  ])('SEC-080 requireRoles("admin") with roles %s → 403 insufficient_roles', async (_n, roles) => {
    const t = await sign({ alg: 'HS256' }, baseClaims({ roles }), hs256(F.S))
    expectError(await get('/admin', `Authorization: Bearer ${t}`), 403, 'insufficient_roles', [t])
  })
  it('SEC-080 requireRoles("admin") with roles ["admin"] → 200', async () => {
    const t = await sign({ alg: 'HS256' }, baseClaims({ roles: ['admin'] }), hs256(F.S))
    expect((await get('/admin', `Authorization: Bearer ${t}`)).status).toBe(200)
  })

  describe('SEC-090 malformed HTTP below the adapter (Node answers first, never 500)', () => {
    it('SEC-090 NUL byte in the header value → 400', async () => {
      const head = Buffer.concat([
        Buffer.from(`GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ab`),
        Buffer.from([0]),
        Buffer.from('cd'),
      ])
      expect((await raw(head)).status).toBe(400)
    })
    it('SEC-090 obs-fold continuation line → 400', async () => {
      expect((await get('/me', `Authorization: Bearer ${good}`, ' continued')).status).toBe(400)
    })
    it('SEC-090 a 1 MB token in the header → 431', async () => {
      expect((await get('/me', `Authorization: Bearer ${'a'.repeat(1_000_000)}`)).status).toBe(431)
    })
    it('SEC-090 a 17 KiB URL → 431', async () => {
      expect((await get(`/me?jwt=${'a'.repeat(17 * 1024)}`)).status).toBe(431)
    })
    it('SEC-009 non-UTF-8 byte 0xFF inside the token in the header → 401 token_malformed', async () => {
      const [h, p, s] = good.split('.') as [string, string, string]
      const head = Buffer.concat([
        Buffer.from(`GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h}.${p}.`),
        Buffer.from([0xff]),
        Buffer.from(s),
      ])
      expectError(await raw(head), 401, 'token_malformed')
    })
  })

  it('SEC-091 optional auth: missing token → anonymous 200; forged or expired → still 401', async () => {
    const opt = Fastify()
    await opt.register(jwtAuth, {
      signingKey: b64(F.S),
      optional: true,
      tokenCache: false,
      advanced: { clock },
    })
    opt.get('/me', (request) => ({ subject: request.auth?.subject ?? null }))
    await opt.listen({ port: 0, host: '127.0.0.1' })
    const p = (opt.server.address() as { port: number }).port
    try {
      const anon = await raw('GET /me HTTP/1.1\r\nHost: x', p)
      expect(anon.status).toBe(200)
      expect(JSON.parse(anon.body)).toEqual({ subject: null })
      expectError(
        await raw(`GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${forged}`, p),
        401,
        'signature_invalid',
      )
      const expired = await sign({ alg: 'HS256' }, baseClaims({ exp: 1 }), hs256(F.S))
      expectError(
        await raw(`GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${expired}`, p),
        401,
        'token_expired',
      )
    } finally {
      await opt.close()
    }
  })
})
