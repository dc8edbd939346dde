import react from '@vitejs/plugin-react'
import { defaultClientConditions } from 'vite'
import { defineProject } from 'vitest/config'

export default defineProject({
  plugins: [react()],
  resolve: {
    // Workspace packages from source, as in vite.config.ts.
    conditions: ['development', ...defaultClientConditions],
  },
  test: {
    name: '@sfp/dashboard',
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
  },
})
