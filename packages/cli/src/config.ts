// Finding jwtgate options in what operators keep: OpenSearch's security config.yml, one auth
// domain, an `http_authenticator.config` block, an Aiven `user_config`, or jwtgate's own camelCase
// options, as JSON or YAML. The shapes are told apart by their keys, never by the file name.
import { normalizeConfig, type NormalizedConfig } from '@jwtgate/core'
import { parse } from 'yaml'

/** A configuration problem the user must fix: the CLI prints the message and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Where the options came from, for the report. */
export interface LoadedConfig {
  /** The normalized options (camelCase, defaults filled in). */
  readonly options: NormalizedConfig
  /** What the file held: `opensearch-config`, `auth-domain`, `authenticator-config`, `aiven`, `options`. */
  readonly form: ConfigForm
  /** The OpenSearch auth domain used, when the file had domains. */
  readonly domain?: string
}

/** The shapes a configuration file may have. */
export type ConfigForm =
  'opensearch-config' | 'auth-domain' | 'authenticator-config' | 'aiven' | 'options'

/** OpenSearch authenticator types jwtgate implements (`jwt`: static key or JWKS; `openid`: OIDC). */
const JWT_TYPES = new Set(['jwt', 'openid'])

type Obj = Record<string, unknown>
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Parses a configuration file's text (JSON or YAML) and finds the jwtgate options in it.
 *
 * @param text - the file's content
 * @param domain - the OpenSearch auth domain to use when the file has several
 * @returns the normalized options and the form found
 * @throws {@link UsageError} for text that is not YAML/JSON, an unknown form, a missing or
 *   ambiguous domain; `ConfigError` (from core) for invalid options
 */
export function loadConfig(text: string, domain?: string): LoadedConfig {
  let doc: unknown
  try {
    doc = parse(text, { prettyErrors: false, uniqueKeys: true })
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n', 1)[0] : 'unreadable'
    throw new UsageError(`the configuration is neither YAML nor JSON (${reason ?? ''})`)
  }
  if (!isObject(doc)) {
    throw new UsageError(
      'unknown configuration form: expected an object (OpenSearch config.yml, an auth domain, its http_authenticator.config, an Aiven user_config, or jwtgate options)',
    )
  }
  return find(doc, domain)
}

function find(doc: Obj, domain: string | undefined): LoadedConfig {
  // Aiven API answers wrap the settings in `user_config`.
  if (isObject(doc.user_config)) return find(doc.user_config, domain)
  const authc = authcOf(doc)
  if (authc !== undefined) return fromDomains(authc, domain)
  if (isObject(doc.http_authenticator)) {
    const { options } = fromDomain('(the file)', doc)
    return { options, form: 'auth-domain' }
  }
  if (domain !== undefined)
    throw new UsageError('--domain applies to an OpenSearch config.yml, which this file is not')
  const aiven = isObject(doc.jwt) || Object.keys(doc).some((k) => k.startsWith('jwt.'))
  const snake = Object.keys(doc).some((k) => k.includes('_'))
  return {
    options: normalizeConfig(doc),
    form: aiven ? 'aiven' : snake ? 'authenticator-config' : 'options',
  }
}

/** `config.dynamic.authc` (config.yml), `dynamic.authc` or `authc`. */
function authcOf(doc: Obj): Obj | undefined {
  for (const candidate of [
    isObject(doc.config) && isObject(doc.config.dynamic) ? doc.config.dynamic.authc : undefined,
    isObject(doc.dynamic) ? doc.dynamic.authc : undefined,
    doc.authc,
  ]) {
    if (isObject(candidate)) return candidate
  }
  return undefined
}

function fromDomains(authc: Obj, wanted: string | undefined): LoadedConfig {
  const jwtDomains = Object.entries(authc).filter(
    ([, d]) =>
      isObject(d) &&
      isObject(d.http_authenticator) &&
      JWT_TYPES.has(String(d.http_authenticator.type)),
  )
  const names = jwtDomains.map(([name]) => name)
  if (wanted !== undefined) {
    const found = jwtDomains.find(([name]) => name === wanted)
    if (found === undefined) {
      throw new UsageError(
        `no jwt auth domain named "${wanted}" (jwt domains: ${names.join(', ') || 'none'})`,
      )
    }
    return { ...fromDomain(found[0], found[1] as Obj), form: 'opensearch-config' }
  }
  if (jwtDomains.length === 0)
    throw new UsageError('the OpenSearch configuration has no auth domain of type jwt or openid')
  if (jwtDomains.length > 1) {
    throw new UsageError(
      `the OpenSearch configuration has ${String(names.length)} jwt auth domains (${names.join(', ')}): pick one with --domain`,
    )
  }
  const [name, d] = jwtDomains[0] as [string, Obj]
  return { ...fromDomain(name, d), form: 'opensearch-config' }
}

function fromDomain(name: string, d: Obj): { options: NormalizedConfig; domain: string } {
  // core's normalizeConfig takes the whole http_authenticator block ({ type, challenge, config }).
  return { options: normalizeConfig(d.http_authenticator), domain: name }
}
