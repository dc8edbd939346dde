import { createServer } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { isPostgresMigrated, openPostgres } from '../../src/pg/index.js'
import { describePostgres, TEST_DATABASE_URL, useTestSchema } from '../helpers/postgres.js'

const PASSWORD = 'pg-password-never-shown'

/** A loopback port nothing listens on: bound by the system, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function openFailure(url: string, schema?: string): Promise<string> {
  const error = await openPostgres({ url, schema }).then(
    () => {
      throw new Error('openPostgres succeeded')
    },
    (failure: unknown) => failure,
  )
  expect(error).toBeInstanceOf(Error)
  return (error as Error).message
}

describe('openPostgres refusals', () => {
  it('names host and port in one line, no password, when PostgreSQL is unreachable', async () => {
    const port = await closedPort()
    const message = await openFailure(`postgres://sfp:${PASSWORD}@127.0.0.1:${port}/sfp`)

    expect(message).toMatch(
      new RegExp(`^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    )
    expect(message).not.toContain(PASSWORD)
    expect(message).not.toContain('\n')
  })

  it('does not repeat a malformed URL, which may hold a password', async () => {
    const message = await openFailure(`postgres://sfp:${PASSWORD}@[bad-host/sfp`)
    expect(message).toMatch(/^the PostgreSQL URL is not a valid URL/)
    expect(message).not.toContain(PASSWORD)

    expect(await openFailure(`mysql://sfp:${PASSWORD}@127.0.0.1/sfp`)).toBe(
      'the PostgreSQL URL must start with postgres://, not mysql://',
    )
  })

  it('refuses a schema name that would need quoting in the connection options', async () => {
    expect(await openFailure('postgres://127.0.0.1/sfp', 'a b; -c role=x')).toMatch(
      /is not a plain lower-case identifier$/,
    )
  })
})

describePostgres('a PostgreSQL handle', () => {
  const testSchema = useTestSchema()

  it('names the server in the error PostgreSQL itself refuses (unknown database)', async () => {
    const url = new URL(TEST_DATABASE_URL ?? '')
    url.pathname = '/sfp_no_such_database'
    const message = await openFailure(url.toString())
    expect(message).toMatch(
      /^cannot connect to PostgreSQL at [^ ]+:\d+: database "sfp_no_such_database" does not exist$/,
    )
  })

  it('refuses to migrate when the search_path names no existing schema', async () => {
    const message = await openFailure(TEST_DATABASE_URL ?? '', `${testSchema.name}_missing`)
    expect(message).toMatch(
      /^PostgreSQL at [^ ]+:\d+: no schema of the search_path exists to create the tables in$/,
    )
  })

  it('releases every connection when closed', async () => {
    const handle = await testSchema.open()
    // Hold three connections at once so the pool really has three, then give them back.
    const clients = await Promise.all([1, 2, 3].map(() => handle.pool.connect()))
    const pids = await Promise.all(
      clients.map(async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
        return rows[0]?.pid
      }),
    )
    for (const client of clients) client.release()
    const live = () =>
      testSchema.query('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])
    expect(await live()).toHaveLength(3)

    await handle.close()

    expect(handle.isOpen()).toBe(false)
    expect(await isPostgresMigrated(handle)).toBe(false)
    // A backend leaves pg_stat_activity as its process exits, just after the socket closes.
    await expect.poll(async () => (await live()).length, { timeout: 10_000 }).toBe(0)
    await handle.close()
  })

  it('survives an idle connection killed by the server, and says so', async () => {
    const onIdleClientError = vi.fn()
    const handle = await testSchema.open({ onIdleClientError })
    const { rows } = await handle.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')

    await testSchema.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid])

    await vi.waitFor(() => expect(onIdleClientError).toHaveBeenCalledTimes(1), { timeout: 10_000 })
    const after = await handle.pool.query<{ answer: number }>('SELECT 1 AS answer')
    expect(after.rows).toEqual([{ answer: 1 }])
  })
})
