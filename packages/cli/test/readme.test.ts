import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { USAGE } from '../src/run.js'

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
