import { timingSafeEqual } from 'node:crypto'
import { SETTING } from '@sfp/db'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { CrossSiteRequest, TooManyFailedLogins, Unauthorized, withRetryAfter } from '../errors.js'
import { isSafeMethod } from '../http/safe-methods.js'
import { createLoginThrottle } from '../login-throttle.js'
import { hashPassword, secretsEqual, sha256, verifyPassword } from '../password.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook guarding the admin API and /metrics: it runs before the body is read, so a
     * caller without the password cannot make the server parse a large body first.
     */
    adminAuth: onRequestAsyncHookHandler
    /** The admin password itself: whether it can change, checking it again, changing it. */
    adminLogin: AdminLogin
  }
  interface FastifyContextConfig {
    /**
     * The route checks the admin password again itself (`adminLogin.confirm`), so a login that
     * passes `adminAuth` does not clear this address's failed logins: the route's own verdict does.
     */
    confirmsAdminPassword?: boolean
  }
}

export interface AdminLogin {
  /** ADMIN_PASSWORD is set: the password comes from the environment and cannot change here. */
  readonly managedByEnv: boolean
  /**
   * Whether `password` is the current admin password, counted by the failed-login throttle like
   * a login (429 `too_many_failed_logins` while the address is blocked).
   */
  confirm(request: FastifyRequest, password: string): Promise<boolean>
  /**
   * Store the scrypt hash of a new password (only when not `managedByEnv`). Every credential
   * holding the old one fails from the next request on.
   */
  change(password: string): Promise<void>
}

export interface AdminAuthOptions {
  /** ADMIN_PASSWORD; when unset the stored hash (made at first boot, changed in the dashboard). */
  adminPassword: string | undefined
}

export const ADMIN_USER = 'admin'

/** The challenge of a 401, as earlier builds sent it, so browsers and tools see no change. */
const CHALLENGE = 'Basic realm="SiliconFlow Proxy", charset="UTF-8"'

/** `Basic <token68>` (RFC 7617), the scheme in any case. */
const BASIC = /^basic ([\w.~+/-]+=*)$/i
/** `Bearer <password>`: the old program's admin header; the password is any text (no controls). */
const BEARER = /^bearer[ \t]+(.+)$/is
/** RFC 7617 `user-pass`: the user name ends at the first colon. */
const USER_PASS = /^([^:]*):(.*)$/su
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\x00-\x1f\x7f]/

type Credentials = { user: string | undefined; password: string }

/**
 * Node reads header bytes as Latin-1; a client that sent a UTF-8 password (curl does) gets it
 * back as UTF-8. Text that is not valid UTF-8 stays as it came.
 */
function headerText(value: string): string {
  if (!/[\u0080-\uffff]/.test(value) || /[\u0100-\uffff]/.test(value)) return value
  const decoded = Buffer.from(value, 'latin1').toString('utf8')
  return decoded.includes('\uFFFD') ? value : decoded
}

/**
 * The admin's credentials from `Authorization`: `Basic admin:<password>` (the dashboard, browsers)
 * or `Bearer <password>` (the old program's clients, scripts). Undefined when missing or malformed.
 */
function readCredentials(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined
  const basic = BASIC.exec(header)
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8')
    if (CONTROL.test(decoded)) return undefined
    const userPass = USER_PASS.exec(decoded)
    return userPass ? { user: userPass[1] ?? '', password: userPass[2] ?? '' } : undefined
  }
  const bearer = BEARER.exec(header.trim())
  if (!bearer || CONTROL.test(bearer[1] ?? '')) return undefined
  return { user: undefined, password: headerText(bearer[1] ?? '') }
}

/** The dashboard marks its calls so that a 401 does not pop up the browser's own login dialog. */
export const DASHBOARD_CLIENT_HEADER = 'x-sfp-client'

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
  async (app, { adminPassword }) => {
    const throttle = createLoginThrottle({ now: app.clock.now })
    const { settings } = app.database
    if (
      adminPassword === undefined &&
      (await settings.get(SETTING.adminPasswordHash)) === undefined
    ) {
      throw new Error('admin password hash missing: the first-boot plugin must run first')
    }
    /**
     * The last password that passed scrypt (its SHA-256) and the hash it passed against, so each
     * request does not pay scrypt again. Tied to that hash: once the stored hash changes (a new
     * password, from this process or another), the old password is checked again, and fails.
     */
    let verified: { hash: string; digest: Buffer } | undefined

    async function passwordMatches(password: string): Promise<boolean> {
      if (adminPassword !== undefined) return secretsEqual(password, adminPassword)
      // Read on every check, never kept: the password may have changed since the last request.
      const hash = (await settings.get(SETTING.adminPasswordHash)) ?? ''
      const digest = sha256(password)
      if (verified?.hash === hash && timingSafeEqual(digest, verified.digest)) return true
      const ok = await verifyPassword(password, hash)
      if (ok) verified = { hash, digest }
      return ok
    }

    /** 429 while the address is blocked; otherwise records the verdict and returns it. */
    async function check(request: FastifyRequest, { user, password }: Credentials) {
      const waitSeconds = throttle.blockedFor(request.ip)
      if (waitSeconds > 0) throw withRetryAfter(new TooManyFailedLogins(waitSeconds), waitSeconds)
      // Both checks always run, so timing does not tell which of the two was wrong.
      const userOk = user === undefined || secretsEqual(user, ADMIN_USER)
      const passwordOk = await passwordMatches(password)
      const ok = userOk && passwordOk
      if (!ok) throttle.recordFailure(request.ip)
      return ok
    }

    const adminLogin: AdminLogin = {
      managedByEnv: adminPassword !== undefined,
      async confirm(request, password) {
        const ok = await check(request, { user: undefined, password })
        if (ok) throttle.recordSuccess(request.ip)
        return ok
      },
      async change(password) {
        if (adminPassword !== undefined) throw new Error('ADMIN_PASSWORD is set: nothing to change')
        const hash = await hashPassword(password)
        await settings.set(SETTING.adminPasswordHash, hash)
        verified = { hash, digest: sha256(password) }
      },
    }
    app.decorate('adminLogin', adminLogin)

    app.decorate('adminAuth', async function adminAuth(request, reply) {
      // Checked first: another site's page must not even spend the user's login attempts.
      if (!isSafeMethod(request.method) && isCrossSite(request)) throw new CrossSiteRequest()
      const credentials = readCredentials(request.headers.authorization)
      if (credentials === undefined || !(await check(request, credentials))) {
        reply.header('www-authenticate', CHALLENGE)
        throw new Unauthorized()
      }
      if (request.routeOptions.config.confirmsAdminPassword !== true) {
        throttle.recordSuccess(request.ip)
      }
    } satisfies onRequestAsyncHookHandler)

    // A callback hook: it runs on every answer, and an async one costs a promise each.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.headers[DASHBOARD_CLIENT_HEADER] !== undefined)
        reply.removeHeader('www-authenticate')
      done(null, payload)
    })
  },
  { name: 'admin-auth', fastify: '5.x', dependencies: ['database', 'first-boot'] },
)
