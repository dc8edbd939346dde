import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/dispatch',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
