// Prints the tables of docs/scale-out.md (about a minute for 10,000 replicas).
import { FLEET_SIZES, tables } from './report.js'

const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : FLEET_SIZES
for (const table of tables(sizes)) {
  console.log(table.join('\n'))
  console.log()
}
