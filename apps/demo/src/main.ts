// `pnpm demo [--framework express|fastify|koa|hono|nestjs] [--port 3000] [--idp-port 3001]
//   [--partner-port 3002] [--untrusted-port 3003]`
import { parseArgs } from 'node:util'
import { FRAMEWORKS, type Framework } from './api.js'
import { startDemo } from './demo.js'

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    framework: { type: 'string', default: process.env.DEMO_FRAMEWORK ?? 'fastify' },
    port: { type: 'string', default: process.env.DEMO_PORT ?? '3000' },
    'idp-port': { type: 'string', default: process.env.DEMO_IDP_PORT ?? '3001' },
    'partner-port': { type: 'string', default: process.env.DEMO_PARTNER_PORT ?? '3002' },
    'untrusted-port': { type: 'string', default: process.env.DEMO_UNTRUSTED_PORT ?? '3003' },
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
  partnerPort: Number(values['partner-port']),
  untrustedPort: Number(values['untrusted-port']),
  // Events never carry tokens or key material, so they are safe to log.
  onEvent: (event) => {
    if (event.type !== 'jwks.rate_limited') console.log(`  event  ${JSON.stringify(event)}`)
  },
})
const { main, partner, untrusted } = demo.issuers
console.log(`
jwtgate demo (${demo.framework})

  page and API        ${demo.url}/
  GET /api/me         any valid token
  GET /api/admin      requireRoles('admin')
  GET /api/keys       key-set stats, one key set per trusted issuer

  demo IdP            ${main.issuer}  (trusted, aud ${main.audience}, roles in "roles")
    discovery         ${main.discoveryUrl}
    JWKS              ${main.jwksUri}
    token endpoint    POST ${main.tokenUrl}
  partner IdP         ${partner.issuer}  (trusted, aud ${partner.audience}, roles in "groups")
    discovery         ${partner.discoveryUrl}
    JWKS              ${partner.jwksUri}
    token endpoint    POST ${partner.tokenUrl}
  unknown IdP         ${untrusted.issuer}  (not trusted: its tokens get 401 issuer_mismatch)
    token endpoint    POST ${untrusted.tokenUrl}

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
