import { fileURLToPath } from 'node:url'

/** The repository root (bench/ lives in it). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** apps/server: where tsx, undici, Fastify and @fastify/http-proxy are installed. */
export const SERVER_APP_DIR = fileURLToPath(new URL('../../apps/server', import.meta.url))
