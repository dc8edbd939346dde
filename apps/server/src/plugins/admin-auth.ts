import { timingSafeEqual } from 'node:crypto'
import basicAuth from '@fastify/basic-auth'
import { SETTING } from '@sfp/db'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { CrossSiteRequest, TooManyFailedLogins, Unauthorized, withRetryAfter } from '../errors.js'
import { createLoginThrottle } from '../login-throttle.js'
import { secretsEqual, sha256, verifyPassword } from '../password.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook guarding the admin API and /metrics: it runs before the body is read, so a
     * caller without the password cannot make the server parse a large body first.
     */
    adminAuth: onRequestAsyncHookHandler
  }
}

export interface AdminAuthOptions {
  /** ADMIN_PASSWORD; when unset the hash stored at first boot is used. */
  adminPassword: string | undefined
  /** The clock of the failed-login window (the app's clock; tests move it by hand). */
  now?: () => number
}

export const ADMIN_USER = 'admin'

/** The dashboard marks its calls so that a 401 does not pop up the browser's own login dialog. */
export const DASHBOARD_CLIENT_HEADER = 'x-sfp-client'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** `host[:port]` as a Host header or an origin holds it: a DNS name or IPv4, or an IPv6 literal. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::[0-9]{1,5})?$/
/** A serialized origin as browsers send it: `http(s)://authority`, no user, path, query or slash. */
const SERIALIZED_ORIGIN = /^(https?):\/\/([^/?#@\\\s]+)$/i

/**
 * `scheme://host:port` with the default port (80, 443) written out and the host as the URL parser
 * normalizes it (lower case, IPv6 compressed, IPv4 dotted), so two spellings of one origin are
 * one string; undefined when `scheme` is not http(s) or `authority` is not a plain `host[:port]`.
 */
function originKey(scheme: string, authority: string): string | undefined {
  const protocol = scheme.toLowerCase()
  if ((protocol !== 'http' && protocol !== 'https') || !AUTHORITY.test(authority)) return undefined
  try {
    const url = new URL(`${protocol}://${authority}`)
    return `${url.protocol}//${url.hostname}:${url.port || (protocol === 'https' ? '443' : '80')}`
  } catch {
    return undefined
  }
}

/**
 * This server's origin as the client addressed it: `request.protocol` and `request.host`, which
 * behind TRUST_PROXY are the `X-Forwarded-Proto` and `X-Forwarded-Host` of the one trusted hop
 * (Fastify takes the last entry of each, the one that hop wrote) and otherwise the socket's TLS and
 * the `Host` header.
 */
function ownOrigin(request: FastifyRequest): string | undefined {
  // Typed as 'http' | 'https', but a forwarded value is whatever the proxy wrote, or absent.
  const protocol: unknown = request.protocol
  return typeof protocol === 'string' ? originKey(protocol, request.host) : undefined
}

/**
 * A state-changing request must come from this origin, so another site's page cannot drive the
 * admin API with a user's stored credentials. Browsers say where a request comes from in
 * `Sec-Fetch-Site`, trusted when present (`same-origin`, or `none` for a user's own action, pass):
 * a reverse proxy may rewrite `Host` (nginx's `Host $proxy_host`), so `Origin` would not match it
 * even for our own dashboard. Without it, `Origin` must be this server's origin as the client
 * addressed it (`ownOrigin`): same scheme, host (any case) and port (80/443 written or not).
 * `Origin: null`, other opaque origins and anything that is not a plain `http(s)://host[:port]`
 * are cross-site. Tools like curl send neither header and are let through (they hold the password
 * anyway).
 */
function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = request.headers.origin
  if (origin === undefined) return false
  const parts = SERIALIZED_ORIGIN.exec(origin)
  const theirs = parts ? originKey(parts[1] ?? '', parts[2] ?? '') : undefined
  if (theirs === undefined) return true
  return theirs !== ownOrigin(request)
}

export default fp<AdminAuthOptions>(
  async (app, { adminPassword, now = Date.now }) => {
    const throttle = createLoginThrottle({ now })
    const storedHash =
      adminPassword === undefined ? app.database.settings.get(SETTING.adminPasswordHash) : undefined
    if (adminPassword === undefined && storedHash === undefined) {
      throw new Error('admin password hash missing: the first-boot plugin must run first')
    }
    /** SHA-256 of the last password that passed scrypt, so each request does not pay scrypt again. */
    let verifiedDigest: Buffer | undefined

    async function passwordMatches(password: string): Promise<boolean> {
      if (adminPassword !== undefined) return secretsEqual(password, adminPassword)
      const digest = sha256(password)
      if (verifiedDigest && timingSafeEqual(digest, verifiedDigest)) return true
      const ok = await verifyPassword(password, storedHash ?? '')
      if (ok) verifiedDigest = digest
      return ok
    }

    await app.register(basicAuth, {
      authenticate: { realm: 'SiliconFlow Proxy' },
      async validate(user, password, request) {
        const waitSeconds = throttle.blockedFor(request.ip)
        if (waitSeconds > 0) throw withRetryAfter(new TooManyFailedLogins(waitSeconds), waitSeconds)
        // Both checks always run, so timing does not tell which of the two was wrong.
        const userOk = secretsEqual(user, ADMIN_USER)
        const passwordOk = await passwordMatches(password)
        if (!userOk || !passwordOk) {
          throttle.recordFailure(request.ip)
          throw new Unauthorized()
        }
        throttle.recordSuccess(request.ip)
      },
    })

    const authenticate = app.basicAuth as unknown as (
      request: FastifyRequest,
      reply: FastifyReply,
      done: (error?: Error) => void,
    ) => void

    app.decorate('adminAuth', async function adminAuth(request, reply) {
      // Checked first: another site's page must not even spend the user's login attempts.
      if (!SAFE_METHODS.has(request.method) && isCrossSite(request)) throw new CrossSiteRequest()
      await new Promise<void>((resolve, reject) =>
        authenticate(request, reply, (error) => (error ? reject(error) : resolve())),
      )
    } satisfies onRequestAsyncHookHandler)

    app.addHook('onSend', async (request, reply) => {
      if (request.headers[DASHBOARD_CLIENT_HEADER] !== undefined)
        reply.removeHeader('www-authenticate')
    })
  },
  { name: 'admin-auth', fastify: '5.x', dependencies: ['database', 'first-boot'] },
)
