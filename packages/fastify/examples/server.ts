import Fastify from 'fastify'
import { jwtAuth, requireRoles, requireScopes } from '@jwtgate/fastify'

export const app = Fastify()
await app.register(jwtAuth, {
  openidConnectUrl: process.env.OIDC_URL, // https://idp.example/.well-known/openid-configuration
  requiredIssuer: process.env.OIDC_ISSUER,
  requiredAudience: 'my-api',
  rolesKey: 'roles',
  skip: ['/health'],
})
app.get('/health', () => ({ ok: true }))
app.get('/me', (request) => ({ user: request.auth?.subject, roles: request.auth?.roles }))
app.get('/admin', { preHandler: requireRoles('admin') }, () => ({ ok: true }))
app.get('/orders', { preHandler: requireScopes('orders:read') }, () => ({ orders: [] }))

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
