export interface BoundedLabelOptions {
  /** Distinct values kept; any further value is reported as `overflowValue`. */
  maxValues: number
  /** Longer values are cut to this many characters. */
  maxLength: number
  overflowValue?: string
  /** Stands for a missing value. */
  missingValue?: string
}

/** A key-like string (`sk-...`): never a label value, whatever a client put in its request. */
const KEY_LIKE = /\bsk-[\w-]{6,}/g

/**
 * Turns free text from requests (a model name) into a label value with a bounded number of
 * distinct values: each distinct label value is a time series kept forever by Prometheus, and
 * clients choose these strings. The first `maxValues` values seen are kept; later ones share one.
 */
export function createBoundedLabel({
  maxValues,
  maxLength,
  overflowValue = 'other',
  missingValue = 'unknown',
}: BoundedLabelOptions): (value: string | null) => string {
  const seen = new Set<string>()
  return (value) => {
    if (value === null || value === '') return missingValue
    const label = value.replace(KEY_LIKE, 'sk-…').slice(0, maxLength)
    if (seen.has(label)) return label
    if (seen.size >= maxValues) return overflowValue
    seen.add(label)
    return label
  }
}
