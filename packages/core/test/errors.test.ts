import { describe, expect, it } from 'vitest'
import {
  AUTH_ERRORS,
  AuthError,
  challengeFor,
  ConfigError,
  isAuthError,
  toHttpResponse,
  type AuthErrorCode,
} from '../src/index.js'

const codes = Object.keys(AUTH_ERRORS) as AuthErrorCode[]

describe('AuthError', () => {
  it('covers exactly the codes and statuses of DESIGN.md', () => {
    expect(Object.fromEntries(codes.map((c) => [c, AUTH_ERRORS[c].status]))).toEqual({
      token_missing: 401,
      token_malformed: 401,
      alg_not_allowed: 401,
      key_not_found: 401,
      signature_invalid: 401,
      token_expired: 401,
      token_not_yet_valid: 401,
      token_issued_in_future: 401,
      claim_invalid: 401,
      audience_mismatch: 401,
      issuer_mismatch: 401,
      subject_missing: 401,
      jwks_unavailable: 503,
      insufficient_roles: 403,
      token_revoked: 401,
      insufficient_scope: 403,
    })
  })

  it.each(codes)('%s carries status, statusCode, expose and headers', (code) => {
    const e = new AuthError(code)
    expect(e.name).toBe('AuthError')
    expect(e.status).toBe(AUTH_ERRORS[code].status)
    expect(e.statusCode).toBe(e.status)
    expect(e.expose).toBe(true)
    expect(e.message).toBe(AUTH_ERRORS[code].message)
    expect(isAuthError(e)).toBe(true)
  })

  it('challenges: plain for token_missing, invalid_token for presented tokens, insufficient_scope for 403, none for 503', () => {
    expect(challengeFor('token_missing')).toBe('Bearer realm="jwtgate"')
    for (const c of codes.filter((c) => AUTH_ERRORS[c].status === 401 && c !== 'token_missing')) {
      expect(challengeFor(c)).toBe(
        `Bearer realm="jwtgate", error="invalid_token", error_description="${AUTH_ERRORS[c].message}"`,
      )
    }
    expect(challengeFor('insufficient_roles')).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    )
    expect(challengeFor('jwks_unavailable')).toBeUndefined()
  })

  it('error_description is the fixed text of the code, never the message given', () => {
    const e = new AuthError('claim_invalid', { message: 'The "exp" claim must be a finite number' })
    expect(e.headers['WWW-Authenticate']).toBe(
      'Bearer realm="jwtgate", error="invalid_token", error_description="A token claim has an invalid value"',
    )
    // eslint-disable-next-line no-control-regex -- quotes, backslashes and controls would break the quoted-string
    for (const c of codes) expect(AUTH_ERRORS[c].message).not.toMatch(/["\\\u0000-\u001f]/)
  })

  it('second-wave codes: token_revoked is 401 invalid_token, insufficient_scope is 403 with the required scopes', () => {
    const revoked = new AuthError('token_revoked')
    expect({ status: revoked.status, www: revoked.wwwAuthenticate }).toEqual({
      status: 401,
      www: 'Bearer realm="jwtgate", error="invalid_token", error_description="The token has been revoked"',
    })
    const scope = new AuthError('insufficient_scope', { requiredScopes: ['read:a', 'write:b'] })
    expect(scope.status).toBe(403)
    expect(scope.requiredScopes).toEqual(['read:a', 'write:b'])
    expect(scope.headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="jwtgate", error="insufficient_scope", error_description="The token lacks the required scopes", scope="read:a write:b"',
    })
    // A scope that would break out of the quoted string is left out of the challenge.
    expect(
      new AuthError('insufficient_scope', { requiredScopes: ['a"b', 'ok', 'c d'] }).wwwAuthenticate,
    ).toBe(
      'Bearer realm="jwtgate", error="insufficient_scope", error_description="The token lacks the required scopes", scope="ok"',
    )
  })

  it('headers follow challenge and realm', () => {
    expect(new AuthError('token_expired', { challenge: false }).headers).toEqual({})
    expect(new AuthError('token_expired', { challenge: false }).wwwAuthenticate).toBeUndefined()
    expect(new AuthError('token_missing', { realm: 'api' }).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="api"',
    })
    expect(new AuthError('jwks_unavailable', { challenge: false }).headers).toEqual({
      'Retry-After': '1',
    })
  })

  it('503 carries Retry-After, at least 1 second, rounded up', () => {
    expect(new AuthError('jwks_unavailable').headers).toEqual({ 'Retry-After': '1' })
    expect(new AuthError('jwks_unavailable', { retryAfter: 0.2 }).retryAfter).toBe(1)
    expect(new AuthError('jwks_unavailable', { retryAfter: 7.1 }).headers['Retry-After']).toBe('8')
    expect(new AuthError('token_expired').retryAfter).toBeUndefined()
  })

  it('keeps the cause', () => {
    const cause = new Error('socket hang up')
    expect(new AuthError('jwks_unavailable', { cause }).cause).toBe(cause)
  })

  it('isAuthError recognises a copy from another module instance by name and code, not anything else', () => {
    expect(isAuthError({ name: 'AuthError', code: 'token_expired' })).toBe(true)
    expect(isAuthError({ name: 'AuthError', code: 'nope' })).toBe(false)
    expect(isAuthError(new Error('x'))).toBe(false)
    expect(isAuthError(null)).toBe(false)
    expect(isAuthError('AuthError')).toBe(false)
  })
})

describe('toHttpResponse', () => {
  it('renders status, JSON body and the challenge on 401', () => {
    expect(toHttpResponse(new AuthError('token_expired'))).toEqual({
      status: 401,
      headers: {
        'WWW-Authenticate':
          'Bearer realm="jwtgate", error="invalid_token", error_description="The token has expired"',
      },
      body: { error: 'token_expired', message: 'The token has expired' },
    })
    expect(toHttpResponse(new AuthError('token_missing')).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="jwtgate"',
    })
  })

  it('omits WWW-Authenticate when challenge is off', () => {
    expect(toHttpResponse(new AuthError('token_expired'), { challenge: false }).headers).toEqual({})
    expect(toHttpResponse(new AuthError('insufficient_roles'), { challenge: false })).toEqual({
      status: 403,
      headers: {},
      body: { error: 'insufficient_roles', message: 'The principal lacks the required roles' },
    })
  })

  it('403 carries insufficient_scope; 503 carries Retry-After and no challenge', () => {
    expect(toHttpResponse(new AuthError('insufficient_roles')).headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
    })
    expect(toHttpResponse(new AuthError('jwks_unavailable', { retryAfter: 9 }))).toEqual({
      status: 503,
      headers: { 'Retry-After': '9' },
      body: { error: 'jwks_unavailable', message: 'The signing keys are unavailable' },
    })
  })
})

describe('toHttpResponse: challenge and realm', () => {
  it("follows the error's own challenge unless told otherwise", () => {
    const quiet = new AuthError('token_expired', { challenge: false })
    expect(toHttpResponse(quiet).headers).toEqual({})
    expect(toHttpResponse(quiet, { challenge: true }).headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="jwtgate", error="invalid_token", error_description="The token has expired"',
    })
    expect(toHttpResponse(new AuthError('token_missing'), { realm: 'api' }).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="api"',
    })
    expect(
      toHttpResponse(new AuthError('insufficient_scope', { requiredScopes: ['s'] }), {
        realm: 'r',
      }).headers,
    ).toEqual({
      'WWW-Authenticate':
        'Bearer realm="r", error="insufficient_scope", error_description="The token lacks the required scopes", scope="s"',
    })
  })
})

describe('ConfigError', () => {
  it('is a TypeError that quotes and exposes the key', () => {
    const e = new ConfigError('jwksRequestTimeoutMs', 'must be at least 1')
    expect(e).toBeInstanceOf(TypeError)
    expect(e.name).toBe('ConfigError')
    expect(e.key).toBe('jwksRequestTimeoutMs')
    expect(e.message).toBe('"jwksRequestTimeoutMs" must be at least 1')
  })
})
