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

/**
 * A state-changing request must come from this origin, so another site's page cannot drive the
 * admin API with a user's stored credentials. Browsers say where a request comes from in
 * `Sec-Fetch-Site`, trusted when present: a reverse proxy may rewrite `Host` (nginx's
 * `Host $proxy_host`), so `Origin` would not match it even for our own dashboard. Without it,
 * `Origin` is compared with the host the client asked for (`request.host`: `X-Forwarded-Host`
 * when it comes from the trusted proxy).
 * Tools like curl send neither and are let through (they hold the password anyway).
 */
function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = request.headers.origin
  if (origin === undefined) return false
  try {
    return new URL(origin).host !== request.host
  } catch {
    return true // `Origin: null` and other opaque origins
  }
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
