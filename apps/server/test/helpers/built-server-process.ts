import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The production entry of this package's build, as `pnpm start` runs it. */
export const SERVER_ENTRY = fileURLToPath(new URL('../../dist/server.js', import.meta.url))

/** Throws the one line to act on when the server is not built (these tests run the build). */
export function requireBuiltServer(): void {
  if (!existsSync(SERVER_ENTRY)) {
    throw new Error(`No server build at ${SERVER_ENTRY}: run pnpm --filter "@sfp/server..." build`)
  }
}

export interface BuiltServerRun {
  /** Everything printed so far, stdout and stderr, line by line. */
  lines: string[]
  /** Resolves with the listening URL; rejects when the process exits before listening. */
  url: Promise<string>
  exited: Promise<number | null>
  /** SIGTERM (if still running), resolving with the exit code. */
  stop(): Promise<number | null>
}

const NO_FILE_OVERRIDE = '-dac_override,-dac_read_search'

/**
 * `node <abs>/apps/server/dist/server.js` started from `cwd` (so a `.env` and a relative DATA_DIR
 * there are the user's), on a free loopback port, never reaching the internet unless `env` says
 * where the upstream is; with `fileModesApply`, without
 * root's power to ignore file modes (for tests of an unwritable data folder, run as root).
 */
export function runBuiltServer(
  cwd: string,
  env: Record<string, string>,
  { fileModesApply = false }: { fileModesApply?: boolean } = {},
): BuiltServerRun {
  // As root, file modes stop nobody: without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (setpriv) the
  // same user meets them on what another user owns, yet still reads this checkout, whatever the
  // modes of the folders it was cloned into (another uid might not get through a 700 parent).
  const [command, args] = fileModesApply
    ? [
        'setpriv',
        [
          `--bounding-set=${NO_FILE_OVERRIDE}`,
          `--inh-caps=${NO_FILE_OVERRIDE}`,
          process.execPath,
          SERVER_ENTRY,
        ],
      ]
    : [process.execPath, [SERVER_ENTRY]]
  const child = spawn(command, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // Never the internet.
      UPSTREAM_BASE_URL: 'http://127.0.0.1:9',
      ...env,
    },
  })
  const lines: string[] = []
  let listening: (url: string) => void = () => {}
  const listeningUrl = new Promise<string>((resolve) => {
    listening = resolve
  })
  const collect = () => {
    let unfinished = ''
    return (chunk: Buffer) => {
      const parts = (unfinished + chunk.toString('utf8')).split('\n')
      unfinished = parts.pop() ?? ''
      for (const line of parts) {
        if (line === '') continue
        lines.push(line)
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (match?.[1]) listening(match[1])
      }
    }
  }
  child.stdout.on('data', collect())
  child.stderr.on('data', collect())
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const url = Promise.race([
    listeningUrl,
    exited.then((code) => {
      throw new Error(`server exited (${code}) before listening:\n${lines.join('\n')}`)
    }),
  ])
  // Awaited only by tests that expect a listening server; a refused boot is no stray rejection.
  url.catch(() => {})
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    return exited
  }
  return { lines, url, exited, stop }
}
