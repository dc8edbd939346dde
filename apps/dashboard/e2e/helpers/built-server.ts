import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUILT_DASHBOARD_INDEX, BUILT_SERVER_ENTRY, REPO_ROOT } from './repo-paths.js'

export interface BuiltServerOptions {
  upstreamUrl: string
  adminPassword: string
  /** Accepted on the proxy routes (PROXY_API_KEYS). */
  clientKey: string
  /** More settings (`CORS_ORIGINS`...), over the ones above. */
  env?: Record<string, string>
}

export interface BuiltServer {
  /** Origin of the listening server, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Everything the process printed so far, line by line (for failure messages). */
  output: readonly string[]
  /** SIGTERM, wait for the exit, remove the data folder. */
  stop(): Promise<void>
}

type Exit = { code: number | null; signal: NodeJS.Signals | null }

const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/
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

function waitForExit(child: ChildProcessWithoutNullStreams): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode })
      return
    }
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

/**
 * `node apps/server/dist/server.js` in a child process, as `pnpm start` runs it in production,
 * with a fresh SQLite folder and the given upstream. Resolves once it logs its address.
 */
export async function startBuiltServer(options: BuiltServerOptions): Promise<BuiltServer> {
  assertBuildExists()
  const dataDir = await mkdtemp(join(tmpdir(), 'sfp-dashboard-e2e-'))
  const child = spawn(process.execPath, [BUILT_SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      ADMIN_PASSWORD: options.adminPassword,
      PROXY_API_KEYS: options.clientKey,
      UPSTREAM_BASE_URL: options.upstreamUrl,
      // The browser's status stream stays open; do not wait the default 30 s for it on SIGTERM.
      SHUTDOWN_GRACE_SECONDS: '2',
      ...options.env,
    },
  })
  const output: string[] = []
  const exited = waitForExit(child)

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not listen within ${BOOT_TIMEOUT_MS} ms:\n${output.join('\n')}`))
    }, BOOT_TIMEOUT_MS)
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue
        output.push(line)
        const address = LISTENING.exec(line)?.[1]
        if (address) {
          clearTimeout(timer)
          resolve(address)
        }
      }
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output.join('\n')}`))
    })
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true })
    throw error
  })

  async function stop(): Promise<void> {
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    const exit = await exited
    clearTimeout(timer)
    await rm(dataDir, { recursive: true, force: true })
    if (exit.code !== 0) {
      throw new Error(`server did not shut down cleanly (${exit.code ?? exit.signal}):
${output.slice(-20).join('\n')}`)
    }
  }

  return { url, output, stop }
}
