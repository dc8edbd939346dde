import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { PresentedCredentials } from './hostile-credentials.js'
import type { HostileBody } from './hostile-input.js'

export type Method = NonNullable<InjectOptions['method']>

/** One generated request, as the admin and proxy properties build it. */
export interface HostileRequest {
  method: Method
  /** From the root, query included. */
  url: string
  body: HostileBody
  headers: Record<string, string>
  credentials: PresentedCredentials
}

/**
 * Send a generated request as a client would (its headers, then the credentials and the body's
 * content type) and check what every property requires of the answer: never a 5xx, and only a
 * 4xx without valid credentials. `context` names the request in assertion messages.
 */
export async function sendHostile(
  app: FastifyInstance,
  request: HostileRequest,
): Promise<{ response: LightMyRequestResponse; status: number; context: string }> {
  const { body, credentials } = request
  const response = await app.inject({
    method: request.method,
    url: request.url,
    headers: {
      ...request.headers,
      ...credentials.headers,
      ...(body.contentType === undefined ? {} : { 'content-type': body.contentType }),
    },
    ...(body.payload === undefined ? {} : { payload: body.payload }),
    ...(credentials.remoteAddress === undefined
      ? {}
      : { remoteAddress: credentials.remoteAddress }),
  })
  const status = response.statusCode
  const shown = credentials.valid ? '' : `${JSON.stringify(credentials).slice(0, 300)} `
  const context = `${request.method} ${request.url} ${shown}-> ${status} ${response.body.slice(0, 300)}`
  // Without valid credentials: 401, 403 (cross-site), 429 (throttled), or a 4xx before the check.
  expect(status, context).toBeGreaterThanOrEqual(credentials.valid ? 200 : 400)
  expect(status, context).toBeLessThan(500)
  return { response, status, context }
}
