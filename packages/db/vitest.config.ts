import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/db',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
