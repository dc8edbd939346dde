import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { DATABASE_FILE, hasLegacyTables, importLegacyDatabase, openDatabase, Sqlite } from '@sfp/db'
import { ConfigError, type LegacyImportSummary, parseConfig } from '@sfp/schemas'
import { DotEnvUnreadable, readDotEnv, withDotEnv } from './dotenv.js'
import { cipherFits, legacyImportDeps } from './plugins/legacy-import.js'

/**
 * `pnpm import-seed <old api_keys.db>`: the boot's siliconflowProxy import, from another file,
 * into DATA_DIR's database (README "Moving from siliconflowProxy"), with the server's settings
 * (the environment, then `.env` of the working directory). The old file is opened
 * read-only; keys already in the pool are counted as duplicates. Run it with the server stopped,
 * or restart the server afterwards: a running server does not see keys added behind its back.
 * Exit 0 after an import, 1 with one line saying why when there was none.
 */

class Refusal extends Error {}

function summaryLines(summary: LegacyImportSummary): string[] {
  const { keys, egresses } = summary
  const s = keys.byStatus
  const lines = [
    `keys: ${keys.imported} imported (${s.active} active, ${s.insufficient} insufficient, ${s.error} error, ${s.disabled} disabled), ${keys.duplicates} duplicates skipped, ${keys.found} in the old table`,
    `proxies: ${egresses.imported} imported as egresses (${egresses.enabled} enabled), ${egresses.found} in the old table`,
    summary.directBlock
      ? `IP block: the direct egress is blocked until ${summary.directBlock.until}`
      : `IP block: none active (${summary.expiredBlocks} expired, not imported)`,
    summary.clientKey
      ? `client key: "${summary.clientKey.name}" (the old ADMIN_PASSWORD) made; replace it when you can`
      : 'client key: none made from ADMIN_PASSWORD',
    `not imported: ${summary.notImported.join(', ')}`,
  ]
  for (const note of summary.notes) {
    // A row of an old table, or the setting itself (ADMIN_PASSWORD), named once.
    const what = note.rowId === null ? note.item : `${note.table} #${note.rowId} ${note.item}`
    lines.push(`${note.imported ? 'note' : 'skipped'}: ${what}: ${note.reason}`)
  }
  if (summary.notesNotListed > 0) lines.push(`… and ${summary.notesNotListed} more not listed`)
  return lines
}

function openSource(path: string): InstanceType<typeof Sqlite> {
  if (!existsSync(path)) throw new Refusal(`No such file: ${path}`)
  if (!statSync(path).isFile()) throw new Refusal(`Not a file: ${path}`)
  let source: InstanceType<typeof Sqlite> | undefined
  try {
    source = new Sqlite(path, { readonly: true, fileMustExist: true })
    if (!hasLegacyTables(source)) {
      throw new Refusal(`${path} holds no siliconflowProxy tables (no api_keys table)`)
    }
    return source
  } catch (error) {
    source?.close()
    if (error instanceof Refusal) throw error
    throw new Refusal(`Cannot read ${path} as an SQLite database: ${(error as Error).message}`)
  }
}

function runImportSeed(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): number {
  const [file] = args
  if (file === undefined || file === '') {
    throw new Refusal('Usage: pnpm import-seed <path to the old siliconflowProxy api_keys.db>')
  }
  // pnpm runs root scripts from the repository root; a relative path is the user's.
  const path = resolve(env.INIT_CWD ?? process.cwd(), file)
  let config: ReturnType<typeof parseConfig>
  try {
    // The server's settings: the environment, and `.env` of the working directory below it.
    config = parseConfig(withDotEnv(env, readDotEnv(process.cwd())))
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DotEnvUnreadable) {
      throw new Refusal(error.message)
    }
    throw error
  }
  if (config.databaseUrl !== undefined) {
    throw new Refusal(
      'DATABASE_URL is set: import-seed writes into the SQLite database of DATA_DIR. Import with DATABASE_URL unset first (README "Moving from siliconflowProxy")',
    )
  }
  if (resolve(config.dataDir, DATABASE_FILE) === path) {
    throw new Refusal(
      `${path} is DATA_DIR's own database: its siliconflowProxy tables are imported at boot`,
    )
  }
  const source = openSource(path)
  try {
    const target = openDatabase({ dataDir: config.dataDir })
    try {
      const deps = legacyImportDeps(config, 'seed', Date.now())
      if (!cipherFits(target, deps.cipher)) {
        throw new Refusal(
          'The stored keys or proxy passwords do not open with this ENCRYPTION_KEY: set the one the server uses',
        )
      }
      const summary = importLegacyDatabase(target, source, deps)
      print(`siliconflowProxy import from ${path} into ${target.path}:`)
      for (const line of summaryLines(summary)) print(`  ${line}`)
      print('Restart the server if it is running: it reads the pool at boot.')
      return 0
    } finally {
      target.close()
    }
  } finally {
    source.close()
  }
}

function main(): void {
  try {
    process.exitCode = runImportSeed(process.argv.slice(2), process.env, (line) =>
      process.stdout.write(`${line}\n`),
    )
  } catch (error) {
    if (error instanceof Refusal) {
      process.stderr.write(`import-seed: ${error.message}\n`)
      process.exitCode = 1
      return
    }
    process.stderr.write(`import-seed failed: ${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = 1
  }
}

main()
