import { defineConfig } from 'vitest/config'

// Default run: the attack catalogue, the 5,000-case differential run and the JWKS faults.
// The load test (load/) needs ~25 s of a whole machine and runs only through `pnpm test:load`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['load/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
