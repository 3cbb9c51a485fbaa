import { X509Certificate, createPrivateKey } from 'node:crypto'
import { request, type RequestOptions } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MockJwksServer, createTlsFixtures } from '../src/index.js'

const tls = createTlsFixtures()

/** GET over https with node:https; resolves with status and body or rejects with the TLS error. */
function get(url: string, options: RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ...options }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('createTlsFixtures', () => {
  it('a CA, a server certificate for 127.0.0.1 and localhost, a client certificate, an unrelated CA', () => {
    const ca = new X509Certificate(tls.ca)
    const cert = new X509Certificate(tls.cert)
    const client = new X509Certificate(tls.clientCert)
    const other = new X509Certificate(tls.otherCa)
    expect(ca.ca).toBe(true)
    expect(cert.verify(ca.publicKey)).toBe(true)
    expect(client.verify(ca.publicKey)).toBe(true)
    expect(cert.verify(other.publicKey)).toBe(false)
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(cert.checkHost('localhost')).toBe('localhost')
    expect(new Date(cert.validTo).getFullYear()).toBeGreaterThan(2100)
    expect(createPrivateKey(tls.key).asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(cert.checkPrivateKey(createPrivateKey(tls.key))).toBe(true)
    expect(client.checkPrivateKey(createPrivateKey(tls.clientKey))).toBe(true)
    expect(createTlsFixtures()).not.toBe(tls)
  })
})

describe('MockJwksServer over HTTPS', () => {
  let server: MockJwksServer
  beforeAll(async () => {
    server = await MockJwksServer.start({ keys: ['ES256'], tls: { key: tls.key, cert: tls.cert } })
  })
  afterAll(async () => {
    await server.close()
  })

  it('serves the key set to a client trusting the fixture CA', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(server.issuer).toBe(server.url)
    const res = await get(server.jwksUri, { ca: tls.ca })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ keys: [server.signingKey.publicJwk] })
    const localhost = server.jwksUri.replace('127.0.0.1', 'localhost')
    expect((await get(localhost, { ca: tls.ca, family: 4 })).status).toBe(200)
  })

  it('a client trusting only the unrelated CA (or the default store) fails the handshake', async () => {
    server.resetCounts()
    await expect(get(server.jwksUri, { ca: tls.otherCa })).rejects.toMatchObject({
      code: expect.stringMatching(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/),
    })
    await expect(get(server.jwksUri, {})).rejects.toThrow()
    expect(server.requestCount).toBe(0)
  })
})

describe('mutual TLS', () => {
  it('requestCert: a client certificate signed by the CA is required', async () => {
    const server = await MockJwksServer.start({
      keys: ['ES256'],
      tls: { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true },
    })
    try {
      const withCert = await get(server.jwksUri, {
        ca: tls.ca,
        cert: tls.clientCert,
        key: tls.clientKey,
      })
      expect(withCert.status).toBe(200)
      await expect(get(server.jwksUri, { ca: tls.ca })).rejects.toThrow()
      expect(server.requestCount).toBe(1)
    } finally {
      await server.close()
    }
  })
})
