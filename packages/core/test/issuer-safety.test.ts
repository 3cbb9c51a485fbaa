// DESIGN.md, Second wave, "Issuer safety" (the core half; discovery is tested in @jwtgate/jwks).
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  fromOpenSearch,
  createKeyResolverAuthenticator,
  createStaticKeyResolver,
  importSigningKeys,
  normalizeConfig,
  resolveOptions,
  type AuthEvent,
  type KeyResolver,
} from '../src/index.js'
import {
  bearer,
  claims,
  clock,
  expectAuthFailure,
  hsToken,
  SECRET_B64,
  staticAuth,
} from './helpers.js'

const SECURITY_KEYS = [
  ['signingKey', 'signing_key'],
  ['jwksUri', 'jwks_uri'],
  ['openidConnectUrl', 'openid_connect_url'],
  ['requiredIssuer', 'required_issuer'],
  ['requiredAudience', 'required_audience'],
] as const

describe('a security-relevant option given as undefined', () => {
  it.each(SECURITY_KEYS)('%s: undefined is a ConfigError naming it', (camel) => {
    const build = () => normalizeConfig({ signingKey: SECRET_B64, [camel]: undefined })
    expect(build).toThrow(ConfigError)
    expect(build).toThrow(`"${camel}" is undefined: an unset environment variable?`)
    try {
      build()
    } catch (e) {
      expect((e as ConfigError).key).toBe(camel)
    }
  })

  it.each(SECURITY_KEYS)('the OpenSearch and Aiven spellings of %s too', (_camel, snake) => {
    expect(() => normalizeConfig({ signing_key: SECRET_B64, [snake]: undefined })).toThrow(
      `"${snake}" is undefined`,
    )
    expect(() =>
      normalizeConfig({ config: { signing_key: SECRET_B64, [snake]: undefined } }),
    ).toThrow(`"config.${snake}" is undefined`)
    expect(() =>
      normalizeConfig({ 'jwt.signing_key': SECRET_B64, [`jwt.${snake}`]: undefined }),
    ).toThrow(`"jwt.${snake}" is undefined`)
  })

  it('createStaticAuthenticator refuses requiredIssuer: process.env.UNSET', () => {
    const env: Record<string, string | undefined> = {}
    expect(() => staticAuth({ signingKey: SECRET_B64, requiredIssuer: env.OIDC_ISSUER })).toThrow(
      ConfigError,
    )
  })

  it('other options given as undefined are simply unset', () => {
    const resolved = resolveOptions({
      signingKey: SECRET_B64,
      rolesKey: undefined,
      jwtUrlParameter: undefined,
      clockSkewToleranceSeconds: undefined,
    })
    expect(resolved.rolesKey).toBeUndefined()
    expect(resolved.clockSkewToleranceSeconds).toBe(30)
  })

  it('null is still "unset" (an empty YAML value)', () => {
    const resolved = fromOpenSearch({ signing_key: SECRET_B64, required_issuer: null as never })
    expect(resolved.requiredIssuer).toBeUndefined()
  })

  it('normalizeConfig stays idempotent: its output, or a spread copy, is valid input', () => {
    const once = normalizeConfig({ signingKey: SECRET_B64 })
    expect(normalizeConfig(once)).toEqual(once)
    expect(() => staticAuth({ ...resolveOptions(once), requiredAudience: 'api' })).not.toThrow()
  })
})

describe('config.warning', () => {
  const warnings = (options: Record<string, unknown>): unknown[] => {
    const events: AuthEvent[] = []
    staticAuth({ signingKey: SECRET_B64, ...options, onEvent: (e) => events.push(e) })
    return events.filter((e) => e.type === 'config.warning').map((e) => e.message)
  }

  it('neither an issuer nor an audience: says that any token these keys verify is accepted', () => {
    expect(warnings({})).toEqual([
      expect.stringContaining('neither requiredIssuer nor requiredAudience is set'),
    ])
  })

  it('an issuer without an audience: the audience warning', () => {
    expect(warnings({ requiredIssuer: 'https://idp.example' })).toEqual([
      expect.stringContaining('requiredAudience is not set'),
    ])
  })

  it('an audience: no warning', () => {
    expect(warnings({ requiredAudience: 'api' })).toEqual([])
  })
})

describe('KeyResolver.trustedIssuers (issuers a key set learnt at run time)', () => {
  const build = (trusted: ReadonlySet<string> | undefined, options = {}) => {
    const base = createStaticKeyResolver(importSigningKeys([SECRET_B64]))
    const resolver: KeyResolver = {
      ...base,
      select: (selector) => base.select(selector),
      trustedIssuers: trusted,
    }
    return createKeyResolverAuthenticator(
      resolveOptions({
        signingKey: SECRET_B64,
        tokenCache: false,
        advanced: { clock },
        ...options,
      }),
      resolver,
    )
  }

  it('a token must name one of them', async () => {
    const auth = build(new Set(['https://idp.example']))
    await expect(
      auth.authenticate(bearer(hsToken(claims({ iss: 'https://idp.example' })))),
    ).resolves.toBeDefined()
    await expectAuthFailure(
      auth.authenticate(bearer(hsToken(claims({ iss: 'https://evil.example' })))),
      'issuer_mismatch',
    )
    await expectAuthFailure(auth.authenticate(bearer(hsToken(claims()))), 'issuer_mismatch')
  })

  it('an empty set (not learnt yet) refuses every token', async () => {
    await expectAuthFailure(
      build(new Set()).authenticate(bearer(hsToken(claims({ iss: 'https://idp.example' })))),
      'issuer_mismatch',
    )
  })

  it('requiredIssuer, when set, wins', async () => {
    const auth = build(new Set(['https://idp.example']), {
      requiredIssuer: 'https://other.example',
    })
    await expect(
      auth.authenticate(bearer(hsToken(claims({ iss: 'https://other.example' })))),
    ).resolves.toBeDefined()
  })
})
