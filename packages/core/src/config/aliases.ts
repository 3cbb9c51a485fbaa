// Key maps only: OpenSearch `http_authenticator.config` (snake_case) and Aiven `jwt.*` names to
// the camelCase options. No policy lives here.

/** snake_case (OpenSearch and Aiven) → camelCase. */
export const SNAKE_TO_CAMEL: Readonly<Record<string, string>> = Object.freeze({
  signing_key: 'signingKey',
  jwt_header: 'jwtHeader',
  jwt_url_parameter: 'jwtUrlParameter',
  subject_key: 'subjectKey',
  roles_key: 'rolesKey',
  required_audience: 'requiredAudience',
  required_issuer: 'requiredIssuer',
  jwt_clock_skew_tolerance_seconds: 'clockSkewToleranceSeconds',
  challenge: 'challenge',
  jwks_uri: 'jwksUri',
  openid_connect_url: 'openidConnectUrl',
  cache_jwks_endpoint: 'cacheJwksEndpoint',
  jwks_request_timeout_ms: 'jwksRequestTimeoutMs',
  jwks_queued_thread_timeout_ms: 'jwksQueuedThreadTimeoutMs',
  refresh_rate_limit_time_window_ms: 'refreshRateLimitTimeWindowMs',
  refresh_rate_limit_count: 'refreshRateLimitCount',
  max_jwks_keys: 'maxJwksKeys',
  max_jwks_response_size_bytes: 'maxJwksResponseSizeBytes',
  enabled: 'enabled',
})

/**
 * OpenSearch `jwks.*` TLS settings (also accepted nested as `jwks: { … }`) → `jwksTls` fields.
 * `*_filepath` values are read once, at start-up.
 */
export const JWKS_TLS_KEYS: Readonly<Record<string, string>> = Object.freeze({
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
})

/** camelCase option names. */
export const CAMEL_KEYS: ReadonlySet<string> = new Set([
  'enabled',
  'signingKey',
  'jwtHeader',
  'jwtUrlParameter',
  'subjectKey',
  'rolesKey',
  'requiredAudience',
  'requiredIssuer',
  'clockSkewToleranceSeconds',
  'algorithms',
  'challenge',
  'realm',
  'jwksUri',
  'openidConnectUrl',
  'cacheJwksEndpoint',
  'jwksRequestTimeoutMs',
  'jwksQueuedThreadTimeoutMs',
  'refreshRateLimitTimeWindowMs',
  'refreshRateLimitCount',
  'maxJwksKeys',
  'maxJwksResponseSizeBytes',
  'followSameOriginRedirects',
  'jwksTls',
  'maxTokenBytes',
  'requireExp',
  'tokenCache',
  'allowInsecureJwksUri',
  'onEvent',
  'issuers',
  'advanced',
])
