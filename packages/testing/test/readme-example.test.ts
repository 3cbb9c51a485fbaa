import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { MockJwksServer } from '@jwtgate/testing'

let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['RS256', 'ES256'] })
})
afterAll(() => server.close())

it('verifies tokens from the key set, and survives a rotation', async () => {
  // jose refetches for an unknown kid only after `cooldownDuration` (30 s by default): 0 lets the
  // key published by rotate() be found at once.
  const jwks = createRemoteJWKSet(new URL(server.jwksUri), { cooldownDuration: 0 })
  await jwtVerify(await server.sign({ sub: 'alice' }), jwks, { issuer: server.issuer })

  const next = await server.rotate({ retire: true }) // new signing key, old ones unpublished
  const { protectedHeader } = await jwtVerify(await server.sign({ sub: 'alice' }), jwks)
  expect(protectedHeader.kid).toBe(next.kid)
})

it('reports an unavailable key set', async () => {
  server.injectFault({ type: 'status', status: 503 }, { times: 1 })
  const res = await fetch(server.jwksUri)
  expect(res.status).toBe(503)
  expect(server.requestCount).toBeGreaterThan(0)
})
