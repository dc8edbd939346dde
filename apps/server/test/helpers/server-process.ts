import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url))

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams
  /** Everything printed so far, stdout and stderr, line by line. */
  lines: string[]
  url: () => Promise<string>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * The real entry point in a child process (TypeScript via tsx, workspace packages from source),
 * as `pnpm start` runs it, for what only a process shows: stdout, signals, exit codes.
 */
export function startServerProcess(env: Record<string, string>): ServerProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'src/server.ts'],
    {
      cwd: SERVER_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...env,
      },
    },
  )
  const lines: string[] = []
  let listening: ((url: string) => void) | undefined
  const urlPromise = new Promise<string>((resolve) => {
    listening = resolve
  })
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue
      lines.push(line)
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (match?.[1]) listening?.(match[1])
    }
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
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
  return { child, lines, url, exited }
}
