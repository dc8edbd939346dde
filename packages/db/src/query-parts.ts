import type { ListLogsQuery } from '@sfp/schemas'
import {
  type AnyColumn,
  and,
  eq,
  getTableColumns,
  gte,
  lt,
  lte,
  type SQL,
  type Table,
} from 'drizzle-orm'

/**
 * Pieces of queries both dialects build the same way (the SQLite repositories and
 * `pg/storage.ts`), written once: Drizzle's operators render in either dialect.
 */

/** The `status` filter of a log query: one code, `error` (400 and up) or a class such as `5xx`. */
function statusCondition(column: AnyColumn, status: NonNullable<ListLogsQuery['status']>): SQL {
  if (typeof status === 'number') return eq(column, status)
  if (status === 'error') return gte(column, 400)
  const low = Number(status[0]) * 100
  return and(gte(column, low), lt(column, low + 100)) as SQL
}

/**
 * The columns a patch sets and their values, for `UPDATE <table> SET ... WHERE id = ?` written
 * by hand on rows changed at request rate. Like Drizzle's `set()`, fields that are `undefined`
 * are left out (and so are fields that are no column); `encode` turns a value into what the
 * driver binds.
 */
export function patchColumns(
  table: Table,
  encode: (value: unknown) => unknown,
): (patch: object) => { columns: string[]; values: unknown[] } {
  const columnNames: Record<string, string> = Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([field, column]) => [field, column.name]),
  )
  return (patch) => {
    const columns: string[] = []
    const values: unknown[] = []
    for (const [field, value] of Object.entries(patch)) {
      const column = columnNames[field]
      if (value === undefined || column === undefined) continue
      columns.push(column)
      values.push(encode(value))
    }
    if (columns.length === 0) throw new Error('No values to set')
    return { columns, values }
  }
}

/** A stored JSON setting, or undefined when it is not set. */
export const parseSetting = <T>(raw: string | undefined): T | undefined =>
  raw === undefined ? undefined : (JSON.parse(raw) as T)

/** The columns of `request_logs` that stats filter and group on, in either dialect. */
interface StatsColumns<Key extends AnyColumn, Egress extends AnyColumn, Client extends AnyColumn> {
  time: AnyColumn
  upstreamKeyId: Key
  egressId: Egress
  clientKeyId: Client
}

/** What a stats series can be split by: upstream key, egress lane or client key. */
export type StatsGroupBy = 'key' | 'egress' | 'client'

/**
 * What `stats()` counts: the rows of the time range (and of one key or egress), and the column
 * its groups are made on (none without `groupBy`).
 */
export function statsScope<
  Key extends AnyColumn,
  Egress extends AnyColumn,
  Client extends AnyColumn,
>(
  columns: StatsColumns<Key, Egress, Client>,
  filter: {
    from: number
    to: number
    keyId?: number | undefined
    egressId?: number | undefined
    groupBy?: StatsGroupBy | undefined
  },
): { where: SQL[]; groupColumn: Key | Egress | Client | undefined } {
  const where: SQL[] = [gte(columns.time, filter.from), lte(columns.time, filter.to)]
  if (filter.keyId !== undefined) where.push(eq(columns.upstreamKeyId, filter.keyId))
  if (filter.egressId !== undefined) where.push(eq(columns.egressId, filter.egressId))
  const groupColumn =
    filter.groupBy === 'key'
      ? columns.upstreamKeyId
      : filter.groupBy === 'egress'
        ? columns.egressId
        : filter.groupBy === 'client'
          ? columns.clientKeyId
          : undefined
  return { where, groupColumn }
}

/** The columns of `request_logs` a log page filters on, in either dialect. */
interface LogColumns {
  id: AnyColumn
  time: AnyColumn
  upstreamKeyId: AnyColumn
  egressId: AnyColumn
  status: AnyColumn
  model: AnyColumn
}

/** The conditions of a log page (`list`): its filters, and rows older than the cursor's. */
export function logsWhere(columns: LogColumns, query: ListLogsQuery): SQL[] {
  const where: SQL[] = []
  if (query.cursor !== undefined) where.push(lt(columns.id, Number(query.cursor)))
  if (query.keyId !== undefined) where.push(eq(columns.upstreamKeyId, query.keyId))
  if (query.egressId !== undefined) where.push(eq(columns.egressId, query.egressId))
  if (query.status !== undefined) where.push(statusCondition(columns.status, query.status))
  if (query.model !== undefined) where.push(eq(columns.model, query.model))
  if (query.from !== undefined) where.push(gte(columns.time, query.from))
  if (query.to !== undefined) where.push(lte(columns.time, query.to))
  return where
}
