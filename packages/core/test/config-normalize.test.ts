import { createPrivateKey } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULTS, normalizeConfig, type ResolvedOptions } from '../src/index.js'
import { createTlsFixtures } from '@jwtgate/testing'
import { SECRET_B64 } from './helpers.js'

const TLS = createTlsFixtures()

const resolved = (input: Record<string, unknown>): ResolvedOptions => {
  const out = normalizeConfig(input)
  if (!out.enabled) throw new Error('expected an enabled config')
  return out
}

function expectConfigError(input: Record<string, unknown>, key: string): ConfigError {
  let caught: unknown
  try {
    normalizeConfig(input)
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect((caught as ConfigError).key).toBe(key)
  expect((caught as ConfigError).message).toContain(`"${key}"`)
  return caught as ConfigError
}

describe('normalizeConfig: defaults', () => {
  it('fills in every default from DESIGN.md', () => {
    const o = resolved({})
    expect(o).toMatchObject({
      enabled: true,
      jwtHeader: 'Authorization',
      subjectKey: 'sub',
      clockSkewToleranceSeconds: 30,
      challenge: true,
      realm: 'jwtgate',
      cacheJwksEndpoint: true,
      jwksRequestTimeoutMs: 5000,
      jwksQueuedThreadTimeoutMs: 2500,
      refreshRateLimitTimeWindowMs: 10000,
      refreshRateLimitCount: 10,
      maxJwksKeys: -1,
      maxJwksResponseSizeBytes: 1048576,
      maxTokenBytes: 16384,
      requireExp: false,
      tokenCache: { max: 10000, ttlMs: 60000 },
      allowInsecureJwksUri: false,
    })
    expect(o.rolesKey).toBeUndefined()
    expect(o.jwtUrlParameter).toBeUndefined()
    expect(Object.isFrozen(o)).toBe(true)
    expect(DEFAULTS.tokenCache).toEqual({ max: 10000, ttlMs: 60000 })
  })

  it('accepts a realm of printable ASCII', () => {
    expect(resolved({ realm: 'My API, v2' }).realm).toBe('My API, v2')
  })

  it('is idempotent: its output is valid input and normalises to the same options', () => {
    const once = resolved({
      signingKey: SECRET_B64,
      requiredAudience: 'a, b',
      rolesKey: ['realm_access', 'roles'],
      tokenCache: { max: 5 },
    })
    expect(resolved(once as unknown as Record<string, unknown>)).toEqual(once)
  })
})

describe('normalizeConfig: camelCase form', () => {
  it('accepts every option', () => {
    const onEvent = (): void => undefined
    const o = resolved({
      signingKey: [SECRET_B64],
      jwtHeader: 'X-JWT-Assertion',
      jwtUrlParameter: 'jwt',
      subjectKey: 'user.name',
      rolesKey: 'realm_access.roles',
      requiredAudience: ['api', 'web'],
      requiredIssuer: 'https://idp.example/',
      clockSkewToleranceSeconds: 0,
      algorithms: ['HS256'],
      challenge: false,
      jwksUri: 'https://idp.example/jwks',
      openidConnectUrl: 'https://idp.example/.well-known/openid-configuration',
      cacheJwksEndpoint: false,
      jwksRequestTimeoutMs: 100,
      jwksQueuedThreadTimeoutMs: 0,
      refreshRateLimitTimeWindowMs: 1000,
      refreshRateLimitCount: 0,
      maxJwksKeys: 5,
      maxJwksResponseSizeBytes: 1000,
      followSameOriginRedirects: true,
      jwksTls: { ca: TLS.ca, rejectUnauthorized: true, verifyHostnames: false },
      maxTokenBytes: 4096,
      requireExp: true,
      tokenCache: false,
      allowInsecureJwksUri: true,
      onEvent,
      advanced: { clock: Date.now },
    })
    expect(o.signingKey).toEqual([SECRET_B64])
    expect(o.requiredAudience).toEqual(['api', 'web'])
    expect(o.requiredIssuer).toEqual(['https://idp.example/'])
    expect(o.tokenCache).toBe(false)
    expect(o.onEvent).toBe(onEvent)
    expect(o.jwksTls).toEqual({ ca: TLS.ca, rejectUnauthorized: true, verifyHostnames: false })
  })

  it('splits a comma-separated requiredAudience and trims it', () => {
    expect(resolved({ requiredAudience: 'a, b ,c' }).requiredAudience).toEqual(['a', 'b', 'c'])
  })

  it('keeps a requiredIssuer string whole (issuers are not comma-split)', () => {
    expect(resolved({ requiredIssuer: 'https://a.example/x,y' }).requiredIssuer).toEqual([
      'https://a.example/x,y',
    ])
  })

  it('merges a partial tokenCache with the defaults; true means the defaults', () => {
    expect(resolved({ tokenCache: { ttlMs: 5 } }).tokenCache).toEqual({ max: 10000, ttlMs: 5 })
    expect(resolved({ tokenCache: true }).tokenCache).toEqual({ max: 10000, ttlMs: 60000 })
  })

  it('treats undefined values as unset', () => {
    expect(resolved({ rolesKey: undefined }).rolesKey).toBeUndefined()
  })
})

describe('normalizeConfig: OpenSearch snake_case form', () => {
  it('maps the jwt_auth_domain config block', () => {
    const o = resolved({
      signing_key: SECRET_B64,
      jwt_header: 'Authorization',
      jwt_url_parameter: 'token',
      subject_key: 'preferred_username',
      roles_key: 'roles',
      required_audience: 'api,web',
      required_issuer: 'https://idp.example',
      jwt_clock_skew_tolerance_seconds: 10,
      jwks_uri: 'https://idp.example/jwks',
      cache_jwks_endpoint: false,
      jwks_request_timeout_ms: 2000,
      jwks_queued_thread_timeout_ms: 1000,
      refresh_rate_limit_time_window_ms: 5000,
      refresh_rate_limit_count: 3,
      max_jwks_keys: 50,
      max_jwks_response_size_bytes: 2048,
    })
    expect(o).toMatchObject({
      signingKey: [SECRET_B64],
      jwtUrlParameter: 'token',
      subjectKey: 'preferred_username',
      rolesKey: 'roles',
      requiredAudience: ['api', 'web'],
      requiredIssuer: ['https://idp.example'],
      clockSkewToleranceSeconds: 10,
      jwksUri: 'https://idp.example/jwks',
      cacheJwksEndpoint: false,
      jwksRequestTimeoutMs: 2000,
      jwksQueuedThreadTimeoutMs: 1000,
      refreshRateLimitTimeWindowMs: 5000,
      refreshRateLimitCount: 3,
      maxJwksKeys: 50,
      maxJwksResponseSizeBytes: 2048,
    })
  })

  it('accepts the whole http_authenticator block with type, challenge and config', () => {
    const o = resolved({ type: 'jwt', challenge: false, config: { signing_key: SECRET_B64 } })
    expect(o.challenge).toBe(false)
    expect(o.signingKey).toEqual([SECRET_B64])
  })

  it('reads a comma-separated signing_key as a list and skips empty entries', () => {
    expect(resolved({ signing_key: `${SECRET_B64},,${SECRET_B64}` }).signingKey).toEqual([
      SECRET_B64,
      SECRET_B64,
    ])
  })

  it('reads roles_key "realm_access,roles" and a YAML list as nested paths', () => {
    expect(resolved({ roles_key: 'realm_access,roles' }).rolesKey).toEqual([
      'realm_access',
      'roles',
    ])
    expect(resolved({ roles_key: ['realm_access', 'roles'] }).rolesKey).toEqual([
      'realm_access',
      'roles',
    ])
    expect(resolved({ subject_key: ['user', 'name'] }).subjectKey).toEqual(['user', 'name'])
  })

  it('accepts string numbers and booleans as OpenSearch settings do', () => {
    const o = resolved({ jwks_request_timeout_ms: '3000', cache_jwks_endpoint: 'false' })
    expect(o.jwksRequestTimeoutMs).toBe(3000)
    expect(o.cacheJwksEndpoint).toBe(false)
  })

  it('treats an empty jwks_uri as unset (static-key fallback)', () => {
    expect(resolved({ jwks_uri: '', signing_key: SECRET_B64 }).jwksUri).toBeUndefined()
  })

  it('maps jwks.* TLS settings, flat and nested', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwtgate-'))
    writeFileSync(join(dir, 'ca.pem'), TLS.ca)
    const key = createPrivateKey(TLS.clientKey)
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString()
    const flat = resolved({
      'jwks.enable_ssl': true,
      'jwks.pemtrustedcas_filepath': join(dir, 'ca.pem'),
      'jwks.enable_ssl_client_auth': true,
      'jwks.pemcert_content': TLS.clientCert,
      'jwks.pemkey_content': key,
      'jwks.pemkey_password': 'pw',
    })
    expect(flat.jwksTls).toEqual({ ca: TLS.ca, cert: TLS.clientCert, key, passphrase: 'pw' })
    const nested = resolved({
      jwks: {
        enable_ssl: true,
        pemtrustedcas_content: TLS.ca,
        trust_all: true,
        verify_hostnames: false,
      },
    })
    expect(nested.jwksTls).toEqual({
      ca: TLS.ca,
      rejectUnauthorized: false,
      verifyHostnames: false,
    })
    expect(resolved({ jwks: { enable_ssl: true, verify_hostnames: true } }).jwksTls).toEqual({})
    expect(
      resolved({ jwks: { enable_ssl: false, pemtrustedcas_content: 'CA' } }).jwksTls,
    ).toBeUndefined()
  })

  it('refuses unusable TLS material at start-up, naming the key', () => {
    expectConfigError(
      { 'jwks.enable_ssl': true, 'jwks.pemtrustedcas_content': 'CA PEM' },
      'jwks.pemtrustedcas_content',
    )
    expectConfigError({ jwksTls: { ca: 'CA PEM' } }, 'jwksTls.ca')
    expectConfigError({ jwksTls: { cert: TLS.clientCert, key: TLS.key } }, 'jwksTls.key')
  })

  it('rejects an unreadable TLS file, naming the key', () => {
    expectConfigError(
      { 'jwks.enable_ssl': true, 'jwks.pemtrustedcas_filepath': '/nonexistent/ca.pem' },
      'jwks.pemtrustedcas_filepath',
    )
  })
})

describe('normalizeConfig: Aiven jwt.* form', () => {
  it('accepts flat jwt.* keys', () => {
    const o = resolved({
      'jwt.enabled': true,
      'jwt.signing_key': SECRET_B64,
      'jwt.jwt_header': 'X-Token',
      'jwt.roles_key': 'roles',
      'jwt.required_audience': 'api',
      'jwt.jwt_clock_skew_tolerance_seconds': 5,
    })
    expect(o).toMatchObject({
      signingKey: [SECRET_B64],
      jwtHeader: 'X-Token',
      rolesKey: 'roles',
      requiredAudience: ['api'],
      clockSkewToleranceSeconds: 5,
    })
  })

  it('accepts keys nested under jwt', () => {
    const o = resolved({ jwt: { enabled: true, signing_key: SECRET_B64, subject_key: 'email' } })
    expect(o.subjectKey).toBe('email')
  })

  it('returns { enabled: false } for jwt.enabled: false', () => {
    expect(normalizeConfig({ 'jwt.enabled': false, 'jwt.signing_key': SECRET_B64 })).toEqual({
      enabled: false,
    })
    expect(normalizeConfig({ jwt: { enabled: false } })).toEqual({ enabled: false })
  })
})

describe('normalizeConfig: errors name the key', () => {
  it.each([
    [{ signingKeys: 'x' }, 'signingKeys'],
    [{ config: { signing_keys: 'x' } }, 'config.signing_keys'],
    [{ 'jwt.unknown': 1 }, 'jwt.unknown'],
    [{ jwks: { bogus: true } }, 'jwks.bogus'],
  ])('unknown key %j', (input, key) => {
    expectConfigError(input, key)
  })

  it.each([
    [{ clockSkewToleranceSeconds: -1 }, 'clockSkewToleranceSeconds'],
    [{ jwksRequestTimeoutMs: -5 }, 'jwksRequestTimeoutMs'],
    [{ jwksRequestTimeoutMs: 0 }, 'jwksRequestTimeoutMs'],
    [{ jwks_queued_thread_timeout_ms: -1 }, 'jwks_queued_thread_timeout_ms'],
    [{ refreshRateLimitCount: 1.5 }, 'refreshRateLimitCount'],
    [{ jwksRequestTimeoutMs: '5000' }, 'jwksRequestTimeoutMs'],
    [{ clockSkewToleranceSeconds: Number.NaN }, 'clockSkewToleranceSeconds'],
    [{ maxTokenBytes: 0 }, 'maxTokenBytes'],
    [{ challenge: 'yes' }, 'challenge'],
    [{ realm: '' }, 'realm'],
    [{ realm: 'a"b' }, 'realm'],
    [{ realm: 'a\\b' }, 'realm'],
    [{ realm: 'caf\u00e9' }, 'realm'],
    [{ realm: 'a\nb' }, 'realm'],
    [{ realm: 7 }, 'realm'],
    [{ 'jwt.enabled': 'maybe' }, 'jwt.enabled'],
    [{ jwtHeader: '' }, 'jwtHeader'],
    [{ jwtHeader: 'Bad Header' }, 'jwtHeader'],
    [{ jwtUrlParameter: 5 }, 'jwtUrlParameter'],
    [{ subjectKey: 'a..b' }, 'subjectKey'],
    [{ rolesKey: [] }, 'rolesKey'],
    [{ rolesKey: ['a', ''] }, 'rolesKey[1]'],
    [{ requiredAudience: '' }, 'requiredAudience'],
    [{ requiredAudience: ' , ' }, 'requiredAudience'],
    [{ requiredIssuer: /idp/ }, 'requiredIssuer'],
    [{ requiredIssuer: [] }, 'requiredIssuer'],
    [{ algorithms: [] }, 'algorithms'],
    [{ algorithms: ['none'] }, 'algorithms[0]'],
    [{ algorithms: ['RS256', 'NONE'] }, 'algorithms[1]'],
    [{ algorithms: ['rs256'] }, 'algorithms[0]'],
    [{ tokenCache: { max: 0 } }, 'tokenCache.max'],
    [{ tokenCache: { size: 1 } }, 'tokenCache.size'],
    [{ tokenCache: 'on' }, 'tokenCache'],
    [{ onEvent: 'log' }, 'onEvent'],
    [{ advanced: { now: 1 } }, 'advanced.now'],
    [{ signingKey: 123 }, 'signingKey'],
    [{ signingKey: ['', SECRET_B64] }, 'signingKey[0]'],
    [{ signingKey: [] }, 'signingKey'],
    [{ jwksTls: { ca: 5 } }, 'jwksTls.ca'],
    [{ jwksTls: { verify: true } }, 'jwksTls.verify'],
  ])('%j', (input, key) => {
    expectConfigError(input, key)
  })

  it.each([
    [{ scopesKey: '' }, 'scopesKey'],
    [{ scopesKey: 'a..b' }, 'scopesKey'],
    [{ typ: '' }, 'typ'],
    [{ typ: [] }, 'typ'],
    [{ typ: ['at+jwt', 5] }, 'typ[1]'],
    [{ typ: 'at jwt' }, 'typ'],
    [{ maxTokenAgeSeconds: -1 }, 'maxTokenAgeSeconds'],
    [{ maxTokenAgeSeconds: 1.5 }, 'maxTokenAgeSeconds'],
    [{ maxTokenAgeSeconds: '300' }, 'maxTokenAgeSeconds'],
    [{ requiredClaims: 'jti' }, 'requiredClaims'],
    [{ requiredClaims: [] }, 'requiredClaims'],
    [{ requiredClaims: ['jti', ''] }, 'requiredClaims[1]'],
    [{ requiredClaims: ['a..b'] }, 'requiredClaims[0]'],
    [{ verifyClaims: true }, 'verifyClaims'],
    [{ isRevoked: new Set() }, 'isRevoked'],
    [{ issuers: [] }, 'issuers'],
    [{ issuers: {} }, 'issuers'],
    [{ issuers: ['https://idp.example'] }, 'issuers[0]'],
    [{ issuers: [{ jwksUri: 'https://idp.example/jwks' }] }, 'issuers[0].issuer'],
    [{ maxStaleMs: -1 }, 'maxStaleMs'],
    [{ initialJwks: [] }, 'initialJwks'],
    [{ initialJwks: { keys: {} } }, 'initialJwks.keys'],
    [{ initialJwks: { keys: ['k'] } }, 'initialJwks.keys[0]'],
    [{ initialJwks: { jwks: { keys: [] } } }, 'initialJwks.fetchedAt'],
    [{ initialJwks: { jwks: { keys: [] }, fetchedAt: 1, extra: 1 } }, 'initialJwks.extra'],
    [{ initialJwks: { jwks: { keys: [] }, fetchedAt: 1 } }, 'initialJwks.jwks.keys'],
    [{ jwksAgent: {} }, 'jwksAgent'],
    [{ jwksHeaders: 'x-api-key: 1' }, 'jwksHeaders'],
    [{ jwksHeaders: { 'bad header': 'x' } }, 'jwksHeaders.bad header'],
    [{ jwksHeaders: { 'x-a': 'a\r\nx-b: b' } }, 'jwksHeaders.x-a'],
    [{ jwksHeaders: { 'x-a': 1 } }, 'jwksHeaders.x-a'],
  ])('second-wave option %j', (input, key) => {
    expectConfigError(input, key)
  })

  it('accepts and freezes the second-wave options', async () => {
    const { Agent } = await import('node:https')
    const { generateKeyPairSync } = await import('node:crypto')
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'jwk',
    })
    const jwksAgent = new Agent()
    const isRevoked = () => false
    const o = resolved({
      scopesKey: 'scp',
      typ: ['at+jwt', 'application/at+jwt'],
      maxTokenAgeSeconds: 300,
      requiredClaims: ['jti', 'client.id'],
      isRevoked,
      maxStaleMs: 60_000,
      jwksAgent,
      jwksHeaders: { 'x-api-key': 'k' },
      issuers: [
        {
          issuer: 'https://a.example',
          jwksUri: 'https://a.example/jwks',
          initialJwks: { jwks: { keys: [jwk] }, fetchedAt: 1 },
        },
      ],
    })
    expect(o).toMatchObject({
      scopesKey: 'scp',
      typ: ['at+jwt', 'application/at+jwt'],
      maxTokenAgeSeconds: 300,
      requiredClaims: ['jti', 'client.id'],
      maxStaleMs: 60_000,
      jwksHeaders: { 'x-api-key': 'k' },
    })
    expect(o.isRevoked).toBe(isRevoked)
    expect(o.jwksAgent).toBe(jwksAgent)
    expect(Object.isFrozen(o.issuers?.[0])).toBe(true)
    expect(resolved({}).maxStaleMs).toBe(86_400_000)
    const jwksUri = 'https://a.example/jwks'
    expect(resolved({ jwksUri, initialJwks: { keys: [jwk] } }).initialJwks).toEqual({
      keys: [jwk],
    })
    const saved = resolved({ jwksUri, initialJwks: { jwks: { keys: [jwk] }, fetchedAt: 1 } })
    expect(saved.initialJwks).toEqual({ jwks: { keys: [jwk] }, fetchedAt: 1 })
    expect(Object.isFrozen(saved.initialJwks)).toBe(true)
    jwksAgent.destroy()
  })

  it.each([
    [{ maxStaleMs: 59_999, jwksUri: 'https://a.example/jwks' }, 'maxStaleMs'],
    [{ initialJwks: { keys: [] }, jwksUri: 'https://a.example/jwks' }, 'initialJwks.keys'],
    [
      { initialJwks: { keys: [{ kty: 'oct', k: 'AAAA' }] }, jwksUri: 'https://a.example/jwks' },
      'initialJwks.keys',
    ],
    [{ initialJwks: { keys: [{ kty: 'EC' }] }, signingKey: SECRET_B64 }, 'initialJwks.keys'],
    [{ jwksHeaders: { Host: 'evil.example' } }, 'jwksHeaders.Host'],
    [{ jwksHeaders: { 'If-None-Match': '"x"' } }, 'jwksHeaders.If-None-Match'],
    [{ jwksHeaders: { 'x-a': 'a', 'X-A': 'b' } }, 'jwksHeaders.X-A'],
  ])('key-set operations %j', (input, key) => {
    expectConfigError(input, key)
  })

  it('rejects the same option in two spellings', () => {
    expectConfigError({ signingKey: SECRET_B64, signing_key: SECRET_B64 }, 'signing_key')
  })

  it('rejects a non-object', () => {
    expect(() => normalizeConfig(null)).toThrow(ConfigError)
  })
})

describe('normalizeConfig: JWKS URLs', () => {
  it.each([
    'file:///etc/passwd',
    'ftp://idp.example/jwks',
    'data:application/json,{}',
    'not a url',
    'https://user:pw@idp.example/jwks',
  ])('rejects %s', (jwksUri) => {
    expectConfigError({ jwksUri }, 'jwksUri')
  })

  it('rejects http:// on a non-loopback host unless allowInsecureJwksUri', () => {
    expectConfigError({ jwksUri: 'http://idp.example/jwks' }, 'jwksUri')
    expectConfigError({ openid_connect_url: 'http://10.0.0.1/x' }, 'openid_connect_url')
    expect(
      resolved({ jwksUri: 'http://idp.example/jwks', allowInsecureJwksUri: true }).jwksUri,
    ).toBe('http://idp.example/jwks')
  })

  it.each(['http://127.0.0.1:8080/jwks', 'http://localhost/jwks', 'http://[::1]:9/jwks'])(
    'allows loopback http: %s',
    (jwksUri) => {
      expect(resolved({ jwksUri }).jwksUri).toBe(new URL(jwksUri).href)
    },
  )
})
