import { z } from 'zod'
import { type CustomFieldRule, customRule } from './errors.js'

/**
 * The one spelling of an integer accepted in a path or a query string: ASCII decimal digits, no
 * leading zero (`0` itself is fine). No sign, spaces, fraction (`4.0`), exponent (`4e0`), `0x`/`0o`/
 * `0b` prefix, `_` separators or non-ASCII digits (`４`) — all of which `Number()` or
 * `z.coerce.number()` either read as some number or a lenient parser might.
 */
const DECIMAL_INTEGER = /^(?:0|[1-9][0-9]*)$/

/** How a text is refused: the English reason (`reason`) and the rule the dashboard words. */
export interface TextRefusal {
  message: string
  rule: CustomFieldRule
}

export interface DecimalIntegerOptions {
  /** Smallest value accepted (a safe integer, at least 0). */
  min: number
  /** Largest value accepted; at most `Number.MAX_SAFE_INTEGER`, so no two texts read as one number. */
  max: number
  /** The refusal of anything else; defaults to naming the range. */
  refusal?: TextRefusal
}

/**
 * An integer as it arrives in a path or a query string, read only from its canonical decimal
 * text (see `DECIMAL_INTEGER`) and only within `[min, max]`. Anything else (including an array,
 * as a repeated query key gives) is one issue with `refusal`, so a route answers 400 naming the
 * field before it changes anything. Texts past `Number.MAX_SAFE_INTEGER` are refused: they would
 * round to a neighbour's value.
 */
export function decimalInteger({ min, max, refusal }: DecimalIntegerOptions) {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || min > max) {
    throw new RangeError(`decimalInteger: bad range ${min}..${max}`)
  }
  const { message, rule } = refusal ?? {
    message: `must be a decimal integer from ${min} to ${max}`,
    rule: { kind: 'decimal_integer', minimum: min, maximum: max },
  }
  return z.string({ error: message }).transform((text, ctx) => {
    const value = DECIMAL_INTEGER.test(text) ? Number(text) : Number.NaN
    if (value >= min && value <= max) return value
    ctx.issues.push({ code: 'custom', message, input: text, ...customRule(rule) })
    return z.NEVER
  })
}

/**
 * A row id as it arrives in a path or a query string: a decimal integer from 1 to
 * `Number.MAX_SAFE_INTEGER`. `Number()` (and `z.coerce.number()`) would also read `0x4`, `4e0`,
 * `+4` or ` 4` as 4, letting one id pass for another.
 */
export const decimalId = (what: string) =>
  decimalInteger({
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    refusal: { message: `must be ${what}`, rule: { kind: 'id' } },
  })
