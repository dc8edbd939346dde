import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/server',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
