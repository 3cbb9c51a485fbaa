import 'reflect-metadata'
import { Controller, Get, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { Auth, JwtGateModule, Public, Roles, Scopes, type Principal } from '@jwtgate/nestjs'

@Controller()
class AppController {
  @Public()
  @Get('health')
  health() {
    return { ok: true }
  }

  @Get('me')
  me(@Auth() auth: Principal) {
    return { user: auth.subject, roles: auth.roles }
  }

  @Roles('admin')
  @Get('admin')
  admin() {
    return { ok: true }
  }

  @Scopes('orders:read')
  @Get('orders')
  orders() {
    return { orders: [] }
  }
}

@Module({
  imports: [
    JwtGateModule.forRoot({
      openidConnectUrl: process.env.OIDC_URL, // https://idp.example/.well-known/openid-configuration
      requiredIssuer: process.env.OIDC_ISSUER,
      requiredAudience: 'my-api',
      rolesKey: 'roles',
    }),
  ],
  controllers: [AppController],
})
class AppModule {}

export const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] })
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')
