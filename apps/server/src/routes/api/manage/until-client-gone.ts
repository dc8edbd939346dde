import type { FastifyReply } from 'fastify'

/**
 * Aborted when the admin's connection closes before the answer is finished: a check waiting for
 * a lane's slot leaves the queue, one in flight is cut.
 */
export function untilClientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort()
  })
  return controller.signal
}
