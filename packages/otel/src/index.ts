/**
 * `@jwtgate/otel`: OpenTelemetry metrics from jwtgate's `onEvent` events — requests by outcome and
 * error code, JWKS fetches by status with their duration, keys held, stale-key age, rate-limited
 * refreshes and suppressed events.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api'
 * import { createAuthenticator } from '@jwtgate/jwks'
 * import { createOtelListener } from '@jwtgate/otel'
 *
 * const auth = createAuthenticator({
 *   jwksUri: 'https://idp.example/.well-known/jwks.json',
 *   requiredIssuer: 'https://idp.example',
 *   requiredAudience: 'api',
 *   onEvent: createOtelListener(metrics.getMeter('my-api')),
 * })
 * ```
 *
 * @module
 */
export { createOtelListener, type OtelListener, type OtelListenerOptions } from './otel-listener.js'
