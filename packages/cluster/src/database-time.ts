import type pg from 'pg'

/**
 * The database's clock in integer milliseconds since the epoch, the one time every instance
 * compares leases and liveness against, so that skew between the hosts' clocks cannot make two
 * instances disagree about whether a lease has expired. `statement_timestamp()` is one value for
 * the whole statement, taken when the server received it: always after the moment the caller
 * sent it, which is what lets the caller's local deadline (measured from the send) stay before
 * the expiry the database writes.
 */
export const DATABASE_NOW_MS = '(extract(epoch from statement_timestamp()) * 1000)::bigint'

/** What the cluster's statements run on: the handle's pool (`PostgresHandle.pool`). */
export type Queryable = Pick<pg.Pool, 'query'>

/**
 * A statement with a read timeout: a database that stopped answering without closing the
 * connection (a partition) would otherwise hold a renewal round for the operating system's TCP
 * timeout. node-postgres reads `query_timeout` per query (its types only declare it on the
 * client); a pooled connection whose query timed out is destroyed, not reused.
 */
export function timedQuery(text: string, values: unknown[], timeoutMs: number): pg.QueryConfig {
  return { text, values, query_timeout: timeoutMs } as pg.QueryConfig
}
