import { metrics } from '@opentelemetry/api'
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { createAuthenticator } from '@jwtgate/jwks'
import { createOtelListener } from '@jwtgate/otel'

// Once per process: the OpenTelemetry SDK with an exporter (OTLP in production, the console here).
export const reader = new PeriodicExportingMetricReader({
  exporter: new ConsoleMetricExporter(),
  exportIntervalMillis: 60_000,
})
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))

// The authenticator reports what it does; the listener turns it into metrics.
export const auth = createAuthenticator({
  jwksUri: process.env.JWKS_URI, // https://idp.example/.well-known/jwks.json
  requiredIssuer: process.env.ISSUER, // https://idp.example
  requiredAudience: 'my-api',
  onEvent: createOtelListener(metrics.getMeter('my-api')),
})
