import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DATABASE_FILE, legacyImportPending, openDatabase } from '@sfp/db'
import { ConfigError, parseConfig } from '@sfp/schemas'
import { DotEnvUnreadable, readDotEnv, withDotEnv } from './dotenv.js'

/**
 * `pnpm db:copy-to-postgres`: everything of DATA_DIR's SQLite database (keys with their states
 * and lane bindings, egresses, client keys, settings, the request log, key events) into the empty
 * PostgreSQL database of DATABASE_URL, ids included, in one transaction (README "Storage in
 * PostgreSQL"). The server's settings: the environment, then `.env` of the working directory.
 * Run it with the server stopped; then start the server with DATABASE_URL and the same
 * ENCRYPTION_KEY. Exit 0 after a copy, 1 with one line saying why when there was none.
 */

class Refusal extends Error {}

async function runCopy(env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<number> {
  let config: ReturnType<typeof parseConfig>
  try {
    config = parseConfig(withDotEnv(env, readDotEnv(process.cwd())))
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DotEnvUnreadable) {
      throw new Refusal(error.message)
    }
    throw error
  }
  if (config.databaseUrl === undefined) {
    throw new Refusal('DATABASE_URL is not set: it names the PostgreSQL database to copy into')
  }
  const file = join(resolve(config.dataDir), DATABASE_FILE)
  if (!existsSync(file)) throw new Refusal(`No SQLite database at ${file} (DATA_DIR) to copy`)
  // `pg` only now: a SQLite deployment never loads it.
  const { openPostgres, claimSoleInstance, copySqliteToPostgres, TargetNotEmpty, DatabaseInUse } =
    await import('@sfp/db/pg')
  const source = openDatabase({ dataDir: config.dataDir })
  try {
    if (legacyImportPending(source)) {
      throw new Refusal(
        `${file} still holds the old siliconflowProxy tables, not imported yet: start the server once without DATABASE_URL (it imports them), stop it, then copy`,
      )
    }
    const target = await openPostgres({ url: config.databaseUrl })
    try {
      // No server may use the database while it is filled (each running one holds it shared).
      const release = await claimSoleInstance(target, () => {})
      try {
        const report = await copySqliteToPostgres(source, target)
        print(`copied ${file} into PostgreSQL (schema ${target.schema}):`)
        for (const [table, rows] of Object.entries(report.tables)) print(`  ${table}: ${rows}`)
        print('Start the server with DATABASE_URL and the same ENCRYPTION_KEY.')
        return 0
      } finally {
        await release()
      }
    } catch (error) {
      if (error instanceof TargetNotEmpty || error instanceof DatabaseInUse) {
        throw new Refusal(error.message)
      }
      throw error
    } finally {
      await target.close()
    }
  } finally {
    source.close()
  }
}

async function main(): Promise<void> {
  try {
    process.exitCode = await runCopy(process.env, (line) => process.stdout.write(`${line}\n`))
  } catch (error) {
    if (error instanceof Refusal) {
      process.stderr.write(`db:copy-to-postgres: ${error.message}\n`)
    } else {
      // Connection failures are one line that names the host, never the password.
      process.stderr.write(`db:copy-to-postgres failed: ${(error as Error).message}\n`)
    }
    process.exitCode = 1
  }
}

void main()
