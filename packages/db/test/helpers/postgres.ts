import {
  describePostgres,
  type TestSchema as SchemaOf,
  TEST_DATABASE_URL,
  useTestSchema as useSchemaWith,
} from '@sfp/test-support/postgres'
import { type OpenPostgresOptions, openPostgres, type PostgresHandle } from '../../src/pg/index.js'

export { describePostgres, TEST_DATABASE_URL }

export type TestSchema = SchemaOf<Omit<OpenPostgresOptions, 'url' | 'schema'>, PostgresHandle>

/** `useTestSchema` of `@sfp/test-support/postgres` opening this package's `openPostgres`. */
export const useTestSchema = (): TestSchema => useSchemaWith(openPostgres)
