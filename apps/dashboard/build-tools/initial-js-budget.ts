import { gzipSync } from 'node:zlib'
import type { Logger, Plugin } from 'vite'

/** What the budget needs of a bundle entry (Rolldown's OutputChunk / OutputAsset fit). */
type BundleItem =
  | { type: 'chunk'; fileName: string; isEntry: boolean; imports: readonly string[]; code: string }
  | { type: 'asset' }

export interface InitialJsSize {
  files: string[]
  gzipBytes: number
}

/**
 * The JavaScript a first visit must download before anything shows: each entry chunk plus
 * everything it imports statically, transitively. Lazy `import()` chunks are not counted.
 */
export function measureInitialJs(bundle: Readonly<Record<string, BundleItem>>): InitialJsSize {
  const seen = new Set<string>()
  const visit = (fileName: string) => {
    const item = bundle[fileName]
    if (seen.has(fileName) || item?.type !== 'chunk') return
    seen.add(fileName)
    for (const imported of item.imports) visit(imported)
  }
  for (const [fileName, item] of Object.entries(bundle)) {
    if (item.type === 'chunk' && item.isEntry) visit(fileName)
  }
  let gzipBytes = 0
  for (const fileName of seen) {
    const item = bundle[fileName]
    if (item?.type === 'chunk') gzipBytes += gzipSync(item.code, { level: 9 }).length
  }
  return { files: [...seen].sort(), gzipBytes }
}

export function budgetReport(size: InitialJsSize, budgetBytes: number): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
  const verdict = size.gzipBytes <= budgetBytes ? 'MET' : 'MISSED'
  return `initial JS (${size.files.length} file${size.files.length === 1 ? '' : 's'}): ${kb(size.gzipBytes)} gzipped, target ${kb(budgetBytes)}: ${verdict}`
}

/** Prints the initial-JS gzip size against the budget after every build; fails it when missed. */
export function initialJsBudget({
  budgetKb,
  failOnMiss = true,
}: {
  budgetKb: number
  failOnMiss?: boolean
}): Plugin {
  let logger: Logger | undefined
  let report: string | undefined
  return {
    name: 'sfp:initial-js-budget',
    apply: 'build',
    configResolved(config) {
      logger = config.logger
    },
    generateBundle(_options, bundle) {
      const budgetBytes = budgetKb * 1024
      const size = measureInitialJs(bundle)
      report = budgetReport(size, budgetBytes)
      if (size.gzipBytes > budgetBytes && failOnMiss) this.error(report)
    },
    // Printed last, below Vite's own file list, where it is seen.
    closeBundle() {
      if (report === undefined) return
      if (report.endsWith('MET')) logger?.info(report)
      else logger?.warn(report)
    },
  }
}
