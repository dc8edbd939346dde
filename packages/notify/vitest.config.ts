import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/notify',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
