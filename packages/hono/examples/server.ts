import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { jwtAuth, requireRoles, requireScopes, type JwtGateEnv } from '@jwtgate/hono'

const app = new Hono<JwtGateEnv>()
app.use(
  jwtAuth({
    openidConnectUrl: process.env.OIDC_URL, // https://idp.example/.well-known/openid-configuration
    requiredIssuer: process.env.OIDC_ISSUER,
    requiredAudience: 'my-api',
    rolesKey: 'roles',
    skip: ['/health'],
  }),
)
app.get('/health', (c) => c.json({ ok: true }))
app.get('/me', (c) => c.json({ user: c.get('auth')?.subject, roles: c.get('auth')?.roles }))
app.get('/admin', requireRoles('admin'), (c) => c.json({ ok: true }))
app.get('/orders', requireScopes('orders:read'), (c) => c.json({ orders: [] }))

export const server = serve({
  fetch: app.fetch,
  port: Number(process.env.PORT ?? 3000),
  hostname: '127.0.0.1',
})
