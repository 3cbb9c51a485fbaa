import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>

describe('@jwtgate/core as published', () => {
  it('has no npm dependencies', () => {
    expect(pkg.dependencies).toBeUndefined()
    expect(pkg.peerDependencies).toBeUndefined()
  })

  it('imports from the built package by name in plain Node (exports map → dist)', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('@jwtgate/core');
         const a = m.createStaticAuthenticator({ signingKey: Buffer.alloc(32, 1).toString('base64') });
         console.log(typeof m.createStaticAuthenticator, typeof a.authenticate, import.meta.resolve('@jwtgate/core'))`,
      ],
      { cwd: new URL('..', import.meta.url), encoding: 'utf8' },
    )
    expect(out.trim()).toMatch(/^function function file:.*\/packages\/core\/dist\/index\.js$/)
  })

  it('src imports only node: built-ins and relative files', () => {
    const files = execFileSync('git', ['ls-files', 'src'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f.endsWith('.ts'))
    for (const f of files) {
      const text = readFileSync(new URL(`../${f}`, import.meta.url), 'utf8')
      for (const m of text.matchAll(/^(?:import|export)[^'\n]*from '([^']+)'/gm)) {
        expect(m[1], f).toMatch(/^(node:|\.\.?\/)/)
      }
    }
  })
})
