import { describe, expect, it } from 'vitest'
import { AuthError, checkRoles, type Principal } from '../src/index.js'

const principal = (roles: string[]): Principal => ({
  subject: 'a',
  roles,
  scopes: [],
  claims: {},
  header: {},
  token: 't',
})

describe('checkRoles (SEC-080)', () => {
  it('any-of passes with one matching role', () => {
    expect(() => checkRoles(principal(['dev', 'ops']), ['admin', 'ops'])).not.toThrow()
  })

  it('all-of needs every role', () => {
    expect(() => checkRoles(principal(['admin', 'ops']), ['admin', 'ops'], 'all')).not.toThrow()
    expect(() => checkRoles(principal(['admin']), ['admin', 'ops'], 'all')).toThrow(AuthError)
  })

  it.each([['Admin'], ['ａｄｍｉｎ'], ['admin\u200b'], [' admin']])(
    'role %j is not "admin" → insufficient_roles 403',
    (role) => {
      let caught: unknown
      try {
        checkRoles(principal([role]), ['admin'])
      } catch (e) {
        caught = e
      }
      expect(caught).toBeInstanceOf(AuthError)
      expect((caught as AuthError).code).toBe('insufficient_roles')
      expect((caught as AuthError).status).toBe(403)
      expect((caught as AuthError).wwwAuthenticate).toBe(
        'Bearer realm="jwtgate", error="insufficient_scope", error_description="The principal lacks the required roles"',
      )
    },
  )
})
