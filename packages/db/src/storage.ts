import type { ListLogsQuery } from '@sfp/schemas'
import type { ClientKeyPatch, ClientKeyUsage, NewClientKey } from './client-keys-repository.js'
import type { EgressPatch } from './egresses-repository.js'
import type { NotificationTargetPatch } from './notification-targets-repository.js'
import type { StatsFilter, StatsRow } from './request-log-repository.js'
import type {
  ClientKeyRow,
  EgressRow,
  KeyEventRow,
  NewEgressRow,
  NewKeyEventRow,
  NewNotificationTargetRow,
  NewRequestLogRow,
  NewUpstreamKeyRow,
  NotificationTargetRow,
  RequestLogRow,
  UpstreamKeyRow,
} from './schema.js'
import type { SettingName } from './settings-store.js'
import type { UpstreamKeyPatch } from './upstream-keys-repository.js'

/**
 * The tables of `schema.ts`, asynchronously, whatever the dialect: `sqliteStorage` (the file in
 * `DATA_DIR`) or `postgresStorage` from `@sfp/db/pg` (cluster mode, docs/behaviour.md §9), chosen
 * at boot. Each member is the asynchronous twin of a repository (`*-repository.ts`,
 * `settings-store.ts`): the same methods with the same arguments and meaning, results as
 * Promises, a failure as a rejection.
 *
 * Rows are the types of `schema.ts` in both dialects: times are integer milliseconds, flags
 * booleans, JSON columns objects (or null), ids and counters numbers. A method that this file
 * says runs "in one transaction" either writes everything or nothing.
 *
 * SQLite-only, outside this interface: backups (`VACUUM INTO`, `DatabaseHandle`) and the import
 * of the old siliconflowProxy database (`legacy/`), which reads the old tables of the same file.
 */
export interface Storage {
  upstreamKeys: UpstreamKeysStorage
  egresses: EgressesStorage
  clientKeys: ClientKeysStorage
  requestLogs: RequestLogStorage
  keyEvents: KeyEventsStorage
  settings: SettingsStorage
  notificationTargets: NotificationTargetsStorage
}

/**
 * The lease a write is made under (docs/behaviour.md §9): a write on a lane's behalf (its
 * switch-guard memory on `egresses`, its keys' bindings) carries it, and applies only while the
 * lease row still names this holder and token. A holder that stalled past its lease (a long
 * pause, a partition) and wakes up after another instance took the lane over finds the token
 * moved on, and its late write changes nothing, instead of overwriting the new holder's state.
 */
export interface LaneFence {
  egressId: number
  instanceId: string
  token: number
}

/** The key pool's rows. The pool keeps its working copy in memory and writes through here. */
export interface UpstreamKeysStorage {
  /** Every key, in creation order (ascending id). */
  all(): Promise<UpstreamKeyRow[]>
  /**
   * Insert in one transaction, in the given order (ids ascend with it). A row whose fingerprint
   * is already stored, or given earlier in `rows`, is skipped, not an error. Resolves to the rows
   * inserted, as stored (columns the caller left out hold their defaults), in id order.
   */
  insertMany(rows: NewUpstreamKeyRow[]): Promise<UpstreamKeyRow[]>
  /**
   * Write the patch's fields (null included; `undefined` ones are left alone) on the key, in one
   * statement; an unknown id changes nothing. Rejects with `No values to set` on an empty patch.
   */
  update(id: number, patch: UpstreamKeyPatch): Promise<void>
  /**
   * Cluster mode: `update` made by the holder of lane `fence.egressId`'s lease (a key's binding
   * to that lane, docs/behaviour.md §9); applies only while the lease row still names the holder
   * and token, so an instance that stalled past its lease cannot write over what the lane's new
   * holder wrote. Resolves to whether it applied. SQLite (one process, no leases) always applies it.
   */
  updateFenced(id: number, patch: UpstreamKeyPatch, fence: LaneFence): Promise<boolean>
  /**
   * Cluster mode: lane `egressId` takes key `id` (docs/behaviour.md §9), under its lease
   * (`fence`), only if no other lane may still be using it: the key is already this lane's, or
   * neither its last recorded use (`egress_used_at`, kept when its egress was deleted) nor its
   * lane's guard memory falls within `windowMs` before `now`. One conditional statement, so two instances cannot both take one key. Resolves
   * to whether the key is now the lane's. SQLite (one process) always binds it.
   */
  claim(
    id: number,
    egressId: number,
    now: number,
    windowMs: number,
    fence: Pick<LaneFence, 'instanceId' | 'token'>,
  ): Promise<boolean>
  /** Delete the keys in one transaction; resolves to how many existed. */
  remove(ids: readonly number[]): Promise<number>
  /**
   * Rewrite stored secrets and fingerprints in one transaction (encryption at rest turned on).
   * SQLite also leaves no copy of the old values in free pages or the WAL.
   */
  replaceSecrets(
    rows: readonly { id: number; secret: string; fingerprint: string }[],
  ): Promise<void>
}

/** The egresses' rows. The egress service keeps its working copy in memory. */
export interface EgressesStorage {
  /** Every egress, in creation order (ascending id). */
  all(): Promise<EgressRow[]>
  /** Resolves to the row as stored, or to undefined when an egress with the same identity exists. */
  insert(row: NewEgressRow): Promise<EgressRow | undefined>
  /** As `UpstreamKeysStorage.update`: the patch's defined fields, in one statement. */
  update(id: number, patch: EgressPatch): Promise<void>
  /**
   * Cluster mode: `update` made under the lane's lease (`holder`, `token`); applies only while
   * the lease row still names them (docs/behaviour.md §9). Resolves to whether it applied.
   * SQLite (one process, no leases) always applies it.
   */
  updateFenced(
    id: number,
    patch: EgressPatch,
    fence: Pick<LaneFence, 'instanceId' | 'token'>,
  ): Promise<boolean>
  /**
   * Delete the egress and unbind its keys in one transaction; `egress_used_at` stays on them, so
   * no other lane sends them within KEY_SWITCH_GUARD_MINUTES of their last use here
   * (docs/behaviour.md §8). Resolves to whether the egress existed.
   */
  remove(id: number): Promise<boolean>
  /** Rewrite stored proxy passwords in one transaction (encryption at rest turned on). */
  replacePasswords(rows: readonly { id: number; password: string }[]): Promise<void>
}

/** The keys clients present to the proxy (only their SHA-256 is stored). */
export interface ClientKeysStorage {
  /** Every client key, in creation order (ascending id). */
  all(): Promise<ClientKeyRow[]>
  /** The key with this hash, if any. */
  findByHash(keyHash: string): Promise<ClientKeyRow | undefined>
  /** Resolves to the row as stored; rejects when a key with the same hash exists. */
  insert(row: NewClientKey): Promise<ClientKeyRow>
  /** Resolves to the row after the change; undefined for an unknown id. */
  update(id: number, patch: ClientKeyPatch): Promise<ClientKeyRow | undefined>
  /** Resolves to whether the key existed. */
  remove(id: number): Promise<boolean>
  /**
   * Add the request counts and take the later of the stored and the given last-use time, for
   * every key of the map in one transaction. Each key's row is read and written by the database
   * in one statement, so flushes of several processes add up instead of overwriting each other.
   * The day counters of `day` start again on a later China Standard Time day. Ids no longer
   * stored are ignored.
   */
  recordUsage(usage: ReadonlyMap<number, ClientKeyUsage>): Promise<void>
}

/** One page of the request log. */
export interface RequestLogPage {
  items: RequestLogRow[]
  /** The id of the page's last row when more rows follow, as text; null on the last page. */
  nextCursor: string | null
}

/** One row per proxied request (docs/behaviour.md §7). */
export interface RequestLogStorage {
  /** Append the rows, in order, in one transaction. */
  insertBatch(rows: readonly NewRequestLogRow[]): Promise<void>
  /**
   * At most `limit` rows matching every filter given, newest (highest id) first, from below
   * `cursor` (the previous page's `nextCursor`). `status`: an exact code, a class (`4xx`: 400 to
   * 499) or `error` (400 and above); `from` and `to` include their bounds.
   */
  list(query: ListLogsQuery): Promise<RequestLogPage>
  /**
   * Totals per bucket of rows with `from <= time <= to` (and the key / egress filters), for the
   * buckets holding at least one row (the caller fills the gaps), in ascending `start` order,
   * then group id (null first). A bucket starts at `time` divided by its width in ms, rounded
   * down, times that width. With `groupBy`, one row per bucket and upstream key / egress (null:
   * rows without one). Errors are statuses of 400 and above; token sums are 0 when no row has
   * tokens; averages and the maximum are null when no row has the value (`avgTtfbMs`), as is the
   * cost sum when no row was priced.
   */
  stats(filter: StatsFilter): Promise<StatsRow[]>
  /**
   * Delete at most `limit` (default 5000) rows with `time` before `time`; resolves to how many
   * went. Bounded so that the caller can loop and yield between chunks.
   */
  deleteOlderThan(time: number, limit?: number): Promise<number>
}

/** The history of key state changes, switches and admin overrides. */
export interface KeyEventsStorage {
  append(event: NewKeyEventRow): Promise<void>
  /** Many events, in order, in one transaction (bulk imports and deletes). */
  appendMany(events: readonly NewKeyEventRow[]): Promise<void>
  /** At most `limit` events (of one key when `keyId` is given), newest (highest id) first. */
  list(filter: { keyId?: number | undefined; limit: number }): Promise<KeyEventRow[]>
}

/** Small process-wide values, by name (`SETTING`). */
export interface SettingsStorage {
  get(name: SettingName): Promise<string | undefined>
  /** Insert or overwrite the value and its time (`now`, default the current time). */
  set(name: SettingName, value: string, now?: number): Promise<void>
  /** Remove the value; nothing happens when there is none. */
  delete(name: SettingName): Promise<void>
  /** The value parsed as JSON; rejects when the stored text is not JSON. */
  getJson<T>(name: SettingName): Promise<T | undefined>
  /** `set` with the value as JSON text. */
  setJson(name: SettingName, value: unknown, now?: number): Promise<void>
}

/**
 * Where notifications go (`@sfp/notify`). `url` and `secret` are stored as the caller gives them
 * (sealed when ENCRYPTION_KEY is set); the server keeps its working copy in memory.
 */
export interface NotificationTargetsStorage {
  /** Every target, in creation order (ascending id). */
  all(): Promise<NotificationTargetRow[]>
  /** Resolves to the row as stored (columns left out hold their defaults). */
  insert(row: NewNotificationTargetRow): Promise<NotificationTargetRow>
  /**
   * Write the patch's defined fields in one statement; resolves to the row as stored after it,
   * or undefined for an unknown id. Rejects with `No values to set` on an empty patch.
   */
  update(id: number, patch: NotificationTargetPatch): Promise<NotificationTargetRow | undefined>
  /** Resolves to whether the target existed. */
  remove(id: number): Promise<boolean>
}
