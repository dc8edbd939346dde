import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/runtime',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
