import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'

/** What `.env` in the working directory gave, as the server entry reports it. */
export interface DotEnv {
  /** The absolute path of the file. */
  path: string
  values: Record<string, string>
  /** 1-based numbers of the lines that were not `NAME=value` (nor blank, nor a comment). */
  ignoredLines: number[]
}

/** Refused to read `.env` (a folder of that name, no permission): the one line boot prints. */
export class DotEnvUnreadable extends Error {
  readonly code = 'SFP_DOTENV_UNREADABLE'
}

/** `NAME=value`, optionally `export NAME=value`, as Node's parser reads it. */
const ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=/
const BLANK_OR_COMMENT = /^\s*(?:#.*)?$/

/**
 * Reads `<cwd>/.env` the way the old siliconflowProxy did (its installer writes one), with
 * Node's own parser. A line that is not `NAME=value` is left out and reported by number (never
 * by content, which may hold a secret): Node's parser would otherwise join it to the next line
 * and lose that setting without a word. So each value stays on one line (quoted multi-line
 * values are not supported). Undefined when there is no such file.
 */
export function readDotEnv(cwd: string): DotEnv | undefined {
  const path = join(cwd, '.env')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new DotEnvUnreadable(`Cannot read ${path} (${code ?? 'error'}): fix or remove it`)
  }
  const ignoredLines: number[] = []
  const kept = text.split(/\r?\n/).map((line, index) => {
    if (BLANK_OR_COMMENT.test(line) || ASSIGNMENT.test(line)) return line
    ignoredLines.push(index + 1)
    return ''
  })
  const values: Record<string, string> = {}
  for (const [name, value] of Object.entries(parseEnv(kept.join('\n')))) {
    if (value !== undefined) values[name] = value
  }
  return { path, values, ignoredLines }
}

/**
 * The settings the server reads: the real environment wins over `.env`, except where it holds
 * an empty value, which counts as unset there as everywhere else.
 */
export function withDotEnv(
  environment: Record<string, string | undefined>,
  dotEnv: DotEnv | undefined,
): Record<string, string | undefined> {
  const merged = { ...environment }
  for (const [name, value] of Object.entries(dotEnv?.values ?? {})) {
    const real = merged[name]
    if (real === undefined || real.trim() === '') merged[name] = value
  }
  return merged
}

/** The one line saying where settings came from: names the file, never a value. */
export function dotEnvLine(cwd: string, dotEnv: DotEnv | undefined): string {
  if (dotEnv === undefined) return `settings: no .env in ${cwd}; the environment only`
  const count = Object.keys(dotEnv.values).length
  return `settings: read ${dotEnv.path} (${count} variable${count === 1 ? '' : 's'}; the environment wins over it)`
}

/** One line per left-out line of `.env`. */
export function ignoredLineNotices(dotEnv: DotEnv | undefined): string[] {
  if (dotEnv === undefined) return []
  return dotEnv.ignoredLines.map(
    (line) => `settings: line ${line} of ${dotEnv.path} is not NAME=value; it was ignored`,
  )
}
