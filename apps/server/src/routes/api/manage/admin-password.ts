import createError from '@fastify/error'
import { type AdminPasswordState, changeAdminPasswordBodySchema } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { parseInput } from '../../../validation.js'

const WrongCurrentPassword = createError(
  'SFP_WRONG_CURRENT_PASSWORD',
  'The current admin password is wrong',
  403,
)
const AdminPasswordFromEnv = createError(
  'SFP_ADMIN_PASSWORD_FROM_ENV',
  'The admin password comes from ADMIN_PASSWORD in the environment: change it there and restart',
  409,
)

/**
 * The admin password from the dashboard, when ADMIN_PASSWORD does not fix it. Only the scrypt
 * hash is stored; every browser still holding the old password gets 401 on its next call.
 */
const adminPasswordRoutes: FastifyPluginAsync = async (app) => {
  const { adminLogin } = app

  app.get(
    '/admin-password',
    async (): Promise<AdminPasswordState> => ({ managedByEnv: adminLogin.managedByEnv }),
  )

  app.put(
    '/admin-password',
    // The current password is checked below and counts for the failed-login throttle itself.
    { config: { confirmsAdminPassword: true } },
    async (request, reply) => {
      if (adminLogin.managedByEnv) throw new AdminPasswordFromEnv()
      const body = parseInput(changeAdminPasswordBodySchema, request.body, 'body')
      if (!(await adminLogin.confirm(request, body.currentPassword))) {
        throw new WrongCurrentPassword()
      }
      await adminLogin.change(body.newPassword)
      request.log.info('admin password changed')
      return reply.status(204).header('cache-control', 'no-store').send()
    },
  )
}

export default adminPasswordRoutes
