/** Small order statistics for latency samples (milliseconds unless said otherwise). */

export interface Summary {
  count: number
  p50: number
  p99: number
  max: number
}

/** The q-quantile of values already sorted ascending (nearest rank); NaN when empty. */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort()
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = sortedCopy(values)
  return {
    count: sorted.length,
    p50: quantileOfSorted(sorted, 0.5),
    p99: quantileOfSorted(sorted, 0.99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
  }
}

export function median(values: readonly number[]): number {
  return quantileOfSorted(sortedCopy(values), 0.5)
}

/** Rounded for the results file: enough digits for microseconds, no float noise. */
export function rounded(value: number, digits = 3): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}
