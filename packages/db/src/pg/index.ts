/**
 * `@sfp/db/pg`: the PostgreSQL side of cluster mode (docs/behaviour.md §9), kept off the main
 * entry so that a SQLite deployment never loads the `pg` driver.
 */

export * from './copy-from-sqlite.js'
export * from './database.js'
export * from './lane-fence.js'
export * from './schema.js'
export * from './storage.js'
