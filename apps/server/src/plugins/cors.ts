import { ALLOWED_METHODS, RETURNED_HEADERS } from '@sfp/proxy'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

export interface CorsOptions {
  /** CORS_ORIGINS: `*`, or the origins allowed, each as browsers write `Origin`. */
  origins: '*' | readonly string[]
}

/** How long a browser may reuse a preflight's answer (Chromium keeps it at most 2 h). */
export const CORS_MAX_AGE_SECONDS = 600

/**
 * What a page may read of an answer besides the CORS-safelisted headers: our request id, and
 * what the proxy passes on from the upstream (`RETURNED_HEADERS`), `Allow` of a 405 too.
 */
export const EXPOSED_HEADERS = [...new Set(['x-request-id', ...RETURNED_HEADERS, 'allow'])].join(
  ', ',
)

/** A header name (RFC 9110 token); anything else in `Access-Control-Request-Headers` is dropped. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * A browser's preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`, and never a
 * body. One that declares a body is not one: it goes on to the key check and the 405 like any
 * other OPTIONS, so a 204 never leaves an unread body on a kept connection.
 */
const isPreflight = (request: FastifyRequest) =>
  request.method === 'OPTIONS' &&
  request.headers.origin !== undefined &&
  request.headers['access-control-request-method'] !== undefined &&
  request.headers['transfer-encoding'] === undefined &&
  (request.headers['content-length'] === undefined || request.headers['content-length'] === '0')

/**
 * CORS for the routes of the scope it is registered in (the proxy routes: app.ts registers it
 * next to each of their prefixes, never for the admin API, whose only client is the dashboard on
 * its own origin). Browser pages call the proxy with `Authorization: Bearer <client key>`, never
 * with cookies, so credentials are not allowed and `*` is safe: the key is the protection.
 *
 * - A preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) is answered 204 here,
 *   before the client key is checked and before the proxy's 405 for methods it does not forward:
 *   a browser never sends a key with it. An allowed origin gets the methods the proxy forwards
 *   and the request headers it asked for (the client key's headers, `content-type`, an SDK's own
 *   `x-stainless-*` ones...: none of them is forwarded upstream anyway); another gets none.
 * - Every other answer of these routes, errors made by the proxy (401, 405, 429, 503...) and
 *   upstream answers passed on (streams included) alike, gets `Access-Control-Allow-Origin` and
 *   `Access-Control-Expose-Headers` in `onSend`, so that the page can read it. The upstream's own
 *   `Access-Control-*` headers never reach the client: the proxy returns an allow-list.
 *
 * With a list of origins every answer varies by `Origin`, so caches keep them apart.
 */
/** Where CORS headers are written: Fastify's reply, or the front door's (`RawReply`). */
export interface HeaderTarget {
  getHeader(name: string): unknown
  header(name: string, value: string): unknown
}

/**
 * The answer headers every non-preflight answer of the proxy routes gets (see `cors` below), for
 * the request's `Origin`. Built once per setting: Fastify's `onSend` hook below and the server's
 * front door (src/http/front-door.ts) both call it.
 */
export function corsAnswerHeaders(
  origins: CorsOptions['origins'],
): (origin: string | undefined, target: HeaderTarget) => void {
  const allowOrigin = originAllowed(origins)
  return (origin, target) => {
    if (origins !== '*') varyByOrigin(target)
    const allowed = allowOrigin(origin)
    if (allowed !== undefined) {
      target.header('access-control-allow-origin', allowed)
      target.header('access-control-expose-headers', EXPOSED_HEADERS)
    }
  }
}

/** What `Access-Control-Allow-Origin` says to a request from `origin`: none if not allowed. */
function originAllowed(
  origins: CorsOptions['origins'],
): (origin: string | undefined) => string | undefined {
  if (origins === '*') return () => '*'
  const allowed = new Set(origins)
  return (origin) => (origin !== undefined && allowed.has(origin) ? origin : undefined)
}

/** With a list of origins, every answer varies by `Origin`: added to `Vary` once. */
function varyByOrigin(target: HeaderTarget): void {
  const vary = target.getHeader('vary')
  const present = typeof vary === 'string' ? vary : undefined
  if (present?.split(',').some((name) => name.trim().toLowerCase() === 'origin')) return
  target.header('vary', present ? `${present}, Origin` : 'Origin')
}

const cors = fp<CorsOptions>(
  async (app, { origins }) => {
    const allowOrigin = originAllowed(origins)
    const answerHeaders = corsAnswerHeaders(origins)

    // Callback hooks: they run on every proxied request, and an async hook costs a promise each.
    app.addHook('onRequest', (request, reply, done) => {
      if (!isPreflight(request)) {
        done()
        return
      }
      if (origins !== '*') varyByOrigin(reply)
      const origin = allowOrigin(request.headers.origin)
      if (origin !== undefined) {
        reply.header('access-control-allow-origin', origin)
        reply.header('access-control-allow-methods', ALLOWED_METHODS)
        const asked = requestedHeaders(request.headers['access-control-request-headers'])
        if (asked !== '') reply.header('access-control-allow-headers', asked)
        reply.header('access-control-max-age', String(CORS_MAX_AGE_SECONDS))
      }
      // Answered here: the request goes no further (`done` is not called).
      reply.code(204).send()
    })

    app.addHook('onSend', (request, reply, payload, done) => {
      if (!isPreflight(request)) answerHeaders(request.headers.origin, reply)
      done(null, payload)
    })
  },
  { name: 'cors', fastify: '5.x' },
)

/** `Access-Control-Request-Headers` as asked, header names only, lower case and each once. */
function requestedHeaders(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '')
  const names = text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => TOKEN.test(name))
  return [...new Set(names)].join(', ')
}

export default cors
