import {
  describeIssues,
  type FieldIssue,
  type PriceEntry,
  type PutPricesBody,
  putPricesBodySchema,
} from '@sfp/schemas'

/** One row as typed: the numbers stay text until Save, so a half-typed "0." is not lost. */
export interface PriceRow {
  /** Only for React: rows have no identity of their own (the model name may be edited). */
  key: number
  model: string
  inputPerMillion: string
  outputPerMillion: string
}

export type PriceColumn = 'model' | 'inputPerMillion' | 'outputPerMillion'

let nextRowKey = 1

export function emptyRow(): PriceRow {
  return { key: nextRowKey++, model: '', inputPerMillion: '', outputPerMillion: '' }
}

export function rowsOf(prices: readonly PriceEntry[]): PriceRow[] {
  return prices.map((entry) => ({
    key: nextRowKey++,
    model: entry.model,
    inputPerMillion: String(entry.inputPerMillion),
    outputPerMillion: String(entry.outputPerMillion),
  }))
}

/** A price as people type it: decimal digits, maybe a point and a sign (never `0x10` or `1e3`). */
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/

/** Text to number for the schema; an empty or non-decimal cell becomes NaN, which it refuses. */
function amount(text: string): number {
  const trimmed = text.trim()
  return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN
}

/**
 * The rows as the PUT body, checked with the server's own schema so the page words a bad cell
 * exactly as a 400 would be worded (fields named `body.prices.<i>.<column>`).
 */
export function bodyOfRows(
  rows: readonly PriceRow[],
): { ok: true; body: PutPricesBody } | { ok: false; issues: FieldIssue[] } {
  const parsed = putPricesBodySchema.safeParse({
    prices: rows.map((row) => ({
      model: row.model,
      inputPerMillion: amount(row.inputPerMillion),
      outputPerMillion: amount(row.outputPerMillion),
    })),
  })
  if (parsed.success) return { ok: true, body: parsed.data }
  return { ok: false, issues: describeIssues(parsed.error.issues, 'body').fields }
}

export type ImportResult =
  | { ok: true; prices: PriceEntry[] }
  | { ok: false; notJson: true }
  | { ok: false; notJson: false; issues: FieldIssue[] }

/**
 * An imported file or pasted text: `{ prices }` as exported. The answer of GET /prices is taken
 * too (its `updatedAt` dropped), since a copy saved with curl is the likely other source.
 */
export function parsePricesImport(text: string): ImportResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, notJson: true }
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'updatedAt' in value
  ) {
    const { updatedAt: _dropped, ...rest } = value as Record<string, unknown>
    value = rest
  }
  const parsed = putPricesBodySchema.safeParse(value)
  if (parsed.success) return { ok: true, prices: parsed.data.prices }
  return { ok: false, notJson: false, issues: describeIssues(parsed.error.issues, 'body').fields }
}

/** Where a refused field is in the table: `body.prices.3.inputPerMillion` is row 3, that column. */
export function issuePlace(issue: FieldIssue): { row: number; column: PriceColumn } | null {
  const match = /^body\.prices\.(\d+)\.(model|inputPerMillion|outputPerMillion)$/.exec(issue.field)
  if (match === null) return null
  return { row: Number(match[1]), column: match[2] as PriceColumn }
}

/** The file the export saves: the same shape the import and `PUT /prices` take. */
export function exportText(prices: readonly PriceEntry[]): string {
  return `${JSON.stringify({ prices }, null, 2)}\n`
}
