import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/egress',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
