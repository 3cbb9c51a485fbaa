// The options tables in the READMEs are checked against the option names the code accepts, so the
// documentation cannot drift from normalizeConfig.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CAMEL_KEYS, SNAKE_TO_CAMEL } from '../src/config/aliases.js'
import { DEFAULTS } from '../src/index.js'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')
const tables = read('../README.md') + read('../../jwks/README.md')
/** First cells of every table row, backticked names only. */
const documented = new Set(
  [...tables.matchAll(/^\|([^|]*)\|([^|]*)\|/gm)].flatMap((m) =>
    [...`${m[1] ?? ''}|${m[2] ?? ''}`.matchAll(/`([A-Za-z_.]+)`/g)].map((n) => n[1] ?? ''),
  ),
)

describe('README options tables', () => {
  it.each([...CAMEL_KEYS].filter((k) => k !== 'enabled' && k !== 'advanced'))(
    'documents the option %s',
    (key) => {
      expect(documented.has(key)).toBe(true)
    },
  )

  it.each(Object.keys(SNAKE_TO_CAMEL).filter((k) => k !== 'enabled'))(
    'documents the OpenSearch / Aiven name %s',
    (key) => {
      expect(documented.has(key)).toBe(true)
    },
  )

  const rows = [...tables.matchAll(/^\|(.*)\|\s*$/gm)].map((m) => m[1] ?? '')
  it.each(Object.entries(DEFAULTS).filter(([, v]) => typeof v !== 'object') as [string, unknown][])(
    'the row of %s shows its default %s',
    (key, value) => {
      const row = rows.find((r) => (r.split('|')[0] ?? '').includes(`\`${key}\``))
      expect(row, `no table row for ${key}`).toBeDefined()
      expect(row).toContain(`\`${String(value)}\``)
    },
  )
})
