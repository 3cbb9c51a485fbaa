// `pnpm demo [--framework express|fastify|koa|hono|nestjs] [--port 3000] [--idp-port 3001]`
import { parseArgs } from 'node:util'
import { FRAMEWORKS, type Framework } from './api.js'
import { startDemo } from './demo.js'

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    framework: { type: 'string', default: process.env.DEMO_FRAMEWORK ?? 'fastify' },
    port: { type: 'string', default: process.env.DEMO_PORT ?? '3000' },
    'idp-port': { type: 'string', default: process.env.DEMO_IDP_PORT ?? '3001' },
  },
})
const framework = values.framework as Framework
if (!FRAMEWORKS.includes(framework)) {
  console.error(`--framework must be one of ${FRAMEWORKS.join(', ')}`)
  process.exit(2)
}

const demo = await startDemo({
  framework,
  port: Number(values.port),
  idpPort: Number(values['idp-port']),
  // Events never carry tokens or key material, so they are safe to log.
  onEvent: (event) => {
    if (event.type !== 'jwks.rate_limited') console.log(`  event  ${JSON.stringify(event)}`)
  },
})
console.log(`
jwtgate demo (${demo.framework})

  page and API        ${demo.url}/
  GET /api/me         any valid token
  GET /api/admin      requireRoles('admin')
  GET /api/keys       key-set stats
  identity provider   ${demo.idpUrl}  (discovery: ${demo.discoveryUrl})
  JWKS                ${demo.jwksUri}
  token endpoint      POST ${demo.tokenUrl}

Press Ctrl-C to stop.
`)

let stopping = false
const stop = (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`\n${signal}: shutting down`)
  demo.close().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e)
      process.exit(1)
    },
  )
}
process.on('SIGINT', () => {
  stop('SIGINT')
})
process.on('SIGTERM', () => {
  stop('SIGTERM')
})
