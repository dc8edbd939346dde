import { z } from 'zod'

/**
 * SiliconFlow's `GET /v1/user/info` answer, as far as the key pool reads it. Tolerant: unknown
 * fields are accepted and left out of the result (not copied: the pool parses one after every
 * AUTO_QUERY_BALANCE_AFTER_CALLS successes), and only what the pool decides on is required.
 * @see docs/upstream.md §3: amounts are strings (CNY), `totalBalance` = gift + paid, may be
 * negative. `balance` is only the gift balance and is deliberately not read.
 */

/** A decimal amount: `"88.88"`, `"-0.5"`, `" 12 "`; JSON numbers too. Not `""`, `"NaN"`, `"1e3"`. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/

// The string first: it is what upstream sends, and a union tries its options in order.
export const upstreamAmountSchema = z.union([
  z.string().trim().regex(DECIMAL, { error: 'must be a decimal amount' }).transform(Number),
  z.number(),
])

export const upstreamUserInfoSchema = z.object({
  data: z.object({
    totalBalance: upstreamAmountSchema,
    /** `normal` unless the account is restricted (meaning of other values unconfirmed). */
    status: z.string().optional(),
  }),
})
export type UpstreamUserInfo = z.output<typeof upstreamUserInfoSchema>
