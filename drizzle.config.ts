import { defineConfig } from 'drizzle-kit'

/** `pnpm db:generate` writes a new migration after a change to packages/db/src/schema.ts. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './packages/db/src/schema.ts',
  out: './packages/db/drizzle',
})
