import { z } from 'zod'

/**
 * Which of SiliconFlow's limits a 429 named (docs/behaviour.md §4, docs/upstream.md §5): per
 * minute (RPM, TPM, IPM) keeps the escalating cooldown; per hour (RPH) cools the key until the
 * next full hour, per day (RPD, TPD, IPD, and the 100 requests a day of accounts without
 * real-name verification) until the next midnight in China Standard Time.
 */
export const RATE_LIMIT_CLASSES = ['minute', 'hour', 'day'] as const
export const rateLimitClassSchema = z.enum(RATE_LIMIT_CLASSES)
export type RateLimitClass = z.infer<typeof rateLimitClassSchema>
