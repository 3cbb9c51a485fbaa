import Koa from 'koa'
import { jwtAuth, requireRoles } from '@jwtgate/koa'

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
app.use(async (ctx, next) => {
  if (ctx.path === '/me') ctx.body = { user: ctx.state.auth?.subject, roles: ctx.state.auth?.roles }
  else if (ctx.path === '/admin') await admin(ctx, () => Promise.resolve((ctx.body = { ok: true })))
  else await next()
})

export const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')
