// Issue 14, item 10: a JWK with the ROCA fingerprint (CVE-2017-15361) in a key set is skipped
// with jwks.key_skipped { reason: 'roca' }; the other keys of the set keep working.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AuthEvent } from '@jwtgate/core'
import { MockJwksServer } from '@jwtgate/testing'
import { importJwk } from '../src/index.js'
import { bearer, closeAll, jwksAuth } from './helpers.js'

// roca/tests/data/mod03.txt of https://github.com/crocs-muni/roca (MIT): a fingerprinted
// 2048-bit modulus published as a positive test sample of the detection tool. Public only.
const ROCA_N = Buffer.from(
  '9dcd7420e420c270a68060eb8b5aa7457a9f6648f86fafed2775cc1f79ae962f1e63f1b9e51c55f9ea6fdc7332e9b0058c9ff2eb1fc89855029cf6aafe21e689feb38ac9ffb12f1ce371bb5d0e9aae64161abce74b4244bf68f1edb4411f756a097c8929c14740245ea355f8332d1aa36bb50c7dcb4505da8de02e4e53d38f8df06097da7524df0df93db48eac8cc4af2d3a16257eb2b2adca6ba464e5974fa92550d31b1babf161e7692d00b86e3dd886ecab4abfbe1a8f8cc263ff4af55cdb45f4249a5193925f5e983d762f0b6800943eb0267b08f42ed311ce1f5c86eacbc8ce4d3cb7a2fee1ef5641423a1cf4114e5ecf50034a60a412523af9e6f4aa11',
  'hex',
).toString('base64url')
const ROCA_JWK = { kty: 'RSA', kid: 'infineon', use: 'sig', alg: 'RS256', n: ROCA_N, e: 'AQAB' }

let server: MockJwksServer
beforeAll(async () => {
  server = await MockJwksServer.start({ keys: ['RS256'] })
})
afterAll(async () => {
  await server.close()
})
afterEach(async () => {
  await closeAll()
  server.setJwksBody(null)
})

describe('ROCA keys in a key set', () => {
  it('importJwk refuses the key with the reason "roca"; an ordinary RSA JWK imports', () => {
    expect(importJwk(ROCA_JWK)).toBe('roca')
    expect(typeof importJwk(server.keys[0]?.publicJwk)).toBe('object')
  })

  it('is skipped with jwks.key_skipped { kid, reason: "roca" }; the good key verifies', async () => {
    server.setJwksBody({ keys: [ROCA_JWK, ...server.keys.map((k) => k.publicJwk)] })
    const events: AuthEvent[] = []
    const auth = jwksAuth({ jwksUri: server.jwksUri, jwksRequestTimeoutMs: 10_000 }, events)
    await expect(auth.authenticate(bearer(await server.sign({ sub: 'a' })))).resolves.toMatchObject(
      { subject: 'a' },
    )
    expect(events).toContainEqual({ type: 'jwks.key_skipped', kid: 'infineon', reason: 'roca' })
    expect(auth.keySet?.stats().kids).not.toContain('infineon')
  })
})
