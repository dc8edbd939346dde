import { createRequire } from 'node:module'
import type fastifyHttpProxyPlugin from '@fastify/http-proxy'
import type Fastify from 'fastify'
import type * as Undici from 'undici'

/**
 * The bench is not a workspace package (it adds no dependencies), so it borrows what it needs
 * from apps/server's node_modules, where undici, Fastify and @fastify/http-proxy are installed.
 * Types come from the same packages through `paths` in bench/tsconfig.json.
 */
const requireFromServer = createRequire(new URL('../apps/server/package.json', import.meta.url))

export const undici = requireFromServer('undici') as typeof Undici
export const fastify = requireFromServer('fastify') as typeof Fastify
export const fastifyHttpProxy = requireFromServer(
  '@fastify/http-proxy',
) as typeof fastifyHttpProxyPlugin
