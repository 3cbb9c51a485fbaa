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
      expect(challengeFor(c)).toBe('Bearer realm="jwtgate", error="invalid_token"')
    }
    expect(challengeFor('insufficient_roles')).toBe('Bearer error="insufficient_scope"')
    expect(challengeFor('jwks_unavailable')).toBeUndefined()
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
      headers: { 'WWW-Authenticate': 'Bearer realm="jwtgate", error="invalid_token"' },
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
      'WWW-Authenticate': 'Bearer error="insufficient_scope"',
    })
    expect(toHttpResponse(new AuthError('jwks_unavailable', { retryAfter: 9 }))).toEqual({
      status: 503,
      headers: { 'Retry-After': '9' },
      body: { error: 'jwks_unavailable', message: 'The signing keys are unavailable' },
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
