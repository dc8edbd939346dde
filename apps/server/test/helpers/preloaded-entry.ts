/**
 * The server entry (`src/server.ts`) with a pause before it: load every module the server
 * imports, say so, and run the entry itself only when a line arrives on stdin. Tests use it to
 * have the next server loaded while the previous one still runs (`preloadServerProcess` of
 * `@sfp/test-support/server-process`).
 */
await import('../../src/build-server.js')
process.stdout.write('[preloaded]\n')
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()))
process.stdin.destroy()
await import('../../src/server.js')
