// The README's example is test/readme-example.test.ts, run by vitest like every other test.
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'

it('the README example is the code test/readme-example.test.ts runs', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const example = readFileSync(new URL('./readme-example.test.ts', import.meta.url), 'utf8')
  expect(readme).toContain('```ts\n' + example.trim() + '\n```')
})
