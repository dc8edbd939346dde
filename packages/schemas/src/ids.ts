import { z } from 'zod'

/**
 * A row id as it arrives in a path or a query string: decimal digits only. `Number()` (and
 * `z.coerce.number()`) would also read `0x4`, `4e0`, `+4` or ` 4` as 4, letting one id pass
 * for another.
 */
export const decimalId = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .regex(/^[1-9][0-9]{0,14}$/, { error: `must be ${what}` })
    .transform(Number)
