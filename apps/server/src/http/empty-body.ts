import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errorCodes } from 'fastify'

/**
 * The one rule for bodies on the app's own routes: an empty body is no body, whatever content
 * type it announces. Browsers and HTTP libraries (the old siliconflowProxy's page among them)
 * send DELETE and PUT with `Content-Type: application/json` and nothing after it; Fastify would
 * answer that 400 invalid_json, and an unknown type 415, before the route ran. Routes that take
 * no body now run; a route that takes one validates `undefined` as a missing body (400
 * validation_error naming the fields). A non-empty body is parsed as before: JSON by Fastify's
 * own parser (400 invalid_json when malformed), text as text, other types 415.
 *
 * Registered on the root instance, so every route inherits it except the proxy routes, which
 * replace every parser with their own (they forward bodies byte for byte).
 */
export function acceptEmptyBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error')
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (request: FastifyRequest, body: string | Buffer, done) => {
      if (body.length === 0) {
        done(null, undefined)
        return
      }
      parseJson(request, body as string, done)
    },
  )
  // Any other type with no parser of its own: an empty body is no body, anything else 415 as
  // before (refused without reading it). Emptiness is known from the head: `Content-Length: 0`,
  // or neither length nor chunked encoding.
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    const { 'content-length': length, 'transfer-encoding': encoding } = request.headers
    if (length === '0' || (length === undefined && encoding === undefined)) {
      done(null, undefined)
      return
    }
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']), undefined)
  })
}
