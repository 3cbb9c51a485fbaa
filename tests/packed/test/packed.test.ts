// The published form, not the workspace links: pack every public package, check what the tarball
// holds, run publint and @arethetypeswrong/cli on it, then install the tarballs with npm into a
// project outside the workspace and run Express, Fastify, Koa, Hono and NestJS servers from them.
import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const BIN = join(ROOT, 'node_modules', '.bin')
const PACKAGES = [
  'core',
  'jwks',
  'testing',
  'express',
  'fastify',
  'koa',
  'otel',
  'hono',
  'nestjs',
] as const
const ALLOWED = /^package\/(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+\.(js|d\.ts))$/

const work = mkdtempSync(join(tmpdir(), 'jwtgate-packed-'))
const tarballs = new Map<string, string>()

beforeAll(async () => {
  for (const name of PACKAGES) {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', work], {
      cwd: join(ROOT, 'packages', name),
    })
    const file = readdirSync(work).find((f) => f.startsWith(`jwtgate-${name}-`))
    expect(file, stdout).toBeDefined()
    tarballs.set(name, join(work, file ?? ''))
  }
}, 120_000)
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

const tarball = (name: string) => tarballs.get(name) ?? ''
const readPacked = async (name: string) =>
  JSON.parse((await run('tar', ['-xzOf', tarball(name), 'package/package.json'])).stdout) as {
    [k: string]: unknown
    dependencies?: Record<string, string>
    sideEffects?: unknown
  }

describe.each(PACKAGES)('@jwtgate/%s tarball', (name) => {
  it('holds only dist/, README, LICENSE and package.json', async () => {
    const files = (await run('tar', ['-tzf', tarball(name)])).stdout.trim().split('\n')
    expect(files.filter((f) => !ALLOWED.test(f))).toEqual([])
    for (const required of ['package/package.json', 'package/README.md', 'package/LICENSE']) {
      expect(files).toContain(required)
    }
    expect(files).toContain('package/dist/index.js')
    expect(files).toContain('package/dist/index.d.ts')
  })

  it('has its metadata, and no workspace: specifiers left', async () => {
    const pkg = await readPacked(name)
    expect(pkg).toMatchObject({
      name: `@jwtgate/${name}`,
      type: 'module',
      license: 'MIT',
      sideEffects: false,
      engines: { node: '>=20.19' },
      publishConfig: { access: 'public' },
      repository: { directory: `packages/${name}` },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    })
    expect(JSON.stringify(pkg)).not.toContain('workspace:')
    if (name === 'core') expect(pkg.dependencies).toBeUndefined()
  })

  it('passes publint --strict', async () => {
    const { stdout } = await run(join(BIN, 'publint'), [tarball(name), '--strict'])
    expect(stdout).toContain('All good')
  }, 60_000)

  it('passes @arethetypeswrong/cli (ESM-only: node16 and bundler resolution)', async () => {
    // Exit code 0 is the verdict; a problem makes execFile reject.
    await run(join(BIN, 'attw'), [tarball(name), '--profile', 'esm-only', '--format', 'ascii'])
  }, 60_000)
})

describe('packed install', () => {
  it('npm installs the tarballs outside the workspace and every adapter runs from them', async () => {
    const project = join(work, 'consumer')
    rmSync(project, { recursive: true, force: true })
    const file = (name: string) => `file:${tarball(name)}`
    const jwtgate = Object.fromEntries(PACKAGES.map((n) => [`@jwtgate/${n}`, file(n)]))
    writeFileSync(
      join(work, 'package.json'),
      '{"name":"outer-guard","private":true}\n', // stops npm from walking up into anything else
    )
    await run('mkdir', ['-p', project])
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'jwtgate-consumer',
        private: true,
        type: 'module',
        dependencies: {
          ...jwtgate,
          express: '^5.1.0',
          fastify: '^5.6.0',
          koa: '^3.0.3',
          hono: '^4.13.19',
          '@hono/node-server': '^2.1.9',
          '@nestjs/common': '^11.2.10',
          '@nestjs/core': '^11.2.10',
          '@nestjs/platform-express': '^11.2.10',
          'reflect-metadata': '^0.2.2',
          rxjs: '^7.8.2',
        },
        overrides: jwtgate,
      }),
    )
    copyFileSync(
      fileURLToPath(new URL('../fixture/smoke.mjs', import.meta.url)),
      join(project, 'smoke.mjs'),
    )
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      timeout: 240_000,
    })
    const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: project, timeout: 60_000 })
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      express: { ok: 200, user: 'smoke-user', denied: 401 },
      fastify: { ok: 200, user: 'smoke-user', denied: 401 },
      koa: { ok: 200, user: 'smoke-user', denied: 401 },
      hono: { ok: 200, user: 'smoke-user', denied: 401 },
      nestjs: { ok: 200, user: 'smoke-user', denied: 401 },
      core: { user: 'core-user' },
      otel: { listener: 'function' },
    })
  }, 300_000)
})
