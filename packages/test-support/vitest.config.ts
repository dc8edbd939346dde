import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/test-support',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
