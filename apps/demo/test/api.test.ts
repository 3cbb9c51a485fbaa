// The demo's API over real HTTP, on each framework: the same answers everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS } from '../src/api.js'
import { startDemo, type Demo } from '../src/demo.js'

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } })

describe.each(FRAMEWORKS)('demo API on %s', (framework) => {
  let demo: Demo
  beforeAll(async () => {
    demo = await startDemo({ framework })
  })
  afterAll(() => demo.close())

  it('serves the page and its assets without a token', async () => {
    const page = await fetch(`${demo.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toContain(demo.idpUrl)
    const html = await page.text()
    expect(html).toContain(`content="${demo.idpUrl}"`)
    expect((await fetch(`${demo.url}/app.js`)).headers.get('content-type')).toMatch(/javascript/)
    expect((await fetch(`${demo.url}/style.css`)).status).toBe(200)
    expect((await fetch(`${demo.url}/nope`)).status).toBe(401) // not skipped: auth first
  })

  it('GET /api/me: the principal of any valid token', async () => {
    const res = await fetch(`${demo.url}/api/me`, bearer(await demo.mint('alice', ['reader'])))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { subject: string; roles: string[]; claims: object }
    expect(body).toMatchObject({ subject: 'alice', roles: ['reader'] })
    expect(body.claims).toMatchObject({ iss: demo.idpUrl, aud: demo.audience })
    expect(JSON.stringify(body)).not.toContain('"token"')
  })

  it('GET /api/me without a token: 401 token_missing with a plain challenge', async () => {
    const res = await fetch(`${demo.url}/api/me`)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'token_missing' })
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwtgate"')
  })

  it('GET /api/admin: 403 insufficient_roles for a reader, 200 for an admin', async () => {
    const reader = await fetch(`${demo.url}/api/admin`, bearer(await demo.mint('bob', ['reader'])))
    expect(reader.status).toBe(403)
    expect(await reader.json()).toMatchObject({ error: 'insufficient_roles' })
    expect(reader.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
    const admin = await fetch(`${demo.url}/api/admin`, bearer(await demo.mint('carol', ['admin'])))
    expect(admin.status).toBe(200)
    expect(await admin.json()).toEqual({ ok: true, message: 'welcome, carol' })
  })

  it('a token for another audience: 401 audience_mismatch', async () => {
    const res = await fetch(`${demo.idpUrl}/token`, {
      method: 'POST',
      body: JSON.stringify({ user: 'eve', roles: [], audience: 'other', lifetimeSeconds: 60 }),
    })
    const { access_token } = (await res.json()) as { access_token: string }
    const api = await fetch(`${demo.url}/api/me`, bearer(access_token))
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: 'audience_mismatch' })
    expect(api.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwtgate", error="invalid_token", error_description="The token audience is not accepted"',
    )
  })

  it('rotation: a new kid is fetched once, and the old key keeps working', async () => {
    const old = await demo.mint('alice', ['reader'])
    const before = demo.jwksRequests()
    const kid = await demo.rotate()
    const fresh = await demo.mint('alice', ['reader'])
    const [a, b] = await Promise.all([
      fetch(`${demo.url}/api/me`, bearer(fresh)),
      fetch(`${demo.url}/api/me`, bearer(fresh)),
    ])
    expect([a.status, b.status]).toEqual([200, 200])
    expect(demo.jwksRequests()).toBe(before + 1)
    expect((await fetch(`${demo.url}/api/me`, bearer(old))).status).toBe(200)
    const keys = (await (await fetch(`${demo.url}/api/keys`)).json()) as { kids: string[] }
    expect(keys.kids).toContain(kid)
  })

  it('GET /api/keys: key-set stats without a token', async () => {
    const res = await fetch(`${demo.url}/api/keys`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      framework,
      fetches: expect.any(Number) as number,
      kids: expect.any(Array) as unknown[],
      lastRefreshAt: expect.any(Number) as number,
    })
  })
})

describe('identity provider', () => {
  let demo: Demo
  beforeAll(async () => {
    demo = await startDemo()
  })
  afterAll(() => demo.close())

  it('publishes OIDC discovery pointing at its JWKS and token endpoint', async () => {
    const doc = await (await fetch(demo.discoveryUrl)).json()
    expect(doc).toEqual({
      issuer: demo.idpUrl,
      jwks_uri: demo.jwksUri,
      token_endpoint: demo.tokenUrl,
      id_token_signing_alg_values_supported: ['ES256'],
    })
  })

  it('the token endpoint rejects malformed requests with 400', async () => {
    for (const body of ['{', '[]', JSON.stringify({ user: '', roles: [] }), 'x'.repeat(5000)]) {
      const res = await fetch(demo.tokenUrl, { method: 'POST', body })
      expect(res.status).toBe(400)
    }
  })

  it('answers CORS preflight for the page', async () => {
    const res = await fetch(demo.tokenUrl, { method: 'OPTIONS' })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type')
  })

  it('rotate then retire leaves only the signing key published', async () => {
    await fetch(`${demo.idpUrl}/rotate`, { method: 'POST' })
    const status = (await (await fetch(`${demo.idpUrl}/retire`, { method: 'POST' })).json()) as {
      published: string[]
      signing: string
    }
    expect(status.published).toEqual([status.signing])
  })
})
