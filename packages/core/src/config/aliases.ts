// Key maps only. The option aliases are derived from the option definitions (options.ts); the
// OpenSearch `jwks.*` TLS settings map onto fields of the one `jwksTls` option.
import type { OpenSearchJwksTlsSettings } from '../types.js'

export { CAMEL_KEYS, SNAKE_TO_CAMEL } from './options.js'

/**
 * OpenSearch `jwks.*` TLS settings (also accepted nested as `jwks: { … }`) → `jwksTls` fields.
 * `*_filepath` values are read once, at start-up.
 */
export const JWKS_TLS_KEYS = Object.freeze({
  enable_ssl: 'enableSsl',
  pemtrustedcas_content: 'ca',
  pemtrustedcas_filepath: 'caFile',
  pemcert_content: 'cert',
  pemcert_filepath: 'certFile',
  pemkey_content: 'key',
  pemkey_filepath: 'keyFile',
  pemkey_password: 'passphrase',
  trust_all: 'trustAll',
  verify_hostnames: 'verifyHostnames',
  enable_ssl_client_auth: 'enableSslClientAuth',
}) satisfies Readonly<Record<keyof OpenSearchJwksTlsSettings, string>>
