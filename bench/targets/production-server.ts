import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { PROBE, type ProbeClient, probeClient } from '../lib/probe.js'
import { type BenchChild, freePort, startChild, waitUntilServing } from '../lib/processes.js'
import { REPO_ROOT } from '../lib/repo.js'
import type { Target } from './target.js'

export type { EventLoopReading } from '../lib/probe.js'

/** The built server, relative to a checkout's root. */
const SERVER_ENTRY = 'apps/server/dist/server.js'

/** The server, and its preloaded probe (event-loop delay, memory). */
export interface ProductionServer extends ProbeClient {
  target: Target
  process: BenchChild
  adminAuthorization: string
}

export interface ProductionServerOptions {
  name: string
  upstreamUrl: string
  upstreamKey: string
  /** More upstream keys imported after `upstreamKey` (one per egress lane, say). */
  moreUpstreamKeys?: readonly string[]
  /** Settings (docs/behaviour.md §2) besides the listen address, data dir and secrets. */
  settings: Record<string, string>
  workDir: string
  /** Extra `node` flags, e.g. `--cpu-prof` to profile the server under load. */
  nodeArgs?: readonly string[]
  /** The checkout whose build is run (`ab.ts` compares two); default this one. */
  root?: string
}

/**
 * `node apps/server/dist/server.js`, as `pnpm start` runs it, on loopback with its own data dir.
 * The upstream key (and any more) is imported through the admin API, as an operator would.
 * The server's log (LOG_LEVEL info, the production default, unless `settings` says otherwise)
 * goes to a file.
 */
export async function startProductionServer(
  options: ProductionServerOptions,
): Promise<ProductionServer> {
  const { name, upstreamUrl, upstreamKey, settings, workDir, nodeArgs = [] } = options
  const { moreUpstreamKeys = [], root = REPO_ROOT } = options
  const port = await freePort()
  const adminPassword = randomBytes(12).toString('hex')
  const clientKey = `sk-bench-${randomBytes(16).toString('hex')}`
  const child = startChild({
    name,
    command: process.execPath,
    args: [...nodeArgs, '--import', PROBE, join(root, SERVER_ENTRY)],
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: join(workDir, `${name}-data`),
      ADMIN_PASSWORD: adminPassword,
      PROXY_API_KEYS: clientKey,
      UPSTREAM_BASE_URL: upstreamUrl,
      ...settings,
    },
    logFile: join(workDir, `${name}.log`),
    ipc: true,
  })
  const origin = `http://127.0.0.1:${port}`
  const adminAuthorization = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`
  try {
    await waitUntilServing(`${origin}/readyz`, child)
    for (const key of [upstreamKey, ...moreUpstreamKeys]) {
      const imported = await fetch(`${origin}/api/manage/api-keys`, {
        method: 'POST',
        headers: { authorization: adminAuthorization, 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: key }),
      })
      if (imported.status !== 201) {
        throw new Error(`key import answered ${imported.status}: ${await imported.text()}`)
      }
    }
  } catch (error) {
    // Not returned, so nobody else could stop it: no server left behind.
    await child.stop()
    throw error
  }

  return {
    target: { name: 'proxy', origin, authorization: `Bearer ${clientKey}`, pid: child.pid },
    process: child,
    adminAuthorization,
    ...probeClient(child),
  }
}
