import { defineProject } from 'vitest/config'

/**
 * Browser tests of the built dashboard against the built server (`pnpm build` first; `pnpm test`
 * does). Each file starts its own server and Chromium, so files run one after another: two
 * Chromiums and servers at once on a 2-core machine only make every wait longer.
 */
export default defineProject({
  test: {
    name: '@sfp/dashboard-e2e',
    environment: 'node',
    include: ['**/*.e2e.test.ts'],
    globalSetup: ['global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
