import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { NotFound } from '../errors.js'

/** The dashboard build: `apps/server/public`, two folders up from both `src/routes` and `dist/routes`. */
export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url))

/** Paths the SPA fallback must never answer: they belong to the API, whatever the method. */
const API_PREFIXES = ['/v1', '/api', '/healthz', '/readyz', '/metrics']

function isApiPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? ''
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))
}

function wantsPage(request: FastifyRequest): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    !isApiPath(request.url) &&
    (request.headers.accept ?? '').includes('text/html')
  )
}

/**
 * The pages' own content-security policy: scripts and styles only from here, no framing, and
 * nothing fetched anywhere but this server.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

export interface DashboardRoutesOptions {
  publicDir?: string
}

/**
 * Serves the built dashboard at `/` and answers any other page path with `index.html` (client-side
 * routing). API paths keep their JSON 404.
 */
const dashboard: FastifyPluginAsync<DashboardRoutesOptions> = async (app, opts) => {
  const publicDir = opts.publicDir ?? DEFAULT_PUBLIC_DIR
  const built = existsSync(join(publicDir, 'index.html'))

  if (built) {
    await app.register(fastifyStatic, {
      root: publicDir,
      prefix: '/',
      index: 'index.html',
      setHeaders(res, path) {
        // Vite fingerprints everything under assets/: cache it for good; never cache the page.
        const immutable = path.includes(`${join(publicDir, 'assets')}`)
        res.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.header(name, value)
      },
    })
  } else {
    app.log.warn({ publicDir }, 'dashboard not built: run `pnpm build` to serve it at /')
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('SiliconFlow Proxy is running. The dashboard is not built: run `pnpm build`.\n'),
    )
  }

  app.setNotFoundHandler(async (request, reply) => {
    if (built && wantsPage(request)) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value)
      return reply.header('cache-control', 'no-cache').sendFile('index.html')
    }
    throw new NotFound(`No route for ${request.method} ${request.url.split('?', 1)[0]}`)
  })
}

export default dashboard
