// The page, clicked through in Debian's Chromium (headless; never a downloaded browser).
import { existsSync, mkdirSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS } from '../src/api.js'
import { startDemo, type Demo } from '../src/demo.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUT = new URL('../test-results/', import.meta.url)
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium)
  console.warn(`browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`)

describe.skipIf(!hasChromium).each(FRAMEWORKS)('demo page in Chromium, API on %s', (framework) => {
  let demo: Demo
  let browser: Browser
  let page: Page
  beforeAll(async () => {
    demo = await startDemo({ framework })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    })
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${demo.url}/`)
    await page.waitForSelector('body[data-ready="true"]')
    expect(errors).toEqual([])
  }, 60_000)
  afterAll(async () => {
    await browser.close()
    await demo.close()
  })

  const result = async () => ({
    status: await page.textContent('#result-status'),
    challenge: await page.textContent('#result-challenge'),
    body: JSON.parse((await page.textContent('#result-body')) ?? 'null') as Record<string, unknown>,
  })
  const click = async (id: string, expectStatus: string) => {
    await page.click(id)
    await page.waitForFunction(
      (s) => document.getElementById('result-status')?.textContent === s,
      expectStatus,
    )
    return result()
  }
  const reset = () =>
    page.evaluate(() => {
      const el = document.getElementById('result-status')
      if (el) el.textContent = '…'
    })

  it('shows the framework and the IdP', async () => {
    await page.waitForFunction(
      (name) => document.getElementById('framework')?.textContent === name,
      framework,
    )
    expect(await page.textContent('#idp-url')).toBe(demo.idpUrl)
  })

  it('get a token → header and claims decoded → /api/me 200', async () => {
    await page.fill('#user', 'alice')
    await page.click('#get-token')
    await page.waitForFunction(
      () => (document.getElementById('token') as HTMLTextAreaElement).value,
    )
    const claims = JSON.parse((await page.textContent('#token-claims')) ?? '{}') as object
    expect(claims).toMatchObject({ sub: 'alice', roles: ['reader'], iss: demo.idpUrl })
    expect(await page.textContent('#token-header')).toContain('"ES256"')
    const me = await click('#call-me', '200')
    expect(me.body).toMatchObject({ subject: 'alice', roles: ['reader'] })
    expect(me.challenge).toBe('—')
  })

  it('/api/admin as a reader → 403 insufficient_scope', async () => {
    await reset()
    const admin = await click('#call-admin', '403')
    expect(admin.body).toMatchObject({ error: 'insufficient_roles' })
    expect(admin.challenge).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
  })

  it('tamper (add admin, keep the signature) → 401 invalid_token', async () => {
    await page.click('#tamper')
    expect(await page.textContent('#token-claims')).toContain('"admin"')
    await reset()
    const tampered = await click('#call-admin', '401')
    expect(tampered.body).toMatchObject({ error: 'signature_invalid' })
    expect(tampered.challenge).toBe(
      'Bearer realm="jwtgate", error="invalid_token", error_description="The token signature is invalid"',
    )
  })

  it('no token → 401 with a plain challenge', async () => {
    await reset()
    const none = await click('#call-anonymous', '401')
    expect(none.body).toMatchObject({ error: 'token_missing' })
    expect(none.challenge).toBe('Bearer realm="jwtgate"')
  })

  it('rotate keys → a new token (new kid) works → the old-key token still works', async () => {
    await page.click('#get-token') // a clean token with the first key
    await page.waitForFunction(() =>
      document.getElementById('token-state')?.textContent?.startsWith('Signed'),
    )
    const oldKid = JSON.parse((await page.textContent('#token-header')) ?? '{}') as { kid: string }
    const fetchesBefore = demo.jwksRequests()
    await page.click('#rotate')
    await page.waitForFunction(
      (kid) => !document.getElementById('idp-keys')?.textContent?.includes(`"signing": "${kid}"`),
      oldKid.kid,
    )
    await page.click('#get-token')
    await page.waitForFunction(
      (kid) => !document.getElementById('token-header')?.textContent?.includes(kid),
      oldKid.kid,
    )
    await reset()
    expect((await click('#call-me', '200')).body).toMatchObject({ subject: 'alice' })
    expect(demo.jwksRequests()).toBe(fetchesBefore + 1)
    await page.waitForFunction(() =>
      document.getElementById('api-keys')?.textContent?.includes('kids'),
    )

    await page.click('#use-previous')
    expect(await page.textContent('#token-header')).toContain(oldKid.kid)
    await reset()
    expect((await click('#call-me', '200')).body).toMatchObject({ subject: 'alice' })
  })

  const tokenFrom = async (issuer: 'main' | 'partner' | 'untrusted', label: string) => {
    await page.selectOption('#issuer', issuer)
    await page.click('#get-token')
    await page.waitForFunction(
      (text) => document.getElementById('token-state')?.textContent?.startsWith(text),
      `Signed by the ${label}.`,
    )
  }
  const answer = (issuer: string) =>
    page.textContent(`#issuers tr[data-issuer="${issuer}"] .answer`)

  it('a partner token (its own audience, roles in groups) → /api/me 200', async () => {
    const { partner } = demo.issuers
    await tokenFrom('partner', 'Partner IdP')
    expect(await page.textContent('#token-issuer')).toBe(
      `Partner IdP (${partner.issuer}), trusted by the API`,
    )
    const claims = JSON.parse((await page.textContent('#token-claims')) ?? '{}') as object
    expect(claims).toMatchObject({ iss: partner.issuer, aud: partner.audience, groups: ['reader'] })
    expect(await page.textContent('#token-header')).toContain('"RS256"')
    await reset()
    const me = await click('#call-me', '200')
    expect(me.body).toMatchObject({ subject: 'alice', roles: ['reader'] })
    expect(await page.textContent('#result-issuer')).toBe(
      `Partner IdP (${partner.issuer}), trusted by the API`,
    )
    expect(await page.textContent('#result-code')).toBe('—')
    expect(await answer('partner')).toBe('200')
  })

  it('a token from the unknown IdP → 401 issuer_mismatch, and the API never calls that IdP', async () => {
    const { untrusted } = demo.issuers
    await tokenFrom('untrusted', 'Unknown IdP')
    expect(await page.textContent('#token-issuer')).toBe(
      `Unknown IdP (${untrusted.issuer}), not trusted by the API`,
    )
    await reset()
    const refused = await click('#call-me', '401')
    expect(refused.body).toEqual({
      error: 'issuer_mismatch',
      message: 'The token issuer is not accepted',
    })
    expect(refused.challenge).toBe(
      'Bearer realm="jwtgate", error="invalid_token", error_description="The token issuer is not accepted"',
    )
    expect(await page.textContent('#result-issuer')).toBe(
      `Unknown IdP (${untrusted.issuer}), not trusted by the API`,
    )
    expect(await page.textContent('#result-code')).toBe('issuer_mismatch')
    expect(await page.textContent('#result-message')).toBe('The token issuer is not accepted')
    expect(await answer('untrusted')).toBe('401 issuer_mismatch')
    expect(await answer('partner')).toBe('200')
    expect([untrusted.discoveryRequests(), untrusted.jwksRequests()]).toEqual([0, 0])

    mkdirSync(OUT, { recursive: true })
    await page.screenshot({ path: new URL(`demo-${framework}.png`, OUT).pathname, fullPage: true })
  })

  it("the unknown IdP claiming the demo IdP's iss → 401 key_not_found (checked against the demo IdP's keys)", async () => {
    const { main, untrusted } = demo.issuers
    await page.selectOption('#issuer', 'forged')
    await page.click('#get-token')
    await page.waitForFunction(() =>
      document
        .getElementById('token-state')
        ?.textContent?.startsWith('Signed by the Unknown IdP, claiming'),
    )
    const claims = JSON.parse((await page.textContent('#token-claims')) ?? '{}') as object
    expect(claims).toMatchObject({ iss: main.issuer, aud: main.audience })
    expect(await page.textContent('#token-issuer')).toBe(
      `Demo IdP (${main.issuer}), trusted by the API (claimed: the API checks it against that issuer’s keys)`,
    )
    await reset()
    const refused = await click('#call-me', '401')
    expect(refused.body).toEqual({ error: 'key_not_found', message: 'No key matches the token' })
    expect(await page.textContent('#result-code')).toBe('key_not_found')
    // The issuers table keeps the demo IdP's own answer.
    expect(await answer('main')).toBe('200')
    expect([untrusted.discoveryRequests(), untrusted.jwksRequests()]).toEqual([0, 0])
  })
})
