import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/cluster',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
