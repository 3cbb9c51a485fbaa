/**
 * Test helpers for JWT bearer authentication: key pairs and token minting (on jose), raw and
 * deliberately broken tokens (on node:crypto), a real loopback JWKS / OIDC discovery server with
 * fault injection, and committed test-only TLS fixtures.
 *
 * Test-only: nothing here belongs in production code.
 *
 * @example
 * ```ts
 * import { MockJwksServer, generateTestKey, mintToken } from '@jwtgate/testing'
 *
 * const server = await MockJwksServer.start({ keys: ['RS256'] })
 * const token = await server.sign({ sub: 'alice' })   // iss = server.issuer, exp = now + 300
 * // … configure the verifier with server.jwksUri and send `Authorization: Bearer ${token}` …
 * server.injectFault({ type: 'status', status: 503 }, { times: 1 })
 * await server.close()
 *
 * const key = await generateTestKey('ES256')
 * const staticToken = await mintToken({ key, claims: { sub: 'bob' } }) // verify with key.publicKeyPem
 * ```
 *
 * @module
 */
export { generateTestKey, isTestKey, isTestKeyAlgorithm, TEST_KEY_ALGORITHMS } from './keys.js'
export type { GenerateTestKeyOptions, TestKey, TestKeyAlgorithm } from './keys.js'
export { mintToken } from './mint-token.js'
export type { MintKey, MintTokenOptions } from './mint-token.js'
export {
  algNoneToken,
  encodeSegment,
  hmacSigner,
  mintRaw,
  privateKeyObject,
  signerFor,
  spliceSignature,
  tamperPayload,
  withSignature,
} from './raw-token.js'
export type { MintRawOptions, RawSegment, Signer, SignerOptions } from './raw-token.js'
export { MockJwksServer } from './mock-jwks-server.js'
export type {
  InjectFaultOptions,
  MockJwksFault,
  MockJwksRequest,
  MockJwksServerOptions,
  MockJwksSignOptions,
  MockJwksTlsOptions,
  RotateOptions,
} from './mock-jwks-server.js'
export { createTlsFixtures } from './tls-fixtures.js'
export type { TlsFixtures } from './tls-fixtures.js'
