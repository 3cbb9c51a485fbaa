// The root README's "Protect your own app" examples must compile against the real packages.
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const run = promisify(execFile)
const here = fileURLToPath(new URL('..', import.meta.url))
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

it('the root README examples typecheck (Express, Fastify, Koa, several issuers)', async () => {
  const section = readme.slice(readme.indexOf('## Protect your own app'))
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  expect(blocks.map((b) => /from '@jwtgate\/(\w+)'/.exec(b)?.[1])).toEqual([
    'express',
    'fastify',
    'koa',
    'express',
  ])
  // The fourth trusts several issuers, each entry's issuer being required of its tokens.
  expect(blocks[3]).toMatch(/issuers: \[/)
  for (const [i, name] of ['express', 'fastify', 'koa'].entries()) {
    // A newcomer's first two needs: the install line, and an issuer check in every example.
    expect(section).toContain(`npm install @jwtgate/${name} ${name}`)
    expect(blocks[i]).toMatch(/requiredIssuer: /)
  }
  const dir = join(here, '.readme-examples')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir)
  blocks.forEach((code, i) => {
    writeFileSync(join(dir, `example-${String(i)}.ts`), code)
  })
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: { noEmit: true },
      include: ['*.ts'],
    }),
  )
  try {
    await run(process.execPath, [
      join(here, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      dir,
    ])
  } catch (e) {
    const { stdout } = e as { stdout: string }
    expect.fail(`README examples do not compile:\n${stdout}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 60_000)
