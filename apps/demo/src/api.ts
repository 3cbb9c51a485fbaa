// The protected API, on the framework of your choice, configured exactly as a user would: one
// authenticator trusting two issuers (`issuers`, each found through its discovery document),
// shared by every request, handed to the adapter.
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthEvent, Principal } from '@jwtgate/core'
import * as jwtExpress from '@jwtgate/express'
import * as jwtFastify from '@jwtgate/fastify'
import { createAuthenticator, type JwksAuthenticator } from '@jwtgate/jwks'
import * as jwtKoa from '@jwtgate/koa'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { startHono, startNest } from './api-more.js'

/** The frameworks the demo API runs on. */
export const FRAMEWORKS = ['fastify', 'express', 'koa', 'hono', 'nestjs'] as const
/** One of {@link FRAMEWORKS}. */
export type Framework = (typeof FRAMEWORKS)[number]

/** The audience the demo API accepts from its own identity provider. */
export const AUDIENCE = 'jwtgate-demo-api'
/** The audience the partner's identity provider gives the demo API (its own name for it). */
export const PARTNER_AUDIENCE = 'api://jwtgate-demo'

/** An identity provider the page knows about; the API trusts it only when `trusted`. */
export interface PageIssuer {
  /** Short name: `main`, `partner`, `untrusted`. */
  name: string
  /** What the page calls it. */
  label: string
  /** The issuer (`iss`), also its base URL (token endpoint, key management). */
  issuer: string
  /** The audience it writes for the demo API. */
  audience: string
  /** Its roles claim. */
  rolesClaim: string
  /** Whether the API's `issuers` lists it. */
  trusted: boolean
  /** Its discovery document. */
  discoveryUrl: string
}

/** Options of {@link startApi}. */
export interface ApiOptions {
  framework: Framework
  /** 0 for any. */
  port: number
  /**
   * Every identity provider the page can get a token from. The API trusts those marked
   * `trusted` (through their discovery documents, with their own audience and roles claim); the
   * others are only allowed by the page's Content-Security-Policy.
   */
  issuers: readonly PageIssuer[]
  /** Receives the key sets' and authenticator's events (for the console log). */
  onEvent?: (event: AuthEvent) => void
}

/** A running API. */
export interface ApiServer {
  readonly url: string
  readonly framework: Framework
  /** The one authenticator every request goes through. */
  readonly authenticator: JwksAuthenticator
  close(): Promise<void>
}

const PUBLIC = new URL('../public/', import.meta.url)
const asset = (name: string) => readFileSync(new URL(name, PUBLIC), 'utf8')

/** Paths served without a token: the page, its assets, and the key-set stats. */
const SKIP = ['/', '/index.html', '/app.js', '/style.css', '/favicon.ico', '/api/keys']

/**
 * Starts the API on 127.0.0.1.
 *
 * @param options - framework, port and identity providers
 */
export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const trusted = options.issuers.filter((i) => i.trusted)
  const authenticator = createAuthenticator({
    // Defaults for every issuer; an entry overrides what differs.
    requiredAudience: AUDIENCE,
    rolesKey: 'roles',
    // The page lets tokens expire in seconds; keep the leeway short so you can watch it happen.
    clockSkewToleranceSeconds: 5,
    // A token's `iss` picks one of these by exact match; any other `iss` is issuer_mismatch,
    // before a key is looked up or fetched.
    issuers: trusted.map((i) => ({
      issuer: i.issuer,
      openidConnectUrl: i.discoveryUrl,
      requiredAudience: i.audience,
      rolesKey: i.rolesClaim,
    })),
    onEvent: options.onEvent,
  })
  // The page's configuration, as JSON in a non-executable <script> (the CSP allows no inline code).
  const pageConfig = JSON.stringify(
    options.issuers.map(({ name, label, issuer, audience, trusted }) => ({
      name,
      label,
      issuer,
      audience,
      trusted,
    })),
  ).replaceAll('<', '\\u003c')
  const origins = options.issuers.map((i) => new URL(i.issuer).origin)
  const assets = new Map<string, { type: string; body: string }>([
    [
      '/',
      {
        type: 'text/html; charset=utf-8',
        body: asset('index.html').replace('%DEMO_CONFIG%', () => pageConfig),
      },
    ],
    ['/app.js', { type: 'text/javascript; charset=utf-8', body: asset('app.js') }],
    ['/style.css', { type: 'text/css; charset=utf-8', body: asset('style.css') }],
  ])
  const csp = `default-src 'self'; connect-src 'self' ${origins.join(' ')}; img-src 'self' data:`
  const handlers = {
    asset: (path: string) => assets.get(path === '/index.html' ? '/' : path),
    me: (p: Principal | undefined) =>
      p && { subject: p.subject, roles: p.roles, claims: p.claims, header: p.header },
    // One key set per trusted issuer, each with its own refresh budget.
    keys: () => ({
      framework: options.framework,
      issuers: trusted.map((i) => ({
        name: i.name,
        issuer: i.issuer,
        ...authenticator.keySets.get(i.issuer)?.stats(),
      })),
    }),
  }
  const adapterOptions = { skip: SKIP }
  let server: Server
  let closeApp = () => Promise.resolve()

  const more = { authenticator, skip: SKIP, handlers, csp, port: options.port }
  if (options.framework === 'hono') server = startHono(more)
  else if (options.framework === 'nestjs') {
    const nest = await startNest(more)
    server = nest.server
    closeApp = () => nest.close()
  } else if (options.framework === 'express') {
    const app = express()
    app.disable('x-powered-by')
    app.use(jwtExpress.jwtAuth(authenticator, adapterOptions))
    app.get('/api/me', (req, res) => res.json(handlers.me(req.auth)))
    app.get('/api/admin', jwtExpress.requireRoles('admin'), (req, res) =>
      res.json({ ok: true, message: `welcome, ${req.auth?.subject ?? ''}` }),
    )
    app.get('/api/keys', (_req, res) => res.json(handlers.keys()))
    app.get(/.*/, (req, res) => {
      const a = handlers.asset(req.path)
      if (a === undefined) res.status(404).json({ error: 'not_found' })
      else res.type(a.type).set('content-security-policy', csp).send(a.body)
    })
    server = app.listen(options.port, '127.0.0.1')
  } else if (options.framework === 'fastify') {
    const app = Fastify()
    await app.register(jwtFastify.jwtAuth, { authenticator, ...adapterOptions })
    app.get('/api/me', (request) => handlers.me(request.auth))
    app.get('/api/admin', { preHandler: jwtFastify.requireRoles('admin') }, (request) => ({
      ok: true,
      message: `welcome, ${request.auth?.subject ?? ''}`,
    }))
    app.get('/api/keys', () => handlers.keys())
    app.setNotFoundHandler((request, reply) => {
      const a = handlers.asset(request.url.split('?')[0] ?? '/')
      if (a === undefined) return reply.code(404).send({ error: 'not_found' })
      return reply.type(a.type).header('content-security-policy', csp).send(a.body)
    })
    await app.listen({ port: options.port, host: '127.0.0.1' })
    server = app.server
    closeApp = () => app.close()
  } else {
    const app = new Koa()
    const admin = jwtKoa.requireRoles('admin')
    app.use(jwtKoa.jwtAuth(authenticator, adapterOptions))
    app.use(async (ctx) => {
      if (ctx.path === '/api/me') ctx.body = handlers.me(ctx.state.auth)
      else if (ctx.path === '/api/keys') ctx.body = handlers.keys()
      else if (ctx.path === '/api/admin') {
        await admin(ctx, () => {
          ctx.body = { ok: true, message: `welcome, ${ctx.state.auth?.subject ?? ''}` }
          return Promise.resolve()
        })
      } else {
        const a = handlers.asset(ctx.path)
        if (a === undefined) {
          ctx.status = 404
          ctx.body = { error: 'not_found' }
        } else {
          ctx.type = a.type
          ctx.set('content-security-policy', csp)
          ctx.body = a.body
        }
      }
    })
    server = app.listen(options.port, '127.0.0.1')
  }
  if (!server.listening) await once(server, 'listening')
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  return {
    url,
    framework: options.framework,
    authenticator,
    async close() {
      server.closeAllConnections()
      await closeApp()
      if (server.listening) await new Promise((resolve) => server.close(resolve))
      await authenticator.close()
    },
  }
}
