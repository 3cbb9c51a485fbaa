import { defineConfig } from 'vitest/config'

// `pnpm test:load`: only the bounded load run against the Fastify adapter.
export default defineConfig({
  test: {
    include: ['load/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
