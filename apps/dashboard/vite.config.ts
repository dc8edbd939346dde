import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defaultClientConditions, defineConfig } from 'vite'
import { initialJsBudget } from './build-tools/initial-js-budget.js'

/** Builds straight into the server's static folder, which the server serves at `/`. */
export default defineConfig({
  plugins: [react(), initialJsBudget({ budgetKb: 250 })],
  build: {
    outDir: fileURLToPath(new URL('../server/public', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
  resolve: {
    // Workspace packages from source, in dev and in the production build alike.
    conditions: ['development', ...defaultClientConditions],
  },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/v1': 'http://localhost:3000',
    },
  },
})
