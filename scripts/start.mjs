#!/usr/bin/env node
// `pnpm start`: run the production server, building it first when no build exists.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Vite 8 (the dashboard build) and better-sqlite3 12 need Node 20.19 or later: say so in one
// line rather than fail deep inside the build.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`SiliconFlow Proxy needs Node.js 20.19 or later; this is ${process.version}.`)
  process.exit(1)
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const serverEntry = join(root, 'apps/server/dist/server.js')
const dashboardIndex = join(root, 'apps/server/public/index.html')

if (!existsSync(serverEntry) || !existsSync(dashboardIndex)) {
  console.log('No build found: building the workspace first (pnpm build)...')
  // `npm_execpath` is the pnpm that runs this script (also under `npx pnpm@...`).
  const pnpm = process.env.npm_execpath
  const [command, args] =
    pnpm?.endsWith('.js') || pnpm?.endsWith('.cjs')
      ? [process.execPath, [pnpm, 'run', 'build']]
      : [pnpm ?? 'pnpm', ['run', 'build']]
  const build = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

// Replace this process in spirit: forward signals so SIGTERM reaches the server's shutdown.
// The working directory is the repository root whatever folder `pnpm start` was typed in (pnpm
// runs the script there too): the server reads `.env` next to package.json, and a relative
// DATA_DIR (`./data` by default) is taken from there.
const { spawn } = await import('node:child_process')
const server = spawn(process.execPath, [serverEntry], { cwd: root, stdio: 'inherit' })
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => server.kill(signal))
}
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
