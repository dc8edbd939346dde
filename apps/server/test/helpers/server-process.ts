import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url))

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams
  /** Everything printed so far, stdout and stderr, line by line. */
  lines: string[]
  url: () => Promise<string>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves with the first line (printed so far or later) that matches `pattern`. */
  waitForLine(pattern: RegExp): Promise<string>
}

export interface PreloadedServerProcess extends ServerProcess {
  /** Resolves once the server's modules are loaded and it waits for `start()`. */
  loaded: Promise<void>
  /** Run the entry point now (it reads its settings, opens the database and listens). */
  start(): void
}

/** What `preloaded-entry.ts` prints once it waits for the word to start. */
const PRELOADED_LINE = /^\[preloaded\]$/

/**
 * The real entry point in a child process (TypeScript via tsx, workspace packages from source),
 * as `pnpm start` runs it, for what only a process shows: stdout, signals, exit codes.
 */
export function startServerProcess(env: Record<string, string>): ServerProcess {
  return spawnServer('src/server.ts', env)
}

/**
 * The same entry point, with its modules loaded ahead and run only on `start()`: a test that
 * restarts a server many times has the next one ready, without touching the database, while the
 * previous one still runs. Loading is most of a start (about a second); `start()` to listening
 * is what is left.
 */
export function preloadServerProcess(env: Record<string, string>): PreloadedServerProcess {
  const server = spawnServer('test/helpers/preloaded-entry.ts', env)
  return {
    ...server,
    loaded: server.waitForLine(PRELOADED_LINE).then(() => undefined),
    start: () => {
      server.child.stdin.end('start\n')
    },
  }
}

function spawnServer(entry: string, env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', entry], {
    cwd: SERVER_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
  })
  const lines: string[] = []
  const lineWaiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>()
  let listening: ((url: string) => void) | undefined
  const urlPromise = new Promise<string>((resolve) => {
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
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (match?.[1]) listening?.(match[1])
    }
  }
  child.stdout.on('data', collector())
  child.stderr.on('data', collector())
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const url = () =>
    Promise.race([
      urlPromise,
      exited.then(({ code }) => {
        throw new Error(`server exited (${code}) before listening:\n${lines.join('\n')}`)
      }),
    ])
  const waitForLine = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const printed = lines.find((line) => pattern.test(line))
      if (printed !== undefined) resolve(printed)
      else lineWaiters.add({ pattern, resolve })
    })
  return { child, lines, url, exited, waitForLine }
}
