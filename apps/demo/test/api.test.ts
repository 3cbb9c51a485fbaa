// The demo's API over real HTTP, on each framework: the same answers everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, FRAMEWORKS, PARTNER_AUDIENCE } from '../src/api.js'
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
    const csp = page.headers.get('content-security-policy') ?? ''
    const { main, partner, untrusted } = demo.issuers
    for (const i of [main, partner, untrusted]) expect(csp).toContain(i.issuer)
    const html = await page.text()
    const config = /<script type="application\/json" id="demo-config">([^<]*)<\/script>/.exec(html)
    expect(JSON.parse(config?.[1] ?? 'null')).toEqual([
      { name: 'main', label: 'Demo IdP', issuer: main.issuer, audience: AUDIENCE, trusted: true },
      {
        name: 'partner',
        label: 'Partner IdP',
        issuer: partner.issuer,
        audience: PARTNER_AUDIENCE,
        trusted: true,
      },
      {
        name: 'untrusted',
        label: 'Unknown IdP',
        issuer: untrusted.issuer,
        audience: AUDIENCE,
        trusted: false,
      },
    ])
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
    const keys = (await (await fetch(`${demo.url}/api/keys`)).json()) as {
      issuers: { name: string; kids: string[] }[]
    }
    expect(keys.issuers.find((i) => i.name === 'main')?.kids).toContain(kid)
  })

  it('GET /api/keys: one key set per trusted issuer, without a token', async () => {
    const res = await fetch(`${demo.url}/api/keys`)
    expect(res.status).toBe(200)
    const stats = {
      fetches: expect.any(Number) as number,
      kids: expect.arrayContaining([expect.any(String)]) as unknown[],
      lastRefreshAt: expect.any(Number) as number,
    }
    const body = (await res.json()) as { issuers: unknown[] }
    expect(body).toMatchObject({
      framework,
      issuers: [
        { name: 'main', issuer: demo.issuers.main.issuer, ...stats },
        { name: 'partner', issuer: demo.issuers.partner.issuer, ...stats },
      ],
    })
    expect(body.issuers).toHaveLength(2)
  })

  it('a partner token: 200, its roles read from its own claim (groups)', async () => {
    const { partner } = demo.issuers
    const token = await partner.mint('pat', ['reader'])
    const res = await fetch(`${demo.url}/api/me`, bearer(token))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { subject: string; roles: string[]; claims: object }
    expect(body).toMatchObject({ subject: 'pat', roles: ['reader'] })
    expect(body.claims).toMatchObject({ iss: partner.issuer, aud: PARTNER_AUDIENCE })
    expect(body.claims).toMatchObject({ groups: ['reader'] })
    const admin = await fetch(`${demo.url}/api/admin`, bearer(await partner.mint('pam', ['admin'])))
    expect(admin.status).toBe(200)
    expect(await admin.json()).toEqual({ ok: true, message: 'welcome, pam' })
  })

  it("per-issuer audience: each issuer's token with the other's audience is 401 audience_mismatch", async () => {
    const { main, partner } = demo.issuers
    const mint = (idp: typeof main, audience: string) =>
      fetch(idp.tokenUrl, {
        method: 'POST',
        body: JSON.stringify({ user: 'pat', roles: [], audience, lifetimeSeconds: 60 }),
      }).then(async (r) => ((await r.json()) as { access_token: string }).access_token)
    for (const token of [await mint(partner, AUDIENCE), await mint(main, PARTNER_AUDIENCE)]) {
      const res = await fetch(`${demo.url}/api/me`, bearer(token))
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        error: 'audience_mismatch',
        message: 'The token audience is not accepted',
      })
    }
  })

  it('a token from an issuer the API does not trust: 401 issuer_mismatch, and no request reaches that issuer', async () => {
    const { untrusted } = demo.issuers
    // The untrusted IdP is a working IdP: its discovery document is fine, and its token carries
    // the API's audience and an admin role. Only the issuer is wrong.
    const token = await untrusted.mint('mallory', ['admin'])
    const discovery = untrusted.discoveryRequests()
    const jwks = untrusted.jwksRequests()
    expect([discovery, jwks]).toEqual([0, 0])
    for (const path of ['/api/me', '/api/admin']) {
      const res = await fetch(`${demo.url}${path}`, bearer(token))
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        error: 'issuer_mismatch',
        message: 'The token issuer is not accepted',
      })
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="jwtgate", error="invalid_token", error_description="The token issuer is not accepted"',
      )
    }
    expect(untrusted.discoveryRequests()).toBe(0)
    expect(untrusted.jwksRequests()).toBe(0)
  })

  it("the unknown IdP's key behind a trusted iss: checked against that issuer's keys, refused", async () => {
    const { main, partner, untrusted } = demo.issuers
    const cases = [
      [main, 'key_not_found', 'No key matches the token'],
      [partner, 'key_not_found', 'No key matches the token'],
    ] as const
    for (const [trusted, code, message] of cases) {
      const token = await untrusted.mintClaiming(trusted.issuer, 'mallory', ['admin'])
      const before = trusted.jwksRequests()
      const res = await fetch(`${demo.url}/api/admin`, bearer(token))
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: code, message })
      // The unknown kid costs one refresh of the claimed issuer's own key set, nothing more.
      expect(trusted.jwksRequests()).toBe(before + 1)
    }
    expect([untrusted.discoveryRequests(), untrusted.jwksRequests()]).toEqual([0, 0])
  })
})

describe('identity provider', () => {
  let demo: Demo
  beforeAll(async () => {
    demo = await startDemo()
  })
  afterAll(() => demo.close())

  it('each IdP publishes OIDC discovery pointing at its JWKS and token endpoint', async () => {
    const { main, partner, untrusted } = demo.issuers
    expect(main.issuer).toBe(demo.idpUrl)
    const algs = [
      [main, 'ES256'],
      [partner, 'RS256'],
      [untrusted, 'ES256'],
    ] as const
    for (const [idp, alg] of algs) {
      const doc = await (await fetch(idp.discoveryUrl)).json()
      expect(doc).toEqual({
        issuer: idp.issuer,
        jwks_uri: idp.jwksUri,
        token_endpoint: idp.tokenUrl,
        id_token_signing_alg_values_supported: [alg],
      })
    }
    expect(new Set([main.issuer, partner.issuer, untrusted.issuer]).size).toBe(3)
  })

  it('the token endpoint rejects malformed requests with 400', async () => {
    for (const body of ['{', '[]', JSON.stringify({ user: '', roles: [] }), 'x'.repeat(5000)]) {
      const res = await fetch(demo.tokenUrl, { method: 'POST', body })
      expect(res.status).toBe(400)
    }
  })

  it('only the untrusted IdP signs tokens claiming another issuer', async () => {
    const { main, partner, untrusted } = demo.issuers
    for (const idp of [main, partner]) {
      await expect(idp.mintClaiming(untrusted.issuer, 'eve', [])).rejects.toThrow(/400/)
    }
    const token = await untrusted.mintClaiming(main.issuer, 'eve', [])
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
    ) as object
    expect(payload).toMatchObject({ iss: main.issuer, sub: 'eve' })
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
