import express from 'express'
import { jwtAuth, requireRoles, requireScopes } from '@jwtgate/express'

const app = express()
app.use(
  jwtAuth({
    openidConnectUrl: process.env.OIDC_URL, // https://idp.example/.well-known/openid-configuration
    requiredIssuer: process.env.OIDC_ISSUER,
    requiredAudience: 'my-api',
    rolesKey: 'roles',
  }),
)
app.get('/me', (req, res) => {
  res.json({ user: req.auth?.subject, roles: req.auth?.roles })
})
app.get('/admin', requireRoles('admin'), (_req, res) => {
  res.json({ ok: true })
})
app.get('/orders', requireScopes('orders:read'), (_req, res) => {
  res.json({ orders: [] })
})

export const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')
