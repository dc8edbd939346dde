import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The server app of this repository (the same three folders up from `src/` and `dist/`). */
const SERVER_DIR = fileURLToPath(new URL('../../../apps/server/', import.meta.url))

/** The production entry of the server's build, as `pnpm start` runs it. */
export const BUILT_SERVER_ENTRY = `${SERVER_DIR}dist/server.js`

/** The server's test entry that loads every module, then waits for a line on stdin to start. */
const PRELOADED_ENTRY = 'test/helpers/preloaded-entry.ts'

/** What it prints once it waits for the word to start. */
const PRELOADED_LINE = /^\[preloaded\]$/

const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/

export interface ServerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A server in a child process: what only a process shows (stdout, signals, exit codes). */
export interface ServerProcess {
  child: ChildProcessWithoutNullStreams
  /** Everything printed so far, stdout and stderr, line by line. */
  lines: string[]
  /** Resolves with the listening URL; rejects when the process exits before listening. */
  url(): Promise<string>
  exited: Promise<ServerExit>
  /** Resolves with the first line (printed so far or later) that matches `pattern`. */
  waitForLine(pattern: RegExp): Promise<string>
  /** SIGTERM (if still running), resolving with the exit. */
  stop(): Promise<ServerExit>
}

export interface PreloadedServerProcess extends ServerProcess {
  /** Resolves once the server's modules are loaded and it waits for `start()`. */
  loaded: Promise<void>
  /** Run the entry point now (it reads its settings, opens the database and listens). */
  start(): void
}

/**
 * The real entry point in a child process (TypeScript via tsx, workspace packages from source),
 * as `pnpm dev` runs it, on a free loopback port.
 */
export function startServerProcess(env: Record<string, string>): ServerProcess {
  return startFromSource('src/server.ts', env)
}

/**
 * The same entry point, with its modules loaded ahead and run only on `start()`: a test that
 * restarts a server many times has the next one ready, without touching the database, while the
 * previous one still runs. Loading is most of a start (about a second); `start()` to listening
 * is what is left.
 */
export function preloadServerProcess(env: Record<string, string>): PreloadedServerProcess {
  const server = startFromSource(PRELOADED_ENTRY, env)
  return {
    ...server,
    loaded: server.waitForLine(PRELOADED_LINE).then(() => undefined),
    start: () => {
      server.child.stdin.end('start\n')
    },
  }
}

/** Throws the one line to act on when the server is not built. */
export function requireBuiltServer(): void {
  if (!existsSync(BUILT_SERVER_ENTRY)) {
    throw new Error(
      `No server build at ${BUILT_SERVER_ENTRY}: run pnpm --filter "@sfp/server..." build`,
    )
  }
}

const NO_FILE_OVERRIDE = '-dac_override,-dac_read_search'

/**
 * `node <abs>/apps/server/dist/server.js` started from `cwd` (so a `.env` and a relative DATA_DIR
 * there are the user's), on a free loopback port, never reaching the internet unless `env` says
 * where the upstream is; with `fileModesApply`, without root's power to ignore file modes (for
 * tests of an unwritable data folder, run as root).
 */
export function runBuiltServer(
  cwd: string,
  env: Record<string, string>,
  { fileModesApply = false }: { fileModesApply?: boolean } = {},
): ServerProcess {
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
          BUILT_SERVER_ENTRY,
        ],
      ]
    : [process.execPath, [BUILT_SERVER_ENTRY]]
  // Never the internet, unless `env` names an upstream.
  return spawnServer(command, args, cwd, { UPSTREAM_BASE_URL: 'http://127.0.0.1:9', ...env })
}

function startFromSource(entry: string, env: Record<string, string>): ServerProcess {
  const args = ['--conditions=development', '--import', 'tsx', entry]
  return spawnServer(process.execPath, args, SERVER_DIR, env)
}

function spawnServer(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): ServerProcess {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
  })
  const lines: string[] = []
  const lineWaiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>()
  let listening: ((url: string) => void) | undefined
  const listeningUrl = new Promise<string>((resolve) => {
    listening = resolve
  })
  /**
   * A pipe read may end inside a line: each stream keeps its unfinished line until the rest comes.
   * (A busy server's log lines would otherwise be split, and a split line matches nothing.)
   */
  const collector = () => {
    let unfinished = ''
    return (chunk: Buffer) => {
      const text = unfinished + chunk.toString('utf8')
      const end = text.lastIndexOf('\n')
      unfinished = text.slice(end + 1)
      if (end >= 0) collect(text.slice(0, end))
    }
  }
  const collect = (text: string) => {
    for (const line of text.split('\n')) {
      if (line === '') continue
      lines.push(line)
      for (const waiter of lineWaiters) {
        if (!waiter.pattern.test(line)) continue
        lineWaiters.delete(waiter)
        waiter.resolve(line)
      }
      const match = LISTENING.exec(line)
      if (match?.[1]) listening?.(match[1])
    }
  }
  child.stdout.on('data', collector())
  child.stderr.on('data', collector())
  const exited = new Promise<ServerExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const url = () =>
    Promise.race([
      listeningUrl,
      exited.then(({ code, signal }) => {
        throw new Error(`server exited (${code ?? signal}) before listening:\n${lines.join('\n')}`)
      }),
    ])
  const waitForLine = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const printed = lines.find((line) => pattern.test(line))
      if (printed !== undefined) resolve(printed)
      else lineWaiters.add({ pattern, resolve })
    })
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    return exited
  }
  return { child, lines, url, exited, waitForLine, stop }
}
