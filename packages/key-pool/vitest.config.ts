import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/key-pool',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
