/**
 * The plain baseline, run as its own process by targets/baseline.ts: Fastify with
 * @fastify/http-proxy and nothing else (no logger, no auth, no queue, no request log), relaying
 * `/v1/*` to the look-alike upstream. What a minimal Node.js reverse proxy costs.
 */
import fastifyHttpProxy from '@fastify/http-proxy'
import fastify from 'fastify'

const upstream = process.env.BENCH_UPSTREAM_URL
const port = Number(process.env.PORT)
if (upstream === undefined || !Number.isInteger(port)) {
  throw new Error('BENCH_UPSTREAM_URL and PORT are required')
}

const app = fastify()
await app.register(fastifyHttpProxy, { upstream, prefix: '/v1', rewritePrefix: '/v1' })
app.get('/healthz', async () => ({ status: 'ok' }))
await app.listen({ port, host: '127.0.0.1' })

process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
