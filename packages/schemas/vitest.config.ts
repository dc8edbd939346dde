import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/schemas',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
