import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUILT_SERVER_ENTRY, runBuiltServer } from '@sfp/test-support/server-process'
import { BUILT_DASHBOARD_INDEX, REPO_ROOT } from './repo-paths.js'

export interface BuiltServerOptions {
  upstreamUrl: string
  adminPassword: string
  /** Accepted on the proxy routes (PROXY_API_KEYS). */
  clientKey: string
  /** More settings (`CORS_ORIGINS`...), over the ones above. */
  env?: Record<string, string>
  /** Writes into the fresh DATA_DIR before the server starts (an old siliconflowProxy database). */
  prepareDataDir?: (dataDir: string) => void
}

export interface BuiltServer {
  /** Origin of the listening server, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Everything the process printed so far, line by line (for failure messages). */
  output: readonly string[]
  /** SIGTERM, wait for the exit, remove the data folder. */
  stop(): Promise<void>
}

const BOOT_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000

/** Fails with what to do, instead of a confusing 404 or ENOENT deep inside a test. */
export function assertBuildExists(): void {
  const missing = [BUILT_SERVER_ENTRY, BUILT_DASHBOARD_INDEX].filter((path) => !existsSync(path))
  if (missing.length > 0) {
    throw new Error(
      `The dashboard e2e tests run against the production build, and ${missing.join(' and ')} ` +
        'is missing. Run `pnpm build` (npx -y pnpm@10.34.9 build) first; `pnpm test` does.',
    )
  }
}

/**
 * `node apps/server/dist/server.js` in a child process, as `pnpm start` runs it in production,
 * with a fresh SQLite folder and the given upstream. Resolves once it logs its address.
 */
export async function startBuiltServer(options: BuiltServerOptions): Promise<BuiltServer> {
  assertBuildExists()
  const dataDir = await mkdtemp(join(tmpdir(), 'sfp-dashboard-e2e-'))
  try {
    options.prepareDataDir?.(dataDir)
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
  const server = runBuiltServer(REPO_ROOT, {
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: options.adminPassword,
    PROXY_API_KEYS: options.clientKey,
    UPSTREAM_BASE_URL: options.upstreamUrl,
    // The browser's status stream stays open; do not wait the default 30 s for it on SIGTERM.
    SHUTDOWN_GRACE_SECONDS: '2',
    ...options.env,
  })
  // A boot that hangs must not leave a server behind the failed test.
  const bootTimer = setTimeout(() => server.child.kill('SIGKILL'), BOOT_TIMEOUT_MS)
  const url = await server
    .url()
    .catch(async (error: unknown) => {
      await rm(dataDir, { recursive: true, force: true })
      throw error
    })
    .finally(() => clearTimeout(bootTimer))

  async function stop(): Promise<void> {
    const stopTimer = setTimeout(() => server.child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    const exit = await server.stop()
    clearTimeout(stopTimer)
    await rm(dataDir, { recursive: true, force: true })
    if (exit.code !== 0) {
      throw new Error(`server did not shut down cleanly (${exit.code ?? exit.signal}):
${server.lines.slice(-20).join('\n')}`)
    }
  }

  return { url, output: server.lines, stop }
}
