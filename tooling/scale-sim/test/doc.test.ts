// docs/scale-out.md shows what the model computes: its rows for 1, 10 and 100 replicas are
// recomputed here (the larger fleets take about a minute: `pnpm --filter @jwtgate/scale-sim simulate`).
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { tables } from '../src/report.js'

const doc = readFileSync(new URL('../../../docs/scale-out.md', import.meta.url), 'utf8')

/** The cells of a Markdown table row, whatever padding the formatter added. */
const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim())

it('the tables of docs/scale-out.md are the simulation output (1, 10, 100 replicas)', () => {
  const docRows = doc
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map(cells)
  for (const table of tables([1, 10, 100])) {
    for (const line of table) {
      const row = cells(line)
      expect(docRows).toContainEqual(row)
    }
  }
}, 60_000)
