import { describe, expect, it } from 'vitest'
import { budgetReport, measureInitialJs } from '../../build-tools/initial-js-budget.js'

const chunk = (fileName: string, isEntry: boolean, imports: string[], code: string) => ({
  type: 'chunk' as const,
  fileName,
  isEntry,
  imports,
  code,
})

describe('initial JS budget', () => {
  it('counts entry chunks and their static imports, not lazy chunks or assets', () => {
    const bundle = {
      'index.js': chunk('index.js', true, ['shared.js'], 'a'.repeat(1000)),
      'shared.js': chunk('shared.js', false, ['index.js'], 'b'.repeat(1000)),
      'lazy.js': chunk('lazy.js', false, ['shared.js'], 'c'.repeat(100_000)),
      'index.css': { type: 'asset' as const },
    }
    const size = measureInitialJs(bundle)
    expect(size.files).toEqual(['index.js', 'shared.js'])
    expect(size.gzipBytes).toBeGreaterThan(0)
    expect(size.gzipBytes).toBeLessThan(200)
  })

  it('reports MET or MISSED against the target', () => {
    expect(budgetReport({ files: ['a.js'], gzipBytes: 100 * 1024 }, 250 * 1024)).toBe(
      'initial JS (1 file): 100.0 KB gzipped, target 250.0 KB: MET',
    )
    expect(budgetReport({ files: ['a.js', 'b.js'], gzipBytes: 300 * 1024 }, 250 * 1024)).toMatch(
      /\(2 files\): 300\.0 KB .*: MISSED$/,
    )
  })
})
