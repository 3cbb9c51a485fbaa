import Koa from 'koa'
import { jwtAuth, requireRoles, requireScopes } from '@jwtgate/koa'

const app = new Koa()
app.use(
  jwtAuth({
    openidConnectUrl: process.env.OIDC_URL, // https://idp.example/.well-known/openid-configuration
    requiredIssuer: process.env.OIDC_ISSUER,
    requiredAudience: 'my-api',
    rolesKey: 'roles',
  }),
)
const admin = requireRoles('admin')
const readOrders = requireScopes('orders:read')
app.use(async (ctx, next) => {
  if (ctx.path === '/me') ctx.body = { user: ctx.state.auth?.subject, roles: ctx.state.auth?.roles }
  else if (ctx.path === '/admin') await admin(ctx, () => Promise.resolve((ctx.body = { ok: true })))
  else if (ctx.path === '/orders')
    await readOrders(ctx, () => Promise.resolve((ctx.body = { orders: [] })))
  else await next()
})

export const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')
