import { defineConfig } from 'drizzle-kit'

/**
 * The PostgreSQL twin of `drizzle.config.ts` (cluster mode, docs/behaviour.md §9):
 * `pnpm db:generate` writes a migration for each dialect after a schema change.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/pg/schema.ts',
  out: './packages/db/drizzle-pg',
})
