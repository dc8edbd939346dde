import react from '@vitejs/plugin-react'
import { defineProject } from 'vitest/config'

export default defineProject({
  plugins: [react()],
  test: {
    name: '@sfp/dashboard',
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
  },
})
