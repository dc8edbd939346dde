/** The driver itself, for tools and tests that open a database file directly (backups). */
export { default as Sqlite } from 'better-sqlite3'
export * from './client-keys-repository.js'
export * from './database.js'
export * from './key-events-repository.js'
export * from './request-log-repository.js'
export * from './schema.js'
export * from './settings-store.js'
export * from './upstream-keys-repository.js'
