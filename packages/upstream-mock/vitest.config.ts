import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/upstream-mock',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
