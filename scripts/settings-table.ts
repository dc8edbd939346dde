// `pnpm settings:readme`: rewrites what is derived from the settings declarations
// (packages/schemas/src/settings.ts): the README "Settings" table and the docker compose
// `environment:` lists, between their marker comments. `--check` writes nothing and exits 1 when
// a file is out of date.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SETTINGS_DOC_FILES } from '../packages/schemas/src/settings-docs.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const check = process.argv.includes('--check')
let stale = 0
for (const { path, update } of SETTINGS_DOC_FILES) {
  const file = join(root, path)
  const text = readFileSync(file, 'utf8')
  const updated = update(text)
  if (updated === text) continue
  if (check) {
    console.error(`${path} is out of date: run pnpm settings:readme`)
    stale += 1
  } else {
    writeFileSync(file, updated)
    process.stdout.write(`${path} updated\n`)
  }
}
if (stale > 0) process.exit(1)
