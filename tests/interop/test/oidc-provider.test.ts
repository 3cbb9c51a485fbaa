// Interoperability with a certified OpenID Provider: two oidc-provider instances issue RFC 9068
// JWT access tokens by client credentials; one API trusts both through `issuers` and discovery.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, type AuthErrorCode, type AuthEvent } from '@jwtgate/core'
import { createAuthenticator, type JwksAuthenticator } from '@jwtgate/jwks'
import { API, CLIENT_ID, TestIdp } from './provider.js'

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

async function expectRefused(promise: Promise<unknown>, code: AuthErrorCode): Promise<void> {
  const err: unknown = await promise.then(
    () => new Error(`expected ${code}, but the token was accepted`),
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  expect({ code: (err as AuthError).code, status: (err as AuthError).status }).toEqual({
    code,
    status: code === 'jwks_unavailable' ? 503 : 401,
  })
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

let main: TestIdp
let partner: TestIdp
let auth: JwksAuthenticator
const events: AuthEvent[] = []

beforeAll(async () => {
  ;[main, partner] = await Promise.all([TestIdp.start('main'), TestIdp.start('partner')])
})
afterAll(async () => {
  await Promise.all([main.close(), partner.close()])
})
afterEach(async () => {
  await auth.close()
  events.length = 0
})

function trustBoth(extra: Record<string, unknown> = {}): JwksAuthenticator {
  auth = createAuthenticator({
    requiredAudience: API,
    subjectKey: 'client_id',
    onEvent: (e) => events.push(e),
    ...extra,
    issuers: [
      { issuer: main.issuer, openidConnectUrl: main.discoveryUrl },
      { issuer: partner.issuer, openidConnectUrl: partner.discoveryUrl },
    ],
  })
  return auth
}

describe('RFC 9068 access tokens from oidc-provider, through discovery, with issuers', () => {
  it('accepts tokens of both providers: subject, scopes and audience as issued', async () => {
    const a = trustBoth()
    const fromMain = await main.token('orders:read orders:write')
    const fromPartner = await partner.token('orders:read')
    const header = JSON.parse(Buffer.from(fromMain.split('.')[0]!, 'base64url').toString()) as {
      typ: string
      alg: string
    }
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' })
    const p1 = await a.authenticate(bearer(fromMain))
    expect(p1).toMatchObject({ subject: CLIENT_ID, claims: { iss: main.issuer, aud: API } })
    expect(p1.claims.scope).toBe('orders:read orders:write')
    const p2 = await a.authenticate(bearer(fromPartner))
    expect(p2).toMatchObject({ subject: CLIENT_ID, claims: { iss: partner.issuer, aud: API } })
    // One discovery document and one key set per provider, no more.
    expect(main.requests.filter((p) => p !== '/token')).toEqual([
      '/.well-known/openid-configuration',
      '/jwks',
    ])
    expect(partner.requests.filter((p) => p !== '/token')).toEqual([
      '/.well-known/openid-configuration',
      '/jwks',
    ])
  })

  it('a provider’s key rotation: new tokens verify after one refresh, old ones until the key is withdrawn', async () => {
    const a = trustBoth()
    const before = await main.token()
    await a.authenticate(bearer(before))
    const fetchesBefore = main.keyRequests
    const partnerBefore = partner.keyRequests

    const newKid = main.rotate() // published beside the old key, signs new tokens
    const after = await main.token()
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString())).toMatchObject({
      kid: newKid,
    })
    await expect(a.authenticate(bearer(after))).resolves.toMatchObject({ subject: CLIENT_ID })
    expect(main.keyRequests).toBe(fetchesBefore + 1) // one refresh for the unknown kid
    await expect(a.authenticate(bearer(before))).resolves.toBeDefined() // old key still published

    main.withdrawOldKeys()
    // The key set learns of the withdrawal at its next refresh (its lifetime ending).
    expect(await a.keySets.get(main.issuer)?.refresh()).toBe(true)
    await expectRefused(a.authenticate(bearer(before)), 'key_not_found')
    await expect(a.authenticate(bearer(after))).resolves.toBeDefined()
    expect(partner.keyRequests).toBe(partnerBefore) // the other provider was never asked
  })

  it('refuses a token naming an attacker’s issuer without any request leaving the process', async () => {
    // The attacker runs a complete OpenID Provider of its own, reachable from here.
    const attacker = await TestIdp.start('attacker')
    const listener = createServer((_req, res) => res.end('{}'))
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    const sockets: unknown[] = []
    const onSocket = (socket: unknown) => sockets.push(socket)
    try {
      const a = trustBoth()
      // Warm up: both providers' keys are loaded.
      await a.authenticate(bearer(await main.token()))
      await a.authenticate(bearer(await partner.token()))
      const attackerToken = await attacker.token()
      const sneaky = forge(`http://127.0.0.1:${(listener.address() as AddressInfo).port}`)
      const counts = () => [main.requests.length, partner.requests.length, attacker.requests.length]
      const before = counts()
      const attackerConnections = attacker.connections

      subscribe('net.client.socket', onSocket)
      await expectRefused(a.authenticate(bearer(attackerToken)), 'issuer_mismatch')
      await expectRefused(a.authenticate(bearer(sneaky)), 'issuer_mismatch')
      // Give any stray background request time to show up.
      await new Promise((r) => setTimeout(r, 200))
      unsubscribe('net.client.socket', onSocket)

      expect(sockets).toEqual([]) // no outgoing connection was even attempted
      expect(counts()).toEqual(before)
      expect(attacker.connections).toBe(attackerConnections)
      expect(
        events.filter((e) => e.type === 'jwks.fetch' || e.type === 'jwks.fetch_failed'),
      ).toEqual(
        events.filter(
          (e) =>
            (e.type === 'jwks.fetch' || e.type === 'jwks.fetch_failed') &&
            (e.issuer === main.issuer || e.issuer === partner.issuer),
        ),
      )
    } finally {
      unsubscribe('net.client.socket', onSocket)
      await attacker.close()
      await closeServer(listener)
    }
  })

  it('a token naming a trusted issuer but signed by another provider is refused', async () => {
    const a = trustBoth()
    await a.authenticate(bearer(await main.token()))
    const partnerToken = await partner.token()
    // Re-label the partner's token as main's: the signature no longer matches the payload.
    const [h, p, s] = partnerToken.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
    claims.iss = main.issuer
    const relabelled = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
    await expectRefused(a.authenticate(bearer(relabelled)), 'key_not_found')
  })

  it('with openidConnectUrl alone (no requiredIssuer), the discovered issuer is required', async () => {
    auth = createAuthenticator({ openidConnectUrl: main.discoveryUrl, requiredAudience: API })
    await expect(auth.authenticate(bearer(await main.token()))).resolves.toBeDefined()
    await expectRefused(auth.authenticate(bearer(await partner.token())), 'key_not_found')
    expect(auth.keySet?.trustedIssuers).toEqual(new Set([main.issuer]))
  })

  it('an issuer entry whose discovery names another issuer fails its refresh (discovery_issuer)', async () => {
    auth = createAuthenticator({
      requiredAudience: API,
      jwksQueuedThreadTimeoutMs: 1000,
      onEvent: (e) => events.push(e),
      issuers: [{ issuer: `${main.issuer}/`, openidConnectUrl: main.discoveryUrl }],
    })
    const token = await main.token()
    // The token names main.issuer (no slash): not a configured issuer at all.
    await expectRefused(auth.authenticate(bearer(token)), 'issuer_mismatch')
    await until(() => events.some((e) => e.type === 'jwks.fetch_failed'))
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'jwks.fetch_failed',
        reason: 'discovery_issuer',
        issuer: `${main.issuer}/`,
      }),
    )
  })
})

/** A token signed by a fresh key, whose iss and kid point at the attacker's server. */
function forge(attackerUrl: string): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const header = { alg: 'ES256', typ: 'at+jwt', kid: randomUUID(), jku: `${attackerUrl}/jwks` }
  const now = Math.floor(Date.now() / 1000)
  const payload = { iss: attackerUrl, sub: 'admin', aud: API, iat: now, exp: now + 300 }
  const input = [header, payload]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.')
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  })
  return `${input}.${signature.toString('base64url')}`
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}
