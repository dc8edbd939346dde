import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@sfp/proxy',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
