// Preloaded by the benchmark only, with `pnpm bench --stages` (`node --import
// ./bench/probe/stage-probe.mjs`), into the proxy and the baseline alike: where a proxied chat
// completion's time goes inside the server, from Node's and undici's diagnostics channels and the
// two sockets' writes, without changing either server's code. It answers over the IPC channel
// the bench opens (as event-loop-probe.mjs does); a normal start never loads this file.
//
// Five moments of each request to `.../chat/completions`:
//   head        Node parsed the request's head (`http.server.request.start`)
//   handler     Fastify calls the route's handler (`tracing:fastify.request.handler:start`): its
//               routing, hooks and body parser are done. The gateway's front door takes its chat
//               completions before Fastify (apps/server/src/http/front-door.ts): they have no
//               such moment, and only the baseline prints head → handler → upstreamOut
//   upstreamOut the last write of the request on the upstream connection before its answer
//   answerHead  undici parsed the upstream answer's head (`undici:request:headers`)
//   clientOut   the first write of the answer on the client's connection
// and the stretches between them, plus head → clientOut, the server's share of the time to first
// byte. head → handler is the framework's part and the body's arrival (the gateway reads a JSON
// body whole in its parser, the baseline pipes it later); handler → upstreamOut the route's own
// work before the request leaves (the gateway's record, lease and key; the baseline's
// reply-from). `upstreamOut → answerHead` is the upstream's own time plus whatever the server was
// still doing when the answer arrived (an answer waits in the socket until the loop reads it).
// A sixth moment, settled (a setImmediate from clientOut: the end of that turn of the event
// loop), gives clientOut → settled: the work done after the answer went out, which the next
// request on a connection waits for when it arrives in the meantime.
import diagnostics from 'node:diagnostics_channel'

const STRETCHES = /** @type {const} */ ([
  ['head', 'handler'],
  ['handler', 'upstreamOut'],
  ['head', 'upstreamOut'],
  ['upstreamOut', 'answerHead'],
  ['answerHead', 'clientOut'],
  ['head', 'clientOut'],
  ['clientOut', 'settled'],
])

/** @typedef {{ head: number, handler?: number, upstreamOut?: number, answerHead?: number, clientOut?: number, settled?: number }} Moments */

/** Per stretch, its durations in microseconds, one per request since the last reset. */
let durations = STRETCHES.map(() => /** @type {number[]} */ ([]))
const RECORD = Symbol('stage-probe.moments')
/**
 * Milliseconds on the monotonic clock (`process.hrtime`), the clock of V8's `--cpu-prof`
 * timestamps on Linux: a profile taken in the same run can be cut to a stretch's samples.
 */
const now = () => Number(process.hrtime.bigint()) / 1e6
const isChat = (/** @type {string} */ path) => path.includes('/chat/completions')

/** Wrap a socket's `write` once, so that each call can stamp the moments of its current request. */
function stampWrites(/** @type {any} */ socket, /** @type {(m: Moments) => void} */ stamp) {
  if (socket[RECORD] !== undefined || typeof socket.write !== 'function') return
  socket[RECORD] = null
  const write = socket.write
  socket.write = function (/** @type {unknown[]} */ ...args) {
    const moments = socket[RECORD]
    if (moments) stamp(moments)
    return write.apply(this, args)
  }
}

/** @param {Moments} m */
function finished(m) {
  STRETCHES.forEach(([from, to], i) => {
    const start = m[from]
    const end = m[to]
    if (start !== undefined && end !== undefined) durations[i]?.push((end - start) * 1000)
  })
}

/**
 * The server's request now being handled: the upstream request undici creates next is its. True
 * of scenario 1, where each server has one request at a time.
 */
let handling = /** @type {Moments | null} */ (null)

diagnostics.subscribe('http.server.request.start', (message) => {
  const { request, response } = /** @type {any} */ (message)
  if (!isChat(request.url ?? '')) return
  /** @type {Moments} */
  const moments = { head: now() }
  const socket = request.socket
  stampWrites(socket, (m) => {
    if (m.answerHead === undefined || m.clientOut !== undefined) return
    m.clientOut = now()
    setImmediate(() => {
      m.settled = now()
      finished(m)
    })
  })
  socket[RECORD] = moments
  request[RECORD] = moments
  handling = moments
  response.once('finish', () => {
    if (socket[RECORD] === moments) socket[RECORD] = null
    if (handling === moments) handling = null
  })
})

diagnostics.subscribe('tracing:fastify.request.handler:start', (message) => {
  const { request } = /** @type {any} */ (message)
  const moments = request.raw?.[RECORD]
  if (moments !== undefined && moments.handler === undefined) moments.handler = now()
})
diagnostics.subscribe('undici:request:create', (message) => {
  const { request } = /** @type {any} */ (message)
  if (handling !== null && isChat(request.path ?? '')) request[RECORD] = handling
})
diagnostics.subscribe('undici:client:sendHeaders', (message) => {
  const { request, socket } = /** @type {any} */ (message)
  const moments = request[RECORD]
  if (moments === undefined) return
  stampWrites(socket, (m) => {
    if (m.answerHead === undefined) m.upstreamOut = now()
  })
  socket[RECORD] = moments
  moments.upstreamOut = now()
})
diagnostics.subscribe('undici:request:headers', (message) => {
  const { request } = /** @type {any} */ (message)
  const moments = request[RECORD]
  if (moments !== undefined && moments.answerHead === undefined) moments.answerHead = now()
})

/** @param {number[]} values @param {number} q */
function quantile(values, q) {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null
}

process.on('message', (message) => {
  if (message === 'stages:reset') {
    durations = STRETCHES.map(() => [])
    process.send?.({ kind: 'stages:reset' })
  } else if (message === 'stages:read') {
    const stretches = STRETCHES.map(([from, to], i) => {
      const values = durations[i] ?? []
      return {
        from,
        to,
        requests: values.length,
        p50Us: quantile(values, 0.5),
        p90Us: quantile(values, 0.9),
        p99Us: quantile(values, 0.99),
      }
    })
    process.send?.({ kind: 'stages:read', stretches })
  }
})
process.channel?.unref()
