import { type OpenPostgresOptions, openPostgres, type PostgresHandle } from '@sfp/db/pg'
import { systemClock } from '@sfp/runtime'
import { type TestSchema as SchemaOf, useTestSchema } from '@sfp/test-support/postgres'
import {
  createLeaseManager,
  type LaneChange,
  type LaneSets,
  type LeaseManager,
  type LeaseManagerOptions,
} from '../../src/index.js'

/** Short leases keep the suite fast; renewed every 300 ms. */
export const LEASE_MS = 900

export type TestSchema = SchemaOf<Omit<OpenPostgresOptions, 'url' | 'schema'>, PostgresHandle>

/** The per-test schema with `openPostgres`, for a `describePostgres` body. */
export function useClusterSchema(): TestSchema {
  return useTestSchema<Omit<OpenPostgresOptions, 'url' | 'schema'>, PostgresHandle>(openPostgres)
}

/** Inserts `count` egress rows (the lanes to lease) and returns their ids, ascending. */
export async function insertEgresses(handle: PostgresHandle, count: number): Promise<number[]> {
  const { rows } = await handle.pool.query<{ id: number }>(
    `INSERT INTO egresses (kind, scheme, host, port, identity, created_at, updated_at)
     SELECT 'http', 'http', '127.0.0.' || n, 8080, 'http://127.0.0.' || n || ':8080', 0, 0
     FROM generate_series(1, $1::int) AS n
     RETURNING id`,
    [count],
  )
  return rows.map((row) => row.id).sort((a, b) => a - b)
}

export interface LeaseRow {
  egressId: number
  holder: string
  token: number
  expiresAt: number
}

/** The lease rows as the database has them, with the database's now. */
export async function leaseRows(
  schema: TestSchema,
): Promise<{ now: number; rows: Map<number, LeaseRow> }> {
  const rows = await schema.query<{
    egress_id: number
    holder_instance_id: string
    fencing_token: string
    expires_at: string
    now: string
  }>(
    `SELECT egress_id, holder_instance_id, fencing_token, expires_at,
       (extract(epoch from clock_timestamp()) * 1000)::bigint AS now
     FROM ${schema.name}.lane_leases`,
  )
  const now = rows[0] === undefined ? Date.now() : Number(rows[0].now)
  return {
    now,
    rows: new Map(
      rows.map((row) => [
        row.egress_id,
        {
          egressId: row.egress_id,
          holder: row.holder_instance_id,
          token: Number(row.fencing_token),
          expiresAt: Number(row.expires_at),
        },
      ]),
    ),
  }
}

/** A manager with every change it reported kept, and `lanes()` the test can change. */
export interface TestManager {
  manager: LeaseManager
  changes: LaneChange[]
  errors: unknown[]
  lanes: LaneSets
  /** `Date.now()` at each lane's first `gained`. */
  gainedAt: Map<number, number>
  /** Round trips of the renewals. */
  renewals: number[]
}

export function testManager(
  handle: PostgresHandle,
  instanceId: string,
  lanes: LaneSets,
  options: Partial<LeaseManagerOptions> = {},
): TestManager {
  const changes: LaneChange[] = []
  const errors: unknown[] = []
  const gainedAt = new Map<number, number>()
  const renewals: number[] = []
  const state: TestManager = {
    manager: undefined as never,
    changes,
    errors,
    lanes,
    gainedAt,
    renewals,
  }
  state.manager = createLeaseManager({
    pool: handle.pool,
    instanceId,
    leaseMs: LEASE_MS,
    clock: systemClock,
    lanes: () => state.lanes,
    onChange: (change) => {
      changes.push(change)
      for (const id of change.gained) if (!gainedAt.has(id)) gainedAt.set(id, Date.now())
    },
    onError: (error) => errors.push(error),
    onRenewed: (roundTripMs) => renewals.push(roundTripMs),
    ...options,
  })
  return state
}

/** Polls `condition` every 20 ms until it holds; fails after `withinMs` saying what it waited for. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  withinMs = 8_000,
): Promise<void> {
  const giveUpAt = Date.now() + withinMs
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Every lane appears in exactly one list, and the lists' sizes differ by at most one. */
export function isFairSplit(held: number[][], lanes: number[]): boolean {
  const all = held.flat().sort((a, b) => a - b)
  const sizes = held.map((list) => list.length)
  return (
    JSON.stringify(all) === JSON.stringify([...lanes].sort((a, b) => a - b)) &&
    Math.max(...sizes) - Math.min(...sizes) <= 1
  )
}
