import { writeFileSync } from 'node:fs'
import type { Figure } from './figures.js'
import type { Machine } from './report.js'
import { rounded } from './stats.js'

export interface BenchResults {
  date: string
  machine: Machine
  /** 1-minute load average before and after the run: other work on the machine skews figures. */
  loadAverage: { before: number; after: number }
  durationSeconds: number
  nginx: boolean
  figures: Figure[]
  details: Record<string, unknown>
}

/**
 * The committed results file, compact: the run on a few lines, then one line per figure and one
 * per scenario's details, so that a diff shows what moved.
 */
export function writeResults(file: string, results: BenchResults): void {
  const { figures, details, ...run } = results
  const runLines = Object.entries(run).map(
    ([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  )
  const figureLines = figures.map(
    (f) => `    ${JSON.stringify({ ...f, value: rounded(f.value, 4) })}`,
  )
  const detailLines = Object.entries(details).map(
    ([key, value]) => `    ${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  )
  const text = [
    '{',
    `${runLines.join(',\n')},`,
    '  "figures": [',
    figureLines.join(',\n'),
    '  ],',
    '  "details": {',
    detailLines.join(',\n'),
    '  }',
    '}',
    '',
  ].join('\n')
  writeFileSync(file, text)
}
