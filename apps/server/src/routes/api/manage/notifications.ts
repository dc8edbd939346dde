import {
  createNotificationBodySchema,
  describeIssues,
  notificationIdParamsSchema,
  patchNotificationBodySchema,
  patchNotificationTarget,
} from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { NotFound, ValidationFailed } from '../../../errors.js'
import { parseInput } from '../../../validation.js'

const notFound = (id: number) => new NotFound(`No notification target with id ${id}`)

/**
 * Notification targets (docs/behaviour.md, notifications). Answers show the URL masked and only
 * whether a secret is stored: neither a robot's token nor a signing secret ever leaves.
 */
const notificationsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/notifications', async () => app.notifications.list())

  app.post('/notifications', async (request, reply) => {
    const fields = parseInput(createNotificationBodySchema, request.body, 'body')
    return reply.status(201).send(await app.notifications.create(fields))
  })

  app.patch('/notifications/:id', async (request) => {
    const { id } = parseInput(notificationIdParamsSchema, request.params, 'params')
    const patch = parseInput(patchNotificationBodySchema, request.body, 'body')
    const current = app.notifications.fields(id)
    if (current === undefined) throw notFound(id)
    // The edit checked as a whole under the target's kind (a chatId on a webhook, a Telegram
    // target left without its token).
    const merged = patchNotificationTarget(current, patch)
    if (!merged.success) {
      const { message, fields } = describeIssues(merged.error.issues, 'body')
      throw Object.assign(new ValidationFailed(message), { fields })
    }
    const view = await app.notifications.update(id, merged.data)
    if (view === undefined) throw notFound(id)
    return view
  })

  app.delete('/notifications/:id', async (request, reply) => {
    const { id } = parseInput(notificationIdParamsSchema, request.params, 'params')
    if (!(await app.notifications.remove(id))) throw notFound(id)
    return reply.status(204).send()
  })

  app.post('/notifications/:id/test', async (request) => {
    const { id } = parseInput(notificationIdParamsSchema, request.params, 'params')
    const result = await app.notifications.test(id)
    if (result === undefined) throw notFound(id)
    return result
  })
}

export default notificationsRoutes
