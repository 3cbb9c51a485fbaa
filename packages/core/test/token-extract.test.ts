import { createServer, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { AuthRequest } from '../src/index.js'
import {
  bearer,
  claims,
  expectAuthFailure,
  hs,
  hsToken,
  mint,
  SECRET_B64,
  staticAuth,
} from './helpers.js'

const token = hsToken()
const forged = mint({ alg: 'HS256' }, claims({ sub: 'mallory' }), hs(Buffer.alloc(32, 1)))
const auth = (extra: Record<string, unknown> = {}) =>
  staticAuth({ signingKey: SECRET_B64, ...extra })
const withAuth = (value: string | string[]): AuthRequest => ({ headers: { authorization: value } })

describe('Authorization header', () => {
  it.each(['Bearer', 'bearer', 'BEARER', 'BeArEr'])(
    'scheme %s in any case is stripped (SEC-081)',
    async (scheme) => {
      await expect(auth().authenticate(withAuth(`${scheme} ${token}`))).resolves.toMatchObject({
        subject: 'alice',
      })
    },
  )

  it('two spaces after Bearer are accepted (SEC-082)', async () => {
    await expect(auth().authenticate(withAuth(`Bearer  ${token}`))).resolves.toBeDefined()
  })

  it.each([`Bearer\t${token}`, `Bearer${token}`])(
    'tab or no space → token_malformed (SEC-082): %#',
    async (v) => {
      await expectAuthFailure(auth().authenticate(withAuth(v)), 'token_malformed')
    },
  )

  it('a raw token without a scheme is accepted (OpenSearch compatibility, SEC-083)', async () => {
    await expect(auth().authenticate(withAuth(token))).resolves.toBeDefined()
  })

  it.each([
    'Basic dXNlcjpwYXNz',
    'Digest username="u"',
    `DPoP ${token}`,
    `Token ${token}`,
    'Negotiate abc',
  ])('another scheme %j → token_missing (SEC-083)', async (v) => {
    const err = await expectAuthFailure(auth().authenticate(withAuth(v)), 'token_missing')
    expect(err.wwwAuthenticate).toBe('Bearer realm="jwtgate"')
  })

  it.each([
    `${token}Bearer 123`,
    `xBearer ${token}`,
    `Bearer ${token} extra`,
    `Bearer ${token}, Bearer ${token}`,
    `Bearer "${token}"`,
    `Bearer Bearer ${token}`,
  ])(
    'scheme in the wrong place or extra content → token_malformed (SEC-084, SEC-085): %#',
    async (v) => {
      await expectAuthFailure(auth().authenticate(withAuth(v)), 'token_malformed')
    },
  )

  it.each(['Bearer', 'Bearer ', 'Bearer    '])(
    'an empty bearer credential %j → token_malformed (SEC-001)',
    async (v) => {
      await expectAuthFailure(auth().authenticate(withAuth(v)), 'token_malformed')
    },
  )

  it('no header, an empty header or an empty list → token_missing with a plain challenge', async () => {
    for (const headers of [
      {},
      { authorization: '' },
      { authorization: [] },
      { authorization: undefined },
    ]) {
      const err = await expectAuthFailure(auth().authenticate({ headers }), 'token_missing')
      expect(err.wwwAuthenticate).toBe('Bearer realm="jwtgate"')
    }
  })

  it('a hand-built request without a headers object → token_missing, never a TypeError', async () => {
    for (const request of [{}, { headers: null }, { headers: 'authorization' }]) {
      await expectAuthFailure(
        auth().authenticate(request as unknown as AuthRequest),
        'token_missing',
      )
    }
    const viaUrl = auth({ jwtUrlParameter: 'jwt' }).authenticate({
      url: `/x?jwt=${token}`,
    } as unknown as AuthRequest)
    await expect(viaUrl).resolves.toBeDefined()
  })

  it('two Authorization values (headersDistinct) → token_malformed; one value in a list is fine (SEC-086)', async () => {
    await expectAuthFailure(
      auth().authenticate(withAuth([`Bearer ${token}`, `Bearer ${forged}`])),
      'token_malformed',
    )
    await expectAuthFailure(
      auth().authenticate(withAuth([`Bearer ${forged}`, `Bearer ${token}`])),
      'token_malformed',
    )
    await expect(auth().authenticate(withAuth([`Bearer ${token}`]))).resolves.toBeDefined()
  })

  it('two Authorization lines on a real socket are seen through headersDistinct (SEC-086)', async () => {
    const a = auth()
    const server = createServer((req: IncomingMessage, res) => {
      a.authenticate({ headers: req.headersDistinct, url: req.url }).then(
        () => res.end('ok'),
        (e: unknown) => res.end((e as { code: string }).code),
      )
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    const body = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end(
          `GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${forged}\r\nConnection: close\r\n\r\n`,
        )
      })
      let raw = ''
      socket.on('data', (c: Buffer) => (raw += c.toString()))
      socket.on('end', () => resolve(raw.split('\r\n\r\n')[1] ?? ''))
      socket.on('error', reject)
    })
    server.close()
    expect(body).toBe('token_malformed')
  })

  it('header names in a hand-built object are matched case-insensitively', async () => {
    await expect(
      auth().authenticate({ headers: { Authorization: `Bearer ${token}` } }),
    ).resolves.toBeDefined()
  })
})

describe('custom header (SEC-088)', () => {
  it('jwtHeader is matched case-insensitively, Bearer stripped, Authorization ignored', async () => {
    const a = auth({ jwtHeader: 'X-JWT-Assertion' })
    await expect(
      a.authenticate({
        headers: { 'x-jwt-assertion': `Bearer ${token}`, authorization: `Bearer ${forged}` },
      }),
    ).resolves.toMatchObject({ subject: 'alice' })
    await expect(a.authenticate({ headers: { 'X-Jwt-Assertion': token } })).resolves.toBeDefined()
    await expectAuthFailure(
      a.authenticate({ headers: { authorization: `Bearer ${token}` } }),
      'token_missing',
    )
  })

  it('a Basic value in a custom header is a malformed JWT, not another scheme', async () => {
    await expectAuthFailure(
      auth({ jwtHeader: 'X-Token' }).authenticate({ headers: { 'x-token': 'Basic dXNlcjpwYXNz' } }),
      'token_malformed',
    )
  })
})

describe('URL parameter (SEC-087)', () => {
  const a = () => auth({ jwtUrlParameter: 'jwt' })

  it('is used when no header is present, also with a Bearer prefix and an absolute URL', async () => {
    await expect(a().authenticate({ headers: {}, url: `/api?jwt=${token}` })).resolves.toBeDefined()
    await expect(
      a().authenticate({
        headers: {},
        url: `/api?x=1&jwt=${encodeURIComponent(`Bearer ${token}`)}#frag`,
      }),
    ).resolves.toBeDefined()
    await expect(
      a().authenticate({ headers: {}, url: `https://api.example/x?jwt=${token}` }),
    ).resolves.toBeDefined()
  })

  it('the header wins when both are present, with no fallback after a failure', async () => {
    await expect(
      a().authenticate({ ...bearer(token), url: `/?jwt=${forged}` }),
    ).resolves.toMatchObject({ subject: 'alice' })
    await expectAuthFailure(
      a().authenticate({ ...bearer(forged), url: `/?jwt=${token}` }),
      'signature_invalid',
    )
  })

  it('a parameter that is not configured is ignored → token_missing', async () => {
    await expectAuthFailure(
      auth().authenticate({ headers: {}, url: `/?jwt=${token}` }),
      'token_missing',
    )
    await expectAuthFailure(a().authenticate({ headers: {}, url: '/api' }), 'token_missing')
    await expectAuthFailure(a().authenticate({ headers: {} }), 'token_missing')
  })

  it('a repeated parameter → token_malformed', async () => {
    await expectAuthFailure(
      a().authenticate({ headers: {}, url: `/?jwt=${token}&jwt=${token}` }),
      'token_malformed',
    )
  })

  it('percent-encoding decodes (%2E for "."); "+" becomes a space → token_malformed', async () => {
    await expect(
      a().authenticate({ headers: {}, url: `/?jwt=${token.replace('.', '%2E')}` }),
    ).resolves.toBeDefined()
    await expectAuthFailure(
      a().authenticate({ headers: {}, url: `/?jwt=${token.slice(0, 10)}+${token.slice(10)}` }),
      'token_malformed',
    )
    await expectAuthFailure(
      a().authenticate({ headers: {}, url: `/?jwt=${token.slice(0, 10)}%0A${token.slice(10)}` }),
      'token_malformed',
    )
  })

  it('an empty parameter → token_malformed', async () => {
    await expectAuthFailure(a().authenticate({ headers: {}, url: '/?jwt=' }), 'token_malformed')
  })
})
