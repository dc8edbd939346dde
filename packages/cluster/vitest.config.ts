import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/cluster',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Leases of about a second: a test waits for a few of them to pass.
    testTimeout: 20_000,
  },
})
