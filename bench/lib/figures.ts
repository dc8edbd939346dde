/** One line of the result table: a measured figure and, when it has one, its target. */
export interface Figure {
  /** Scenario number and short title, e.g. `1 first byte`. */
  scenario: string
  name: string
  value: number
  unit: string
  /** The printed target, e.g. `<= 0.5 ms`; absent for figures shown for comparison only. */
  target?: string
  verdict: 'MET' | 'MISSED' | 'info'
}

export interface FigureTarget {
  /** The figure must be at most (`<=`) or at least (`>=`) `limit`. */
  op: '<=' | '>='
  limit: number
  /** How the target is printed; default `<op> <limit> <unit>`. */
  text?: string
}

export function figure(
  scenario: string,
  name: string,
  value: number,
  unit: string,
  target?: FigureTarget,
): Figure {
  if (target === undefined) return { scenario, name, value, unit, verdict: 'info' }
  const met = target.op === '<=' ? value <= target.limit : value >= target.limit
  return {
    scenario,
    name,
    value,
    unit,
    target: target.text ?? `${target.op} ${formatNumber(target.limit)} ${unit}`.trim(),
    // NaN (nothing measured) is never MET.
    verdict: met ? 'MET' : 'MISSED',
  }
}

/** Three significant digits for small numbers, thousands separators for large ones. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const magnitude = Math.abs(value)
  if (magnitude >= 1000 || Number.isInteger(value)) return Math.round(value).toLocaleString('en-US')
  if (magnitude >= 100) return value.toFixed(0)
  if (magnitude >= 10) return value.toFixed(1)
  if (magnitude >= 1) return value.toFixed(2)
  return value.toFixed(3)
}
