import { defineConfig } from 'drizzle-kit'

/**
 * The SQLite migrations. `pnpm db:generate` writes a new one after a change to
 * packages/db/src/schema.ts, and the PostgreSQL one from `drizzle.pg.config.ts`: change both
 * schemas together (a test compares them).
 */
export default defineConfig({
  dialect: 'sqlite',
  schema: './packages/db/src/schema.ts',
  out: './packages/db/drizzle',
})
