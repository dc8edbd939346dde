import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The repository stands on its own: a clone holds every document its files cite. The behaviour
 * specification lives in `docs/` (docs/README.md); comments, tests and READMEs point there as
 * `docs/<file>.md §N`. This test fails when a file outside docs/ points at the planning documents
 * that once lived outside the repository, or cites a docs/ file or section that does not exist.
 */

const ROOT = resolve(import.meta.dirname, '../../../..')

// The names are assembled so that this file does not match its own rules (nor a grep for them).
const OUTSIDE_DOCUMENTS = ['CONTRACT', 'SILICONFLOW', 'ORIGINAL'].map((name) => `${name}.md`)
const OUTSIDE_FOLDER = ['..', 'shared'].join('/')
const OUTSIDE_SECTION = new RegExp(`\\b${'CONTR'}ACT §`)

/** Files that are never text worth reading (and folders that hold no source of ours). */
const BINARY = /\.(png|jpe?g|gif|ico|webp|woff2?|ttf|otf|db|sqlite|gz|tgz|zip|pdf)$/i
const NOT_OURS = new Set(['node_modules', 'dist', '.git', 'data', 'test-results', 'public'])

interface RepositoryFile {
  /** Path from the repository root, `/`-separated. */
  path: string
  text: string
}

interface Problem {
  path: string
  line: number
  problem: string
}

/** `docs/<file>.md`, optionally followed by sections: `§4`, `§3–§5, §7`, `§3 and §5`. */
const CITATION = /docs\/([A-Za-z0-9_-]+)\.md((?:\s*(?:,|and|–|-)?\s*§\d+)*)/g

/** The section numbers of each docs/ file, from its `## N. Title` headings. */
function docSections(files: readonly RepositoryFile[]): Map<string, Set<number>> {
  const sections = new Map<string, Set<number>>()
  for (const { path, text } of files) {
    const name = /^docs\/([A-Za-z0-9_-]+)\.md$/.exec(path)?.[1]
    if (name === undefined) continue
    const numbers = [...text.matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1]))
    sections.set(name, new Set(numbers))
  }
  return sections
}

/** Every reference that leads outside the repository or to a docs/ file or section that is missing. */
function findProblems(files: readonly RepositoryFile[]): Problem[] {
  const sections = docSections(files)
  const problems: Problem[] = []
  for (const { path, text } of files) {
    const inDocs = path.startsWith('docs/')
    text.split('\n').forEach((content, index) => {
      const report = (problem: string) => problems.push({ path, line: index + 1, problem })
      if (!inDocs) {
        for (const name of OUTSIDE_DOCUMENTS) {
          if (content.includes(name)) report(`cites ${name}, which is not in the repository`)
        }
        if (content.includes(OUTSIDE_FOLDER)) report(`points at ${OUTSIDE_FOLDER}`)
        if (OUTSIDE_SECTION.test(content)) report('cites a section of a document outside docs/')
      }
      for (const match of content.matchAll(CITATION)) {
        const [, name = '', cited = ''] = match
        const known = sections.get(name)
        if (known === undefined) {
          report(`cites docs/${name}.md, which does not exist`)
          continue
        }
        for (const [, number] of cited.matchAll(/§(\d+)/g)) {
          if (!known.has(Number(number))) report(`cites docs/${name}.md §${number}, which it lacks`)
        }
      }
    })
  }
  return problems
}

/** The files git knows (tracked, and new ones not ignored); a plain walk where there is no git. */
function repositoryPaths(): string[] {
  try {
    const listed = execFileSync(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
    return listed.split('\0').filter((path) => path !== '')
  } catch {
    return walk(ROOT)
  }
}

function walk(folder: string): string[] {
  const paths: string[] = []
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (NOT_OURS.has(entry.name)) continue
    const full = join(folder, entry.name)
    if (entry.isDirectory()) paths.push(...walk(full))
    else if (entry.isFile()) paths.push(relative(ROOT, full).split('\\').join('/'))
  }
  return paths
}

function readRepository(): RepositoryFile[] {
  const files: RepositoryFile[] = []
  for (const path of repositoryPaths()) {
    if (BINARY.test(path)) continue
    const full = join(ROOT, path)
    // Listed but deleted in the working tree, or a submodule folder.
    if (!existsSync(full) || !statSync(full).isFile()) continue
    const bytes = readFileSync(full)
    if (bytes.includes(0)) continue
    files.push({ path, text: bytes.toString('utf8') })
  }
  return files
}

describe('the repository is self-contained', () => {
  it('has the docs/ files its README describes', () => {
    for (const name of ['README', 'behaviour', 'upstream', 'siliconflowproxy']) {
      expect(existsSync(join(ROOT, 'docs', `${name}.md`)), `docs/${name}.md`).toBe(true)
    }
  })

  it('cites no document outside the repository, and only docs/ files and sections that exist', () => {
    const files = readRepository()
    // The scan must have seen the repository, not an empty list.
    expect(files.some((file) => file.path === 'docs/behaviour.md')).toBe(true)
    expect(files.length).toBeGreaterThan(100)
    expect(findProblems(files)).toEqual([])
  })
})

describe('findProblems', () => {
  const docs: RepositoryFile[] = [
    { path: 'docs/behaviour.md', text: '# B\n\n## 1. One\n\n## 4. Key pool\n' },
    { path: 'docs/upstream.md', text: '## 3. Balance\n' },
  ]
  const scan = (path: string, text: string) =>
    findProblems([...docs, { path, text }]).map(({ path, line, problem }) => ({
      path,
      line,
      problem,
    }))

  it('accepts citations of docs/ files and their sections', () => {
    expect(scan('src/a.ts', '// see docs/behaviour.md §4 and docs/upstream.md §3\n')).toEqual([])
    expect(scan('src/a.ts', '// docs/behaviour.md §1, §4 and docs/upstream.md\n')).toEqual([])
  })

  it('flags the planning documents that lived outside the repository', () => {
    for (const name of OUTSIDE_DOCUMENTS) {
      expect(scan('src/a.ts', `// ok\n/** @see ${name} "Balance" */\n`)).toEqual([
        { path: 'src/a.ts', line: 2, problem: `cites ${name}, which is not in the repository` },
      ])
    }
    expect(scan('README.md', `as \`${OUTSIDE_FOLDER}/notes.md\` says`)).toHaveLength(1)
    expect(scan('src/a.ts', `// (${'CONTR'}ACT §4)`)).toEqual([
      { path: 'src/a.ts', line: 1, problem: 'cites a section of a document outside docs/' },
    ])
  })

  it('flags a docs/ file or section that does not exist', () => {
    // Assembled, so that the real scan does not find this file citing it.
    const missing = ['docs', 'missing.md'].join('/')
    expect(scan('src/a.ts', `// ${missing} §1`)).toEqual([
      { path: 'src/a.ts', line: 1, problem: `cites ${missing}, which does not exist` },
    ])
    expect(scan('src/a.ts', '// docs/behaviour.md §1–§5')).toEqual([
      { path: 'src/a.ts', line: 1, problem: 'cites docs/behaviour.md §5, which it lacks' },
    ])
  })

  it('lets docs/ itself talk about the old documents', () => {
    expect(scan('docs/notes.txt', `${OUTSIDE_DOCUMENTS[0]} was the plan`)).toEqual([])
  })
})
