/**
 * Every default, in one frozen object (DESIGN.md, Configuration).
 */
export const DEFAULTS = Object.freeze({
  jwtHeader: 'Authorization',
  subjectKey: 'sub',
  clockSkewToleranceSeconds: 30,
  challenge: true,
  realm: 'jwtgate',
  cacheJwksEndpoint: true,
  jwksRequestTimeoutMs: 5000,
  jwksQueuedThreadTimeoutMs: 2500,
  refreshRateLimitTimeWindowMs: 10_000,
  refreshRateLimitCount: 10,
  maxJwksKeys: -1,
  maxJwksResponseSizeBytes: 1_048_576,
  followSameOriginRedirects: false,
  maxTokenBytes: 16_384,
  requireExp: false,
  tokenCache: Object.freeze({ max: 10_000, ttlMs: 60_000 }),
  allowInsecureJwksUri: false,
  maxStaleMs: 86_400_000,
} as const)
