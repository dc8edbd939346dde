import pg from 'pg'
import { expect, it } from 'vitest'
import { describePostgres, TEST_DATABASE_URL, useTestSchema } from '../src/postgres.js'

async function schemaExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    const { rows } = await client.query<{ count: string }>(
      'SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1',
      [name],
    )
    return rows[0]?.count === '1'
  } finally {
    await client.end()
  }
}

/** The first test's schema, and whether it was still there when its resource was closed. */
let first: { name: string; seenAtClose: boolean | null } | undefined

describePostgres('useTestSchema', () => {
  const schema = useTestSchema(async () => ({ close: async () => {} }))

  it('gives the test a schema of its own, and closes what the test gave it first', async () => {
    const test = { name: schema.name, seenAtClose: null as boolean | null }
    first = test
    await schema.query(`CREATE TABLE ${test.name}.busy (id integer)`)
    schema.closeBeforeDrop({
      close: async () => {
        test.seenAtClose = await schemaExists(test.name)
      },
    })
  })

  it('dropped the previous test’s schema after closing its resources', async () => {
    expect(first?.seenAtClose).toBe(true)
    expect(await schemaExists(first?.name ?? '')).toBe(false)
    expect(schema.name).not.toBe(first?.name)
  })
})
