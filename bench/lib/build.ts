import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './repo.js'

/** What `node apps/server/dist/server.js` loads: the server and the packages it imports. */
const SERVER_BUILD_OUTPUTS = [
  'apps/server/dist/server.js',
  ...[
    'runtime',
    'schemas',
    'db',
    'key-pool',
    'egress',
    'dispatch',
    'proxy',
    'notify',
    'cluster',
  ].map((name) => `packages/${name}/dist/index.js`),
]

/**
 * Reuse the existing build; when part of it is missing, build the server and its workspace
 * dependencies once (not the dashboard: the benchmark never serves it).
 */
export function ensureServerBuild(): void {
  const missing = SERVER_BUILD_OUTPUTS.filter((file) => !existsSync(join(REPO_ROOT, file)))
  if (missing.length === 0) return
  console.log(`No server build (${missing.join(', ')} missing): building it once...`)
  // `npm_execpath` is the pnpm that runs `pnpm bench` (also under `npx pnpm@...`).
  const pnpm = process.env.npm_execpath
  const args = ['--filter', '@sfp/server...', 'run', 'build']
  const [command, commandArgs] =
    pnpm !== undefined && /\.c?js$/.test(pnpm)
      ? [process.execPath, [pnpm, ...args]]
      : [pnpm ?? 'pnpm', args]
  const build = spawnSync(command, commandArgs, { cwd: REPO_ROOT, stdio: 'inherit' })
  if (build.status !== 0) throw new Error(`the build failed (exit ${build.status})`)
}
