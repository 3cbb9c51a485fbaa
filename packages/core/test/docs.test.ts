// The options tables in the READMEs are derived from the option definitions (OPTION_DEFINITIONS),
// so the documentation cannot drift from normalizeConfig. Each table sits between
// `<!-- options-table:NAME -->` and `<!-- /options-table -->`; to rewrite them after changing a
// definition, run `UPDATE_OPTION_TABLES=1 pnpm --filter @jwtgate/core exec vitest run test/docs.test.ts`
// and then `pnpm format`.
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CAMEL_KEYS, SNAKE_TO_CAMEL } from '../src/config/aliases.js'
import { DEFAULTS, optionTableRows, type OptionTable } from '../src/index.js'

const READMES: Record<OptionTable, URL> = {
  core: new URL('../README.md', import.meta.url),
  jwks: new URL('../../jwks/README.md', import.meta.url),
}
const HEADER = ['camelCase', 'OpenSearch / Aiven', 'default', 'meaning']
const block = (table: OptionTable) =>
  new RegExp(`<!-- options-table:${table} -->\\n([\\s\\S]*?)\\n?<!-- /options-table -->`)

/** The cells of every row of a markdown table, trimmed; the separator row dropped. */
function cells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s:|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    )
}

function render(table: OptionTable): string {
  const row = (r: string[]) => `| ${r.join(' | ')} |`
  return [row(HEADER), row(HEADER.map(() => '---')), ...optionTableRows(table).map(row)].join('\n')
}

if (process.env.UPDATE_OPTION_TABLES === '1') {
  for (const table of Object.keys(READMES) as OptionTable[]) {
    const text = readFileSync(READMES[table], 'utf8')
    writeFileSync(
      READMES[table],
      text.replace(
        block(table),
        `<!-- options-table:${table} -->\n${render(table)}\n<!-- /options-table -->`,
      ),
    )
  }
}

describe.each(Object.keys(READMES) as OptionTable[])('the %s README options table', (table) => {
  const text = readFileSync(READMES[table], 'utf8')
  const found = block(table).exec(text)

  it('is derived from the option definitions, row for row', () => {
    expect(found, `no options-table:${table} block`).not.toBeNull()
    expect(cells(found?.[1] ?? '')).toEqual([HEADER, ...optionTableRows(table)])
  })
})

describe('the option tables together', () => {
  const documented = new Map<string, string[]>()
  for (const table of Object.keys(READMES) as OptionTable[]) {
    for (const row of optionTableRows(table)) documented.set(row[0] ?? '', row)
  }
  const names = [...documented.values()].map((r) => `${r[0] ?? ''} ${r[1] ?? ''}`).join(' ')

  it.each([...CAMEL_KEYS].filter((k) => k !== 'enabled' && k !== 'advanced'))(
    'document the option %s',
    (key) => {
      expect(documented.has(`\`${key}\``)).toBe(true)
    },
  )

  it.each(Object.keys(SNAKE_TO_CAMEL).filter((k) => k !== 'enabled'))(
    'document the OpenSearch / Aiven name %s',
    (key) => {
      expect(names).toContain(`\`${key}\``)
    },
  )

  it.each(Object.entries(DEFAULTS).filter(([, v]) => typeof v !== 'object') as [string, unknown][])(
    'show the default of %s: %s',
    (key, value) => {
      expect(documented.get(`\`${key}\``)?.[2]).toContain(`\`${String(value)}\``)
    },
  )
})
