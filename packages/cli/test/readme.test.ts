import { spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { USAGE } from '../src/run.js'

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

it('the README documents every option of --help', () => {
  const flags = [...USAGE.matchAll(/ (--[a-z-]+)/g)].map((m) => m[1] ?? '')
  expect(flags.length).toBeGreaterThan(8)
  for (const flag of flags.filter((f) => f !== '--help' && f !== '--version'))
    expect(readme).toContain(flag)
})

it('the README transcript shows the three exit statuses', () => {
  const transcript = readme.slice(readme.indexOf('## Transcript'))
  for (const status of ['0', '1', '2']) expect(transcript).toContain(`$ echo $?\n${status}\n`)
  expect(transcript).toMatch(/✔ accepted: alice/)
  expect(transcript).toMatch(/✘ rejected: token_expired \(401\)/)
})

it('the README transcript lists the checks the command prints today, in order', () => {
  const transcript = readme.slice(readme.indexOf('## Transcript'))
  const config = /\$ cat config\.yml\n([\s\S]*?)\n\n\$ /.exec(transcript)?.[1]
  const accepted = /✔ accepted: alice[\s\S]*?\n\$ echo/.exec(transcript)?.[0]
  if (config === undefined || accepted === undefined) throw new Error('transcript not found')
  const dir = mkdtempSync(join(tmpdir(), 'jwtgate-readme-'))
  try {
    const file = join(dir, 'config.yml')
    writeFileSync(file, `${config}\n`)
    const secret = Buffer.from(/signing_key: "([^"]+)"/.exec(config)?.[1] ?? '', 'base64')
    const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', aud: 'my-api', roles: ['admin', 'reader'], iat: now - 60, exp: now + 3600 })}`
    const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
    const run = spawnSync(process.execPath, [BIN, 'explain', token, '--config', file], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    })
    expect(run.status, run.stderr).toBe(0)
    const checks = (text: string): string[] =>
      [...text.matchAll(/^ {2}[✔✘] (\w+) /gm)].map((m) => m[1] ?? '')
    expect(checks(accepted).length).toBeGreaterThan(10)
    expect(checks(accepted)).toEqual(checks(run.stdout))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
