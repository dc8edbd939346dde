import { z } from 'zod'
import { envSchema } from './config.js'
import { customRule } from './errors.js'

const envRule = envSchema.shape.ADMIN_PASSWORD.unwrap()
/** ADMIN_PASSWORD's own length limits (8 to 1024), so both ways to set the password agree. */
export const ADMIN_PASSWORD_MIN_LENGTH = envRule.minLength ?? 8
export const ADMIN_PASSWORD_MAX_LENGTH = envRule.maxLength ?? 1024

/** A new admin password: ADMIN_PASSWORD's rule, explained for a form rather than for `.env`. */
export const adminPasswordSchema = z
  .string({ error: 'must be a string' })
  .min(ADMIN_PASSWORD_MIN_LENGTH, {
    error: `must be at least ${ADMIN_PASSWORD_MIN_LENGTH} characters`,
  })
  .max(ADMIN_PASSWORD_MAX_LENGTH, {
    error: `must be at most ${ADMIN_PASSWORD_MAX_LENGTH} characters`,
  })

/** `GET /api/manage/admin-password`: whether the dashboard may change the password. */
export const adminPasswordStateSchema = z.object({
  /** ADMIN_PASSWORD is set: the password comes from the environment and cannot change here. */
  managedByEnv: z.boolean(),
})
export type AdminPasswordState = z.infer<typeof adminPasswordStateSchema>

/** `PUT /api/manage/admin-password`: the current password again, and the new one. */
export const changeAdminPasswordBodySchema = z
  .strictObject({
    currentPassword: z
      .string({ error: 'must be a string' })
      .min(1, { error: 'must not be empty' })
      .max(1024, { error: 'must be at most 1024 characters' }),
    newPassword: adminPasswordSchema,
  })
  .refine((body) => body.newPassword !== body.currentPassword, {
    path: ['newPassword'],
    error: 'must differ from the current password',
    ...customRule({ kind: 'differs_from', field: 'currentPassword' }),
  })
export type ChangeAdminPasswordBody = z.infer<typeof changeAdminPasswordBodySchema>
